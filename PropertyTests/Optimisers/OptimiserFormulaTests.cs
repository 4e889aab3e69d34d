using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Optimisers;

/// <summary>
/// The optimisers against their definitions: two steps on a scalar worked by hand (θ0 = 1, g1 = 0.5, g2 = -0.25), and the
/// identities that tie them together (momentum 0 is SGD, weight decay is SGD on g + λθ), on both engines.
/// </summary>
public class OptimiserFormulaTests
{
    private const double G1 = 0.5, G2 = -0.25;

    /// <summary>θ after two steps of <paramref name="optimiser"/> on the scalar, from the reference and the compiled float64 engine.</summary>
    private static (double Reference, double Compiled) TwoScalarSteps(Optimiser optimiser)
    {
        var theta = ParameterSet.From(new[] { ("w", Matrix<double>.Build.Dense(1, 1, 1.0)) });
        var gradients = new[] { G1, G2 }.Select(g => ParameterSet.From(new[] { ("w", Matrix<double>.Build.Dense(1, 1, g)) })).ToArray();
        var (reference, _) = OptimiserCases.RunReference(optimiser, theta, gradients);
        var (compiled, _) = OptimiserCases.RunCompiled<double>(optimiser, theta, gradients);
        return (reference["w"][0, 0], compiled[0][0]);
    }

    private static void AssertBoth(double expected, (double Reference, double Compiled) got)
    {
        Assert.True(Math.Abs(got.Reference - expected) < 1e-15, $"reference {got.Reference:R}, by hand {expected:R}");
        Assert.True(Math.Abs(got.Compiled - expected) < 1e-15, $"compiled {got.Compiled:R}, by hand {expected:R}");
    }

    /// <summary>
    /// The GAIT-prop setting (β1 0.9, β2 0.99, ε 1e-8, no bias correction): m1 = 0.05, v1 = 0.0025, θ1 = 1 - 0.01 * 0.05 / (0.05 + 1e-8);
    /// m2 = 0.045 - 0.025 = 0.02, v2 = 0.002475 + 0.000625 = 0.0031, θ2 = θ1 - 0.01 * 0.02 / (√0.0031 + 1e-8).
    /// </summary>
    [Fact]
    public void AdamWithoutBiasCorrectionMatchesTheClosedForm()
    {
        double theta1 = 1 - 0.01 * 0.05 / (0.05 + 1e-8);
        double theta2 = theta1 - 0.01 * 0.02 / (Math.Sqrt(0.0031) + 1e-8);
        AssertBoth(theta2, TwoScalarSteps(Adam.GaitProp(0.01)));
        AssertBoth(theta2, TwoScalarSteps(new Adam(0.01, 0.9, 0.99, 1e-8, BiasCorrection: false)));
    }

    /// <summary>
    /// With bias correction (β2 0.99): m̂1 = 0.05 / 0.1 = 0.5, v̂1 = 0.0025 / 0.01 = 0.25, θ1 = 1 - 0.01 * 0.5 / (0.5 + 1e-8);
    /// m̂2 = 0.02 / 0.19, v̂2 = 0.0031 / 0.0199, θ2 = θ1 - 0.01 * m̂2 / (√v̂2 + 1e-8).
    /// </summary>
    [Fact]
    public void AdamWithBiasCorrectionMatchesTheClosedForm()
    {
        double theta1 = 1 - 0.01 * 0.5 / (0.5 + 1e-8);
        double theta2 = theta1 - 0.01 * (0.02 / 0.19) / (Math.Sqrt(0.0031 / 0.0199) + 1e-8);
        AssertBoth(theta2, TwoScalarSteps(new Adam(0.01, 0.9, 0.99, 1e-8)));
    }

    /// <summary>Momentum 0.9: v1 = 0.5, θ1 = 0.995; v2 = 0.45 - 0.25 = 0.2, θ2 = 0.993. Nesterov: θ1 = 1 - 0.01 * (0.5 + 0.45) = 0.9905, θ2 = 0.9905 - 0.01 * (-0.25 + 0.18) = 0.9912.</summary>
    [Fact]
    public void MomentumMatchesTheClosedForm()
    {
        AssertBoth(0.993, TwoScalarSteps(new Momentum(0.01, 0.9)));
        AssertBoth(0.9912, TwoScalarSteps(new Momentum(0.01, 0.9, Nesterov: true)));
    }

    /// <summary>SGD with decay 0.1: θ1 = 1 - 0.01 * (0.5 + 0.1) = 0.994, θ2 = 0.994 - 0.01 * (-0.25 + 0.0994) = 0.995506.</summary>
    [Fact]
    public void SgdWithWeightDecayMatchesTheClosedForm() => AssertBoth(0.995506, TwoScalarSteps(new Sgd(0.01, 0.1)));

    /// <summary>The GAIT-prop factory carries the authors' settings.</summary>
    [Fact]
    public void GaitPropFactoryHasTheAuthorsSettings() =>
        Assert.Equal(new Adam(1e-4, Beta1: 0.9, Beta2: 0.99, Epsilon: 1e-8, BiasCorrection: false, WeightDecay: 0), Adam.GaitProp(1e-4));

    /// <summary>Momentum with coefficient 0 (with or without Nesterov) is exactly SGD, on both engines, weight decay included.</summary>
    [Property(MaxTest = 100)]
    public Property MomentumZeroIsSgd() => Prop.ForAll(OptimiserCases.Cases(OptimiserCases.Sgds), Arb.From(Gen.Elements(false, true)), (c, nesterov) =>
    {
        var momentum = new Momentum(c.Optimiser.LearningRate, 0, c.Optimiser.WeightDecay, nesterov);
        var (sgdReference, _) = OptimiserCases.RunReference(c.Optimiser, c.Parameters, c.Gradients);
        var (momentumReference, _) = OptimiserCases.RunReference(momentum, c.Parameters, c.Gradients);
        var (sgdCompiled, _) = OptimiserCases.RunCompiled<double>(c.Optimiser, c.Parameters, c.Gradients);
        var (momentumCompiled, _) = OptimiserCases.RunCompiled<double>(momentum, c.Parameters, c.Gradients);
        return (sgdReference.MaxRelativeDifference(momentumReference) == 0 && sgdCompiled.Zip(momentumCompiled).All(p => p.First.AsSpan().SequenceEqual(p.Second)))
            .Label($"{c}, Nesterov {nesterov}");
    });

    /// <summary>
    /// Every optimiser with weight decay λ on g equals the same optimiser without decay on g + λθ, θ the parameters of the
    /// moment (coupled L2, as torch), over several steps, on both engines.
    /// </summary>
    [Property(MaxTest = 100)]
    public Property WeightDecayIsTheOptimiserOnTheDecayedGradient() => Prop.ForAll(OptimiserCases.Cases(OptimiserCases.AnyOptimiser), Arb.From(Gen.Choose(1, 1000)), (c, permille) =>
    {
        double lambda = permille / 1000.0;
        var decayed = c.Optimiser with { WeightDecay = lambda };
        var plain = c.Optimiser with { WeightDecay = 0 };

        var (viaDecay, _) = OptimiserCases.RunReference(decayed, c.Parameters, c.Gradients);
        var theta = c.Parameters;
        var state = plain.InitialState(theta);
        foreach (var g in c.Gradients) (theta, state) = plain.Step(theta, g.Map((name, m) => Matrix<double>.Build.Dense(m.RowCount, m.ColumnCount, (i, j) => m[i, j] + lambda * theta[name][i, j])), state);
        double referenceError = viaDecay.MaxRelativeDifference(theta);

        var (compiledViaDecay, _) = OptimiserCases.RunCompiled<double>(decayed, c.Parameters, c.Gradients);
        var names = c.Parameters.Names.ToArray();
        var values = names.Select(n => OptimiserCases.ToArray<double>(c.Parameters[n])).ToArray();
        var buffers = plain.CreateBuffers<double>(values.Select(v => v.Length).ToArray());
        foreach (var g in c.Gradients)
        {
            plain.BeginStep(buffers);
            for (int i = 0; i < names.Length; i++)
            {
                var gradient = OptimiserCases.ToArray<double>(g[names[i]]);
                for (int k = 0; k < gradient.Length; k++) gradient[k] += lambda * values[i][k];
                plain.Apply<double>(i, values[i], gradient, buffers, 0, values[i].Length);
            }
        }
        double compiledError = compiledViaDecay.Zip(values).Max(p => p.First.Zip(p.Second).Select(x => Math.Abs(x.First - x.Second)).DefaultIfEmpty(0).Max());
        return (referenceError <= 1e-14 && compiledError <= 1e-14).Label($"{c}, λ {lambda}: reference {referenceError:E3}, compiled {compiledError:E3}");
    });

    /// <summary>Weight decay changes the result (so the identity above is not vacuous): one SGD step with decay differs from one without.</summary>
    [Fact]
    public void WeightDecayChangesTheStep()
    {
        var (plain, _) = TwoScalarSteps(new Sgd(0.01));
        var (decayed, _) = TwoScalarSteps(new Sgd(0.01, 0.1));
        Assert.Equal(1 - 0.01 * (G1 + G2), plain, 15);
        Assert.NotEqual(plain, decayed);
    }

    /// <summary>IsPlainSgd is true exactly for SGD without weight decay.</summary>
    [Fact]
    public void IsPlainSgdOnlyForSgdWithoutDecay()
    {
        Assert.True(new Sgd(0.1).IsPlainSgd);
        Assert.False(new Sgd(0.1, 1e-4).IsPlainSgd);
        Assert.False(new Momentum(0.1, 0).IsPlainSgd);
        Assert.False(new Adam(0.1).IsPlainSgd);
        Assert.True(((Optimiser)new Sgd(0.1, 0.5) with { WeightDecay = 0 }).IsPlainSgd);
    }

    /// <summary>The two-argument SGD step is the reference step from a fresh state: θ - lr * update.</summary>
    [Fact]
    public void SgdTwoArgumentStepIsThetaMinusRateTimesUpdate()
    {
        var random = new Random(3);
        var parameters = OptimiserCases.RandomSet(new[] { (3, 4), (5, 1) }, random, 1);
        var updates = OptimiserCases.RandomSet(new[] { (3, 4), (5, 1) }, random, 1);
        var stepped = new Sgd(0.25).Step(parameters, updates);
        foreach (var name in parameters.Names) Assert.Equal(0, Reference.Compare.RelativeError(stepped[name], parameters[name] - 0.25 * updates[name]));
    }
    /// <summary>
    /// A gradient clamp (the AR authors' CNN: ±50) is the same optimiser on the clamped gradients, in both engines, for every
    /// kind; it turns off SGD's fusion, and a clamp that is not positive is refused.
    /// </summary>
    [Fact]
    public void A_gradient_clamp_is_the_optimiser_on_clamped_gradients()
    {
        var random = new Random(5);
        var parameters = ParameterSet.From(new[] { ("w", Matrix<double>.Build.Dense(4, 3, (_, _) => random.NextDouble() - 0.5)) });
        var gradients = Enumerable.Range(0, 3).Select(_ => ParameterSet.From(new[] { ("w", Matrix<double>.Build.Dense(4, 3, (_, _) => 4 * random.NextDouble() - 2)) })).ToArray();
        var clamped = gradients.Select(g => g.Map((_, m) => m.Map(v => Math.Clamp(v, -0.5, 0.5)))).ToArray();
        foreach (Optimiser plain in new Optimiser[] { new Sgd(0.1), new Sgd(0.1, 0.01), new Momentum(0.1, 0.9), new Adam(0.01) })
        {
            var optimiser = plain with { GradientClamp = 0.5 };
            Assert.True(optimiser.Clamps);
            Assert.False(optimiser.IsPlainSgd);
            Assert.Contains("GradientClamp = 0.5", optimiser.ToString());
            Assert.NotEqual(plain, optimiser);
            var (expected, _) = OptimiserCases.RunReference(plain, parameters, clamped);
            var (reference, _) = OptimiserCases.RunReference(optimiser, parameters, gradients);
            Assert.True(reference.MaxRelativeDifference(expected) < 1e-15, optimiser + ": reference " + reference.MaxRelativeDifference(expected));
            Assert.True(reference.MaxRelativeDifference(OptimiserCases.RunReference(plain, parameters, gradients).Parameters) > 1e-6, optimiser + ": the clamp changed nothing");
            var (compiled, _) = OptimiserCases.RunCompiled<double>(optimiser, parameters, gradients);
            Assert.True(OptimiserCases.RelativeError(compiled, expected) < 1e-12, optimiser + ": compiled " + OptimiserCases.RelativeError(compiled, expected));
        }
        foreach (double bad in new[] { 0.0, -1.0, double.NaN })
        {
            Assert.Contains("GradientClamp must be greater than 0", Assert.Throws<ArgumentException>(() => new Sgd(0.1) { GradientClamp = bad }).Message);
        }
        Assert.True(new Sgd(0.1).IsPlainSgd);
    }
}
