using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Optimisers;

/// <summary>
/// The compiled (in place, vectorised) engine of every optimiser against its reference (float64, immutable) engine on
/// random settings, parameter sets and gradient sequences, and slicing invariance of the compiled engine.
/// </summary>
public class EngineEquivalenceProperties
{
    /// <summary>Several float64 compiled steps equal the reference: parameters, every moment and the step count, to 1e-12.</summary>
    [Property(MaxTest = 150)]
    public Property CompiledFloat64EqualsReference() => Prop.ForAll(OptimiserCases.Cases(OptimiserCases.AnyOptimiser), c =>
    {
        var (reference, state) = OptimiserCases.RunReference(c.Optimiser, c.Parameters, c.Gradients);
        var (compiled, buffers) = OptimiserCases.RunCompiled<double>(c.Optimiser, c.Parameters, c.Gradients);
        double error = OptimiserCases.RelativeError(compiled, reference);
        var momentErrors = Enumerable.Range(0, c.Optimiser.MomentCount).Select(k => OptimiserCases.RelativeError(OptimiserCases.Moments(buffers, k), state.Moments[k])).ToArray();
        return (error <= 1e-12 && momentErrors.All(e => e <= 1e-12) && buffers.StepCount == state.StepCount && state.StepCount == c.Steps)
            .Label($"{c}: parameter error {error:E3}, moment errors [{string.Join(", ", momentErrors.Select(e => e.ToString("E3")))}], steps {buffers.StepCount} vs {state.StepCount}");
    });

    /// <summary>
    /// Float32 compiled steps (computed in float32) equal the reference on the same float32-rounded inputs to 1e-4 relative,
    /// the project's float32 tolerance, beyond what float32 rounding can move Adam's result on the case
    /// (<see cref="OptimiserCases.Float32ErrorBounds"/>). Adam's m / (√v + ε) with weight decay is ill-conditioned where
    /// g + decay θ cancels: seed 927080 (lr 0.5, β1 0.99, β2 0, ε 1e-6, decay 0.0053, 5 steps) was 4.3e-4 off, and an engine
    /// that computes each step exactly and only stores θ, m, v and the settings in float32 is still 1.8e-4 off, so a fixed
    /// bound there fails a correct kernel (it did at 1e-5, then at 1e-4). The bound follows the case's own values, so
    /// well-conditioned cases are still held to 1e-4.
    /// </summary>
    [Property(MaxTest = 150)]
    public Property CompiledFloat32EqualsReference() => Prop.ForAll(OptimiserCases.Cases(OptimiserCases.AnyOptimiser), c =>
    {
        var parameters = OptimiserCases.RoundToSingle(c.Parameters);
        var gradients = c.Gradients.Select(OptimiserCases.RoundToSingle).ToArray();
        var (reference, _) = OptimiserCases.RunReference(c.Optimiser, parameters, gradients);
        var (compiled, _) = OptimiserCases.RunCompiled<float>(c.Optimiser, parameters, gradients);
        var bounds = OptimiserCases.Float32ErrorBounds(c.Optimiser, parameters, gradients);
        double error = OptimiserCases.RelativeError(compiled, reference);
        double beyond = OptimiserCases.RelativeErrorBeyond(compiled, reference, bounds);
        return (beyond <= 1e-4).Label($"{c}: float32 error {error:E3}, {beyond:E3} beyond the rounding bound");
    });

    /// <summary>
    /// The case that made the fixed bound flaky: the float32 result is 4.3e-4 from the reference, past 1e-4, and within the
    /// rounding bound of <see cref="OptimiserCases.Float32ErrorBounds"/> (3.6e-3 of |θ| on that element).
    /// </summary>
    [Fact]
    public void IllConditionedAdamCaseIsWithinItsRoundingBound()
    {
        var c = new OptimiserCase(new Adam(0.5000345349769785, Beta1: 0.99, Beta2: 0, Epsilon: 1e-6, BiasCorrection: true, WeightDecay: 0.0053), 927080, new[] { (26, 1) }, 5);
        var parameters = OptimiserCases.RoundToSingle(c.Parameters);
        var gradients = c.Gradients.Select(OptimiserCases.RoundToSingle).ToArray();
        var (reference, _) = OptimiserCases.RunReference(c.Optimiser, parameters, gradients);
        var (compiled, _) = OptimiserCases.RunCompiled<float>(c.Optimiser, parameters, gradients);
        Assert.InRange(OptimiserCases.RelativeError(compiled, reference), 1e-4, 1e-3);
        Assert.Equal(0, OptimiserCases.RelativeErrorBeyond(compiled, reference, OptimiserCases.Float32ErrorBounds(c.Optimiser, parameters, gradients)));
    }

    /// <summary>
    /// Applying a parameter as two slices, in either order, leaves exactly the bits of applying it whole, in float32 and
    /// float64, over several steps (so the vector body and the scalar tail agree wherever the cut falls).
    /// </summary>
    [Property(MaxTest = 150)]
    public Property TwoSlicesEqualTheWhole() => Prop.ForAll(OptimiserCases.Cases(OptimiserCases.AnyOptimiser), Arb.From(Gen.Choose(0, 1000)), Arb.From(Gen.Elements(false, true)),
        (c, cutPermille, secondFirst) => SlicesEqualWhole<double>(c, cutPermille, secondFirst) && SlicesEqualWhole<float>(c, cutPermille, secondFirst));

    private static bool SlicesEqualWhole<T>(OptimiserCase c, int cutPermille, bool secondFirst) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var names = c.Parameters.Names.ToArray();
        var whole = names.Select(n => OptimiserCases.ToArray<T>(c.Parameters[n])).ToArray();
        var sliced = whole.Select(a => (T[])a.Clone()).ToArray();
        var wholeBuffers = c.Optimiser.CreateBuffers<T>(whole.Select(a => a.Length).ToArray());
        var slicedBuffers = c.Optimiser.CreateBuffers<T>(whole.Select(a => a.Length).ToArray());
        foreach (var g in c.Gradients)
        {
            c.Optimiser.BeginStep(wholeBuffers);
            c.Optimiser.BeginStep(slicedBuffers);
            for (int i = 0; i < names.Length; i++)
            {
                var gradient = OptimiserCases.ToArray<T>(g[names[i]]);
                int n = whole[i].Length, cut = n * cutPermille / 1000;
                c.Optimiser.Apply<T>(i, whole[i], gradient, wholeBuffers, 0, n);
                if (secondFirst) c.Optimiser.Apply<T>(i, sliced[i], gradient, slicedBuffers, cut, n - cut);
                c.Optimiser.Apply<T>(i, sliced[i], gradient, slicedBuffers, 0, cut);
                if (!secondFirst) c.Optimiser.Apply<T>(i, sliced[i], gradient, slicedBuffers, cut, n - cut);
            }
        }
        for (int i = 0; i < names.Length; i++)
        {
            if (!whole[i].AsSpan().SequenceEqual(sliced[i])) return false;
            for (int k = 0; k < c.Optimiser.MomentCount; k++)
            {
                if (!wholeBuffers.Moment(k, i).SequenceEqual(slicedBuffers.Moment(k, i))) return false;
            }
        }
        return true;
    }

    /// <summary>Four threads applying their own quarters of a large parameter, concurrently, leave exactly the bits of one whole apply.</summary>
    [Fact]
    public void ConcurrentSlicesEqualTheWhole()
    {
        const int n = 10_007;
        var random = new Random(5);
        foreach (var optimiser in new Optimiser[] { new Sgd(0.01, 0.001), new Momentum(0.01, 0.9, 0.001, Nesterov: true), new Adam(0.001, WeightDecay: 0.01) })
        {
            var whole = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
            var sliced = (double[])whole.Clone();
            var wholeBuffers = optimiser.CreateBuffers<double>(new[] { n });
            var slicedBuffers = optimiser.CreateBuffers<double>(new[] { n });
            for (int step = 0; step < 3; step++)
            {
                var gradient = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
                optimiser.BeginStep(wholeBuffers);
                optimiser.BeginStep(slicedBuffers);
                optimiser.Apply<double>(0, whole, gradient, wholeBuffers, 0, n);
                int[] cuts = { 0, 2501, 5003, 7777, n };
                Parallel.For(0, 4, part => optimiser.Apply<double>(0, sliced, gradient, slicedBuffers, cuts[part], cuts[part + 1] - cuts[part]));
            }
            Assert.True(whole.AsSpan().SequenceEqual(sliced), optimiser.ToString());
            for (int k = 0; k < optimiser.MomentCount; k++) Assert.True(wholeBuffers.Moment(k, 0).SequenceEqual(slicedBuffers.Moment(k, 0)), optimiser + " moment " + k);
        }
    }

    /// <summary>The reference step is pure: the parameters, gradients and state passed in keep their values.</summary>
    [Property(MaxTest = 50)]
    public Property ReferenceStepChangesNothingPassedIn() => Prop.ForAll(OptimiserCases.Cases(OptimiserCases.AnyOptimiser), c =>
    {
        var parameters = c.Parameters;
        var gradients = c.Gradients;
        var (afterOne, state) = c.Optimiser.Step(parameters, gradients[0], c.Optimiser.InitialState(parameters));
        var stateCopy = new OptimiserState(state.StepCount, state.Moments.Select(m => m.Map((_, x) => x.Clone())).ToImmutableArray());
        var afterOneCopy = afterOne.Map((_, x) => x.Clone());
        var gradientCopy = gradients[0].Map((_, x) => x.Clone());
        c.Optimiser.Step(afterOne, gradients[0], state);
        return (parameters.Equals(c.Parameters) && afterOne.Equals(afterOneCopy) && gradients[0].Equals(gradientCopy) && state.Equals(stateCopy)).Label(c.ToString());
    });
}
