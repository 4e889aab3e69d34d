using System;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Optimisers;

/// <summary>Invalid settings and inputs are refused with messages that name what is wrong, before anything changes.</summary>
public class OptimiserValidationTests
{
    private static readonly (Func<Optimiser> Make, string Setting)[] InvalidSettings =
    {
        (() => new Sgd(0), "LearningRate"),
        (() => new Sgd(-1e-3), "LearningRate"),
        (() => new Sgd(double.NaN), "LearningRate"),
        (() => new Sgd(double.PositiveInfinity), "LearningRate"),
        (() => new Sgd(0.1, -1e-4), "WeightDecay"),
        (() => new Sgd(0.1, double.NaN), "WeightDecay"),
        (() => new Sgd(0.1, double.PositiveInfinity), "WeightDecay"),
        (() => new Momentum(0, 0.9), "LearningRate"),
        (() => new Momentum(0.1, -0.1), "Coefficient"),
        (() => new Momentum(0.1, 1), "Coefficient"),
        (() => new Momentum(0.1, double.NaN), "Coefficient"),
        (() => new Momentum(0.1, 0.9, WeightDecay: -1), "WeightDecay"),
        (() => new Adam(double.NegativeInfinity), "LearningRate"),
        (() => new Adam(0.1, Beta1: 1), "Beta1"),
        (() => new Adam(0.1, Beta1: -0.5), "Beta1"),
        (() => new Adam(0.1, Beta2: 1), "Beta2"),
        (() => new Adam(0.1, Beta2: double.NaN), "Beta2"),
        (() => new Adam(0.1, Epsilon: 0), "Epsilon"),
        (() => new Adam(0.1, Epsilon: -1e-8), "Epsilon"),
        (() => new Adam(0.1, Epsilon: double.PositiveInfinity), "Epsilon"),
        (() => new Adam(0.1, WeightDecay: double.NaN), "WeightDecay"),
        (() => Adam.GaitProp(0), "LearningRate"),
        (() => new Sgd(0.1) with { LearningRate = 0 }, "LearningRate"),
        (() => new Momentum(0.1) with { Coefficient = 1 }, "Coefficient"),
        (() => new Adam(0.1) with { Beta2 = 1.5 }, "Beta2"),
        (() => new Adam(0.1) with { WeightDecay = -1 }, "WeightDecay"),
    };

    /// <summary>Each invalid setting, by constructor or by <c>with</c>, throws an ArgumentException naming the setting.</summary>
    [Fact]
    public void InvalidSettingsAreRejectedNamingTheSetting()
    {
        for (int i = 0; i < InvalidSettings.Length; i++)
        {
            var (make, setting) = InvalidSettings[i];
            var e = Assert.Throws<ArgumentException>(() => make());
            Assert.True(e.ParamName == setting && e.Message.StartsWith(setting + " must be", StringComparison.Ordinal), $"case {i}: expected a message about {setting}, got: {e.Message}");
        }
    }

    /// <summary>The edges of the valid ranges are accepted, and the defaults are torch's.</summary>
    [Fact]
    public void ValidEdgesAndDefaults()
    {
        _ = new Momentum(1e-300, 0, 0);
        _ = new Adam(1e-3, 0, 0, double.Epsilon);
        var adam = new Adam(1e-3);
        Assert.Equal((0.9, 0.999, 1e-8, true, 0.0), (adam.Beta1, adam.Beta2, adam.Epsilon, adam.BiasCorrection, adam.WeightDecay));
        var momentum = new Momentum(1e-3);
        Assert.Equal((0.9, 0.0, false), (momentum.Coefficient, momentum.WeightDecay, momentum.Nesterov));
        Assert.Equal(0.0, new Sgd(1e-3).WeightDecay);
        Assert.Equal("Adam { LearningRate = 0.001, WeightDecay = 0, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1E-08, BiasCorrection = True }", adam.ToString());
        Assert.Equal("Momentum { LearningRate = 0.001, WeightDecay = 0, Coefficient = 0.9, Nesterov = False }", momentum.ToString());
        Assert.Equal("Sgd { LearningRate = 0.001, WeightDecay = 0 }", new Sgd(1e-3).ToString());
    }

    /// <summary>Sgd.Step refuses a NaN or infinity in the updates, naming the parameter, and the parameters keep their values.</summary>
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void SgdStepRejectsNonFiniteUpdates(double bad)
    {
        var random = new Random(1);
        var parameters = OptimiserCases.RandomSet(new[] { (3, 2), (4, 1) }, random, 1);
        var copy = parameters.Map((_, m) => m.Clone());
        var updates = OptimiserCases.RandomSet(new[] { (3, 2), (4, 1) }, random, 1).Map((name, m) =>
        {
            var c = m.Clone();
            if (name == "p1") c[2, 0] = bad;
            return c;
        });
        var e = Assert.Throws<ArgumentException>(() => new Sgd(0.1).Step(parameters, updates));
        Assert.Contains("update for 'p1'", e.Message);
        Assert.Equal(copy, parameters);
    }

    /// <summary>The reference step refuses a non-finite gradient or parameter, naming it, for every optimiser.</summary>
    [Fact]
    public void ReferenceStepRejectsNonFiniteGradientsAndParameters()
    {
        var random = new Random(2);
        var parameters = OptimiserCases.RandomSet(new[] { (2, 2), (3, 1) }, random, 1);
        var gradients = OptimiserCases.RandomSet(new[] { (2, 2), (3, 1) }, random, 1);
        ParameterSet Poison(ParameterSet set, string target) => set.Map((name, m) => name == target ? m.Map(x => double.NaN) : m);
        foreach (var optimiser in new Optimiser[] { new Sgd(0.1), new Momentum(0.1), new Adam(0.1) })
        {
            var state = optimiser.InitialState(parameters);
            Assert.Contains("gradient for 'p0'", Assert.Throws<ArgumentException>(() => optimiser.Step(parameters, Poison(gradients, "p0"), state)).Message);
            Assert.Contains("parameter for 'p1'", Assert.Throws<ArgumentException>(() => optimiser.Step(Poison(parameters, "p1"), gradients, state)).Message);
        }
    }

    /// <summary>Mismatched names, shapes or states are refused with a message that says which.</summary>
    [Fact]
    public void ReferenceStepRejectsMismatchedInputs()
    {
        var parameters = OptimiserCases.RandomSet(new[] { (2, 2), (3, 1) }, new Random(3), 1);
        var adam = new Adam(0.1);
        var state = adam.InitialState(parameters);
        var missing = ParameterSet.From(new[] { ("p0", Matrix<double>.Build.Dense(2, 2)) });
        Assert.Contains("lack parameter 'p1'", Assert.Throws<ArgumentException>(() => adam.Step(parameters, missing, state)).Message);
        var extra = ParameterSet.From(parameters.Items.Select(kv => (kv.Key, kv.Value)).Append(("q", Matrix<double>.Build.Dense(1, 1))));
        Assert.Contains("'q'", Assert.Throws<ArgumentException>(() => adam.Step(parameters, extra, state)).Message);
        var wrongShape = parameters.Map((name, m) => name == "p1" ? Matrix<double>.Build.Dense(1, 3) : m);
        Assert.Contains("'p1' have shape [1, 3]", Assert.Throws<ArgumentException>(() => adam.Step(parameters, wrongShape, state)).Message);
        Assert.Contains("moment set", Assert.Throws<ArgumentException>(() => adam.Step(parameters, parameters, new Sgd(0.1).InitialState(parameters))).Message);
        var wrongMoments = new OptimiserState(0, ImmutableArray.Create(parameters, wrongShape));
        Assert.Contains("state moments for 'p1'", Assert.Throws<ArgumentException>(() => adam.Step(parameters, parameters, wrongMoments)).Message);
        Assert.Contains("StepCount", Assert.Throws<ArgumentException>(() => new OptimiserState(-1, ImmutableArray<ParameterSet>.Empty)).Message);
        Assert.Contains("Moments", Assert.Throws<ArgumentException>(() => new OptimiserState(0, default)).Message);
    }

    /// <summary>The initial state has the optimiser's number of zero moments, shaped like the parameters, at step 0.</summary>
    [Fact]
    public void InitialStateIsZeroMomentsAtStepZero()
    {
        var parameters = OptimiserCases.RandomSet(new[] { (2, 3), (4, 1) }, new Random(4), 1);
        foreach (var (optimiser, moments) in new (Optimiser, int)[] { (new Sgd(0.1), 0), (new Momentum(0.1), 1), (new Adam(0.1), 2) })
        {
            var state = optimiser.InitialState(parameters);
            Assert.Equal(0, state.StepCount);
            Assert.Equal(moments, state.Moments.Length);
            Assert.All(state.Moments, m => Assert.Equal(parameters.Map((_, p) => Matrix<double>.Build.Dense(p.RowCount, p.ColumnCount)), m));
        }
    }

    /// <summary>The compiled entry points refuse foreign buffers, a missing BeginStep, bad lengths and slices out of range.</summary>
    [Fact]
    public void CompiledEngineRejectsMisuse()
    {
        var adam = new Adam(0.1);
        var parameter = new double[10];
        var gradient = new double[10];
        var buffers = adam.CreateBuffers<double>(new[] { 10, 3 });
        Assert.Contains("BeginStep", Assert.Throws<InvalidOperationException>(() => adam.Apply<double>(0, parameter, gradient, buffers, 0, 10)).Message);
        adam.BeginStep(buffers);
        Assert.Contains("another kind of optimiser", Assert.Throws<ArgumentException>(() => new Momentum(0.1).Apply<double>(0, parameter, gradient, buffers, 0, 10)).Message);
        Assert.Contains("another kind of optimiser", Assert.Throws<ArgumentException>(() => adam.BeginStep(new Sgd(0.1).CreateBuffers<double>(new[] { 10 }))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.Apply<double>(2, parameter, gradient, buffers, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.Apply<double>(-1, parameter, gradient, buffers, 0, 10));
        Assert.Contains("10 elements", Assert.Throws<ArgumentException>(() => adam.Apply<double>(0, parameter, new double[9], buffers, 0, 9)).Message);
        Assert.Contains("[4, 4 + 7)", Assert.Throws<ArgumentOutOfRangeException>(() => adam.Apply<double>(0, parameter, gradient, buffers, 4, 7)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.Apply<double>(0, parameter, gradient, buffers, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.Apply<double>(0, parameter, gradient, buffers, 1, int.MaxValue));
        Assert.Contains("size -1", Assert.Throws<ArgumentException>(() => adam.CreateBuffers<float>(new[] { 3, -1 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Moment(2, 0));
        Assert.All(parameter, x => Assert.Equal(0.0, x));
        adam.Apply<double>(0, parameter, gradient, buffers, 10, 0);
        Assert.Equal(new[] { 10, 3 }, buffers.Sizes);
        Assert.Equal(1, buffers.StepCount);
    }

    private static readonly int[] Lengths = { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 100, 130, 257 };

    /// <summary>AllFinite is true on finite values (extremes included) and false wherever a NaN or an infinity sits, in float and double.</summary>
    [Fact]
    public void AllFiniteFindsEveryNonFiniteValue()
    {
        foreach (int n in Lengths)
        {
            var d = Enumerable.Range(0, n).Select(i => (i % 3) switch { 0 => double.MaxValue, 1 => -double.Epsilon, _ => i - 0.5 }).ToArray();
            var f = d.Select(x => (float)Math.Clamp(x, float.MinValue, float.MaxValue)).ToArray();
            Assert.True(Optimiser.AllFinite<double>(d), "double, length " + n);
            Assert.True(Optimiser.AllFinite<float>(f), "float, length " + n);
            for (int at = 0; at < n; at++)
            {
                foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                {
                    var dd = (double[])d.Clone();
                    dd[at] = bad;
                    var ff = (float[])f.Clone();
                    ff[at] = (float)bad;
                    Assert.False(Optimiser.AllFinite<double>(dd), $"double {bad} at {at} of {n}");
                    Assert.False(Optimiser.AllFinite<float>(ff), $"float {bad} at {at} of {n}");
                }
            }
        }
    }
}
