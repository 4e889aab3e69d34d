using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Training;
using Xunit;

namespace Symbolic.PropertyTests.Training;

/// <summary>
/// <see cref="CompiledRuleState{TGraph, T}.ComputeUpdates"/> (a rule's update without applying it), the optimiser buffers a
/// state exposes and restores, and <see cref="UpdateProbe{TGraph, T}"/>, against the float64 reference engine.
/// </summary>
public sealed class UpdateProbeTests
{
    private const int Samples = 9;

    private static (double[][] Inputs, double[] Targets, Batch Reference) Data(int seed)
    {
        var data = SyntheticImages.Create(Samples, seed, "probe");
        var x = new double[Samples * 784];
        var y = new double[Samples * 10];
        var all = Enumerable.Range(0, Samples).ToArray();
        data.GatherImages<double>(all, x);
        data.OneHot<double>(all, y);
        var reference = Batch.Single("x", Matrix<double>.Build.Dense(784, Samples, (i, s) => x[s * 784 + i]), Matrix<double>.Build.Dense(10, Samples, (c, s) => y[s * 10 + c]));
        return (new[] { x }, y, reference);
    }

    private static double[][] Zeros() => PaperMlp.Float64.Layout.ParameterSizes.Select(n => new double[n]).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ComputeUpdates_equals_the_reference_rule_and_changes_nothing(int threads)
    {
        var (inputs, targets, reference) = Data(5);
        var p = PaperMlp.Float64.Parameters.Initialise(3);
        var before = p.Arrays.Select(a => a.ToArray()).ToArray();
        foreach (var rule in new LearningRule[] { new BackpropRule(), new ActivationRelaxationRule(new RelaxationOptions(0.1, 20, 0, RelaxationSchedule.TopDown)) })
        {
            using var state = rule.CreateState<PaperMlp.Float64, double>(Samples, threads);
            var updates = Zeros();
            double loss = state.ComputeUpdates(p, new CompiledBatch<double>(inputs, targets, Samples), updates);

            var expected = rule.Compute(PaperMlp.Graph, p.ToParameterSet(), reference);
            Assert.Equal(expected.Forward.LossValue, loss, 1e-9);
            var asArrays = new ParameterArrays<double>(PaperMlp.Float64.Layout);
            for (int k = 0; k < updates.Length; k++) updates[k].CopyTo(asArrays.Arrays[k], 0);
            var got = asArrays.ToParameterSet();
            foreach (var name in expected.Updates.Names)
            {
                var want = expected.Updates[name];
                double tolerance = 1e-9 * Math.Max(1, want.Enumerate().Max(Math.Abs));
                Assert.True((got[name] - want).Enumerate().All(d => Math.Abs(d) <= tolerance), $"{rule.Name} {name}: max difference {(got[name] - want).Enumerate().Max(Math.Abs)}");
            }
            for (int k = 0; k < before.Length; k++) Assert.Equal(before[k], p.Arrays[k]);
        }
    }

    [Fact]
    public void ComputeUpdates_rejects_a_destination_of_the_wrong_shape()
    {
        var (inputs, targets, _) = Data(5);
        var p = PaperMlp.Float64.Parameters.Initialise(3);
        using var state = new BackpropRule().CreateState<PaperMlp.Float64, double>(Samples);
        var wrong = Zeros();
        wrong[2] = new double[3];
        var e = Assert.Throws<ArgumentException>(() => state.ComputeUpdates(p, new CompiledBatch<double>(inputs, targets, Samples), wrong));
        Assert.Contains("one array per parameter", e.Message);
    }

    [Fact]
    public void The_probe_finds_backprop_at_zero_degrees_and_exact_AR_too()
    {
        var (inputs, targets, reference) = Data(6);
        var p = PaperMlp.Float64.Parameters.Initialise(4);
        var batch = new CompiledBatch<double>(inputs, targets, Samples);
        using (var bp = new UpdateProbe<PaperMlp.Float64, double>(new BackpropRule(), Samples))
        {
            var result = bp.Measure(p, batch);
            Assert.All(result.Angles, a => Assert.InRange(a, 0, 1e-5));
            Assert.All(result.RelativeDistance, d => Assert.InRange(d, 0, 1e-12));
            Assert.Equal(0, result.Iterations);
        }
        int depth = PaperMlp.Graph.LayerRelaxationDepth;
        using (var exact = new UpdateProbe<PaperMlp.Float64, double>(new ActivationRelaxationRule(new RelaxationOptions(1, depth, 0, RelaxationSchedule.Synchronous)), Samples))
        {
            var result = exact.Measure(p, batch);
            Assert.All(result.RelativeDistance, d => Assert.InRange(d, 0, 1e-9));
            Assert.Equal(depth, result.Iterations);
        }
        using (var few = new UpdateProbe<PaperMlp.Float64, double>(new ActivationRelaxationRule(new RelaxationOptions(0.1, 3, 0, RelaxationSchedule.Synchronous)), Samples))
        {
            // Three small steps leave the deepest unit far from its equilibrium: the probe must see it.
            var result = few.Measure(p, batch);
            Assert.True(result.Angles[0] > 1, "w1's angle after 3 steps at eta 0.1 is " + result.Angles[0]);
            Assert.True(result.Residual > 0);
        }
    }

    [Fact]
    public void A_state_exposes_its_moments_and_takes_restored_ones()
    {
        var (inputs, targets, _) = Data(7);
        var batch = new CompiledBatch<double>(inputs, targets, Samples);
        var adam = new Adam(1e-3);
        var p1 = PaperMlp.Float64.Parameters.Initialise(1);
        var p2 = PaperMlp.Float64.Parameters.Initialise(1);
        using var first = new BackpropRule().CreateState<PaperMlp.Float64, double>(Samples);
        Assert.Null(first.OptimiserBuffers);
        first.Step(p1, batch, adam);
        var saved = first.OptimiserBuffers!;
        Assert.Equal(1, saved.StepCount);

        using var second = new BackpropRule().CreateState<PaperMlp.Float64, double>(Samples);
        var copy = Rules.Checkpoints.Checkpoint.Capture(p1, saved, 1, 0).CreateBuffers<double>(adam, PaperMlp.Float64.Layout);
        second.RestoreOptimiserBuffers(adam, copy);
        p2.CopyFrom(p1);
        first.Step(p1, batch, adam);
        second.Step(p2, batch, adam);
        for (int k = 0; k < p1.Arrays.Length; k++) Assert.Equal(p1.Arrays[k], p2.Arrays[k]);

        var e = Assert.Throws<ArgumentException>(() => second.RestoreOptimiserBuffers(new Momentum(0.1), copy));
        Assert.Contains("keeps 1", e.Message);
    }
}
