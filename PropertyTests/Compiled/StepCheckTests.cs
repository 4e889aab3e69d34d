using System;
using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Examples;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Compiled;

/// <summary>
/// Bad values never reach the parameters: a NaN or infinity in an input, a target, a parameter or a result of the step
/// is a clear error naming it, raised before any parameter changes, on every compiled path (both rules, float32 and
/// float64, one and two threads, fused SGD and Adam) and in the reference engine.
/// </summary>
public class StepCheckTests
{
    private const int Batch = 4;

    public static IEnumerable<object[]> Paths()
    {
        foreach (var rule in new[] { "bp", "ar" })
        foreach (int threads in new[] { 1, 2 })
        foreach (var optimiser in new[] { "sgd", "adam" })
            yield return new object[] { rule, threads, optimiser };
    }

    private static LearningRule Rule(string name) => name == "bp" ? new BackpropRule() : new ActivationRelaxationRule(new RelaxationOptions(0.1, 10));

    private static Optimiser Optimiser(string name) => name == "sgd" ? new Sgd(0.01) : new Adam(0.01);

    private static (float[] X, float[] Y) Data()
    {
        var random = new Random(5);
        var x = Enumerable.Range(0, Batch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[Batch * 10];
        for (int s = 0; s < Batch; s++) y[s * 10 + s % 10] = 1f;
        return (x, y);
    }

    private static void AssertUnchanged(ParameterArrays<float> before, ParameterArrays<float> after)
    {
        for (int k = 0; k < before.Arrays.Length; k++) Assert.True(before.Arrays[k].AsSpan().SequenceEqual(after.Arrays[k]), "parameter " + k + " changed");
    }

    private static TException Step<TException>(string rule, int threads, string optimiser, ParameterArrays<float> p, float[] x, float[] y) where TException : Exception
    {
        var r = Rule(rule);
        using var state = r.CreateState<PaperMlp.Float32, float>(Batch, threads);
        var before = new ParameterArrays<float>(PaperMlp.Float32.Layout);
        before.CopyFrom(p);
        var e = Assert.Throws<TException>(() => r.Step(p, new CompiledBatch<float>(new[] { x }, y, Batch), Optimiser(optimiser), state));
        AssertUnchanged(before, p);
        return e;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_NaN_input_behind_a_ReLU_is_named_and_changes_nothing(string rule, int threads, string optimiser)
    {
        var (x, y) = Data();
        x[2 * 784 + 17] = float.NaN;
        var e = Step<ArgumentException>(rule, threads, optimiser, PaperMlp.Float32.Parameters.Initialise(1), x, y);
        Assert.Contains("Input 'x' holds NaN at sample 2 (element 17)", e.Message);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void An_infinite_target_is_named_and_changes_nothing(string rule, int threads, string optimiser)
    {
        var (x, y) = Data();
        y[3 * 10 + 4] = float.PositiveInfinity;
        var e = Step<ArgumentException>(rule, threads, optimiser, PaperMlp.Float32.Parameters.Initialise(1), x, y);
        Assert.Contains("targets hold ∞ at sample 3 (element 4)".Replace("∞", float.PositiveInfinity.ToString()), e.Message);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_NaN_weight_hidden_by_a_ReLU_is_named_and_changes_nothing(string rule, int threads, string optimiser)
    {
        var (x, y) = Data();
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        // A whole row of w1 at NaN: its pre-activation is NaN, the ReLU's mask turns it into 0, and the loss stays finite.
        for (int c = 0; c < 784; c++) p.W1[7 * 784 + c] = float.NaN;
        var e = Step<ArithmeticException>(rule, threads, optimiser, p, x, y);
        Assert.Contains("node 'h1_matvec'", e.Message);
        Assert.Contains("'w1'", e.Message);
    }

    [Fact]
    public void Two_finite_shard_losses_whose_sum_overflows_change_nothing()
    {
        var (x, y) = Data();
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        // Each sample's squared error is about 2e38 (finite in float32); two shards of two samples sum past float.MaxValue.
        p.B4[0] = 1.0e19f;
        var e = Step<ArithmeticException>("bp", 2, "sgd", p, x, y);
        Assert.Contains("loss", e.Message);
    }

    [Fact]
    public void The_reference_engine_rejects_non_finite_parameters_and_inputs()
    {
        var graph = PaperMlp.Graph;
        var set = ParameterSet.Initialise(graph, 1);
        var bad = set.Map((name, m) => name == "b2" ? m.MapIndexed((r, _, v) => r == 3 ? double.NaN : v) : m);
        var x = Matrix<double>.Build.Dense(784, 2, 0.5);
        var y = Matrix<double>.Build.Dense(10, 2, 0.0);
        var e = Assert.Throws<ArgumentException>(() => Forward.Run(graph, bad, Symbolic.Rules.Batch.Single("x", x, y)));
        Assert.Contains("Parameter 'b2' holds NaN at [3, 0]", e.Message);
        Assert.Throws<ArgumentException>(() => PaperMlp.Float32.Parameters.FromParameterSet(bad));
        x[5, 1] = double.NegativeInfinity;
        Assert.Contains("Input 'x'", Assert.Throws<ArgumentException>(() => Forward.Run(graph, set, Symbolic.Rules.Batch.Single("x", x, y))).Message);
    }

    [Fact]
    public void Invalid_settings_and_sizes_are_rejected_where_they_are_given()
    {
        var b = new GraphBuilder("g");
        var input = b.Input("x", 3);
        var h = b.Tanh(b.Linear(b.Weight("w", 2, 3), input, b.Bias("b", 2)), "h");
        Assert.Contains("loss 42, which is not a LossKind", Assert.Throws<GraphBuildException>(() => b.Build(h, (LossKind)42)).Message);

        Assert.Throws<ArgumentException>(() => new ActivationRelaxationRule(new RelaxationOptions(Schedule: (RelaxationSchedule)7)).CreateState<PaperMlp.Float32, float>(4));
        Assert.Throws<ArgumentException>(() => new ActivationRelaxationRule(new RelaxationOptions(Units: (UnitPlacement)(-1))).CreateState<PaperMlp.Float32, float>(4));
        Assert.Throws<ArgumentException>(() => new ActivationRelaxationRule(new RelaxationOptions(Eta: double.NaN)).CreateState<PaperMlp.Float32, float>(4));
        Assert.Throws<ArgumentException>(() => new ActivationRelaxationRule(new RelaxationOptions(Eta: 1.5)).CreateState<PaperMlp.Float32, float>(4));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Workspace<float>(PaperMlp.Float32.Layout, int.MaxValue / 100));
        Assert.Contains("the largest batch this graph allows is", e.Message);
    }
}
