using System;
using System.Linq;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The generated primitives of the example models (compiled by the generator as an analyzer of examples/Models), run
/// through the generic passes and rules: AR's updates equal backprop's gradients, and backprop equals the reference engine.
/// </summary>
public class ExampleModelTests
{
    /// <summary>Uniform inputs and one-hot targets, row-major per sample.</summary>
    internal static (double[] X, double[] Y) Data(int batch, int inputs, int outputs, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, batch * inputs).Select(_ => random.NextDouble()).ToArray();
        var y = new double[batch * outputs];
        for (int s = 0; s < batch; s++) y[s * outputs + random.Next(outputs)] = 1.0;
        return (x, y);
    }

    /// <summary>Per-parameter arrays (parameters or gradients, by parameter index) concatenated, as doubles.</summary>
    internal static double[] Flatten<T>(T[][] arrays) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        arrays.SelectMany(a => a).Select(double.CreateChecked).ToArray();

    /// <summary>The workspace's gradients (or AR updates) as a parameter set of the graph.</summary>
    internal static ParameterSet GradientSet<T>(Workspace<T> ws) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var copy = new ParameterArrays<T>(ws.Layout);
        for (int k = 0; k < copy.Arrays.Length; k++) ws.Gradients[k].CopyTo(copy.Arrays[k], 0);
        return copy.ToParameterSet();
    }

    [Theory]
    [InlineData(RelaxationSchedule.Synchronous, UnitPlacement.Layers)]
    [InlineData(RelaxationSchedule.Synchronous, UnitPlacement.EveryNode)]
    [InlineData(RelaxationSchedule.TopDown, UnitPlacement.Layers)]
    public void PaperMlp_ar_equals_backprop_float64(RelaxationSchedule schedule, UnitPlacement units)
    {
        const int Batch = 4;
        var (x, y) = Data(Batch, 784, 10, 1);
        var p = PaperMlp.Float64.Parameters.Initialise(3);
        var ws = new Workspace<double>(PaperMlp.Float64.Layout, Batch);
        var data = new CompiledBatch<double>(new[] { x }, y, Batch);
        GraphPasses<PaperMlp.Float64, double>.Forward(p, data, ws);
        GraphPasses<PaperMlp.Float64, double>.Backprop(p, ws, Batch);
        var backprop = Flatten(ws.Gradients);
        Assert.Contains(backprop, v => v != 0);

        // eta = 1: exact after the unit depth (synchronous) or one sweep (top-down).
        int depth = units == UnitPlacement.Layers ? PaperMlp.Float64.LayerRelaxationDepth : PaperMlp.Float64.RelaxationDepth;
        int steps = schedule == RelaxationSchedule.TopDown ? 1 : depth;
        Assert.Equal(steps, GraphPasses<PaperMlp.Float64, double>.Relax(p, ws, Batch, new RelaxationOptions(1.0, steps, 0, schedule, units)));
        GraphPasses<PaperMlp.Float64, double>.ArUpdates(ws, Batch);
        Comparison.Close("AR(eta 1) vs backprop", Flatten(ws.Gradients), backprop, 1e-12);

        // The authors' eta = 0.1 and 100 steps with layer units: close to backprop. A unit on every node has a longer
        // transient (depth 10 rather than 4), so it gets 300 steps.
        int budget = units == UnitPlacement.Layers ? 100 : 300;
        GraphPasses<PaperMlp.Float64, double>.Relax(p, ws, Batch, new RelaxationOptions(0.1, budget, 0, schedule, units));
        GraphPasses<PaperMlp.Float64, double>.ArUpdates(ws, Batch);
        Comparison.Close("AR(eta 0.1) vs backprop", Flatten(ws.Gradients), backprop, 1e-2);
    }

    [Fact]
    public void PaperMlp_float32_ar_equals_backprop_and_backprop_equals_the_reference()
    {
        const int Batch = 3;
        var (x, y) = Data(Batch, 784, 10, 2);
        var p32 = PaperMlp.Float32.Parameters.Initialise(5);
        var ws = new Workspace<float>(PaperMlp.Float32.Layout, Batch);
        var data = new CompiledBatch<float>(new[] { x.Select(v => (float)v).ToArray() }, y.Select(v => (float)v).ToArray(), Batch);
        GraphPasses<PaperMlp.Float32, float>.Forward(p32, data, ws);
        GraphPasses<PaperMlp.Float32, float>.Backprop(p32, ws, Batch);
        var backprop = Flatten(ws.Gradients);
        GraphPasses<PaperMlp.Float32, float>.Relax(p32, ws, Batch, new RelaxationOptions(1.0, PaperMlp.Float32.LayerRelaxationDepth, 0, RelaxationSchedule.Synchronous));
        GraphPasses<PaperMlp.Float32, float>.ArUpdates(ws, Batch);
        Comparison.Close("float32 AR vs backprop", Flatten(ws.Gradients), backprop, 1e-5);

        // Against the reference engine on the same graph and the same initial values.
        var set = ParameterSet.Initialise(PaperMlp.Graph, 5);
        var batch = MakeBatch(PaperMlp.Graph.InputIds.Select(id => PaperMlp.Graph.Nodes[id].Name).Single(), x, y, 784, 10, Batch);
        var reference = Symbolic.Rules.Backprop.Run(Forward.Run(PaperMlp.Graph, set, batch)).ParameterGradients;
        var expected = new[] { "w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4" }.SelectMany(n => Comparison.RowMajor(reference[n])).ToArray();
        Comparison.Close("float32 backprop vs reference", backprop, expected, 1e-4);
    }

    private static Symbolic.Rules.Batch MakeBatch(string input, double[] x, double[] y, int inputs, int outputs, int batch) =>
        Symbolic.Rules.Batch.Single(input,
            Matrix<double>.Build.Dense(inputs, batch, (i, s) => x[s * inputs + i]),
            Matrix<double>.Build.Dense(outputs, batch, (i, s) => y[s * outputs + i]));

    [Theory]
    [InlineData(RelaxationSchedule.Synchronous, UnitPlacement.Layers)]
    [InlineData(RelaxationSchedule.TopDown, UnitPlacement.EveryNode)]
    public void GatedResidual_ar_equals_backprop_and_the_reference(RelaxationSchedule schedule, UnitPlacement units)
    {
        const int Batch = 5;
        var (x, y) = Data(Batch, 16, 5, 3);
        var set = ParameterSet.Initialise(GatedResidual.Graph, 11, Initialiser.Xavier);
        var p = GatedResidual.Float64.Parameters.FromParameterSet(set);
        var ws = new Workspace<double>(GatedResidual.Float64.Layout, 8);
        Assert.Single(GatedResidual.Float64.Layout.InputIds);
        double loss = GraphPasses<GatedResidual.Float64, double>.Forward(p, new CompiledBatch<double>(new[] { x }, y, Batch), ws);
        GraphPasses<GatedResidual.Float64, double>.Backprop(p, ws, Batch);
        var backprop = GradientSet(ws);

        var record = Forward.Run(GatedResidual.Graph, set, MakeBatch("x", x, y, 16, 5, Batch));
        Assert.Equal(record.LossValue, loss, 1e-10);
        Assert.True(backprop.MaxRelativeDifference(Symbolic.Rules.Backprop.Run(record).ParameterGradients) < 1e-12);

        int steps = schedule == RelaxationSchedule.TopDown ? 1 : units == UnitPlacement.Layers ? GatedResidual.Float64.LayerRelaxationDepth : GatedResidual.Float64.RelaxationDepth;
        GraphPasses<GatedResidual.Float64, double>.Relax(p, ws, Batch, new RelaxationOptions(1.0, steps, 0, schedule, units));
        GraphPasses<GatedResidual.Float64, double>.ArUpdates(ws, Batch);
        Assert.True(GradientSet(ws).MaxRelativeDifference(backprop) < 1e-12);
    }

    [Theory]
    [InlineData(RelaxationSchedule.Synchronous, UnitPlacement.Layers)]
    [InlineData(RelaxationSchedule.Synchronous, UnitPlacement.EveryNode)]
    [InlineData(RelaxationSchedule.TopDown, UnitPlacement.Layers)]
    public void PaperCnn_backprop_equals_the_reference_and_ar_equals_backprop(RelaxationSchedule schedule, UnitPlacement units)
    {
        const int Batch = 3;
        var (x, y) = Data(Batch, 784, 10, 6);
        var set = ParameterSet.Initialise(PaperCnn.Graph, 13, Initialiser.Xavier).Map((name, m) => name.StartsWith('b') ? m.Map(_ => 0.1) : m);
        var p = PaperCnn.Float64.Parameters.FromParameterSet(set);
        var ws = new Workspace<double>(PaperCnn.Float64.Layout, Batch);
        double loss = GraphPasses<PaperCnn.Float64, double>.Forward(p, new CompiledBatch<double>(new[] { x }, y, Batch), ws);
        GraphPasses<PaperCnn.Float64, double>.Backprop(p, ws, Batch);
        var backprop = GradientSet(ws);

        var record = Forward.Run(PaperCnn.Graph, set, MakeBatch("x", x, y, 784, 10, Batch));
        Assert.Equal(record.LossValue, loss, 1e-9);
        var reference = Symbolic.Rules.Backprop.Run(record).ParameterGradients;
        Assert.True(backprop.MaxRelativeDifference(reference) < 1e-12, "compiled vs reference backprop: " + backprop.MaxRelativeDifference(reference));
        foreach (var name in new[] { "k1", "k2", "w3" }) Assert.Contains(backprop[name].Enumerate(), v => v != 0);

        // Layer units at the first conv layer's activation, at the pool, at the flatten (the second conv layer's activation is
        // interior to it: a flatten only reshapes) and at each dense layer's output.
        var layerUnits = PaperCnn.Graph.LayerUnitIds.Select(id => PaperCnn.Graph.Nodes[id].Name).ToArray();
        Assert.True(layerUnits.SequenceEqual(new[] { "c1", "p1", "h3_flatten", "h3", "h4", "output" }), string.Join(", ", layerUnits));
        int steps = schedule == RelaxationSchedule.TopDown ? 1 : units == UnitPlacement.Layers ? PaperCnn.Float64.LayerRelaxationDepth : PaperCnn.Float64.RelaxationDepth;
        GraphPasses<PaperCnn.Float64, double>.Relax(p, ws, Batch, new RelaxationOptions(1.0, steps, 0, schedule, units));
        GraphPasses<PaperCnn.Float64, double>.ArUpdates(ws, Batch);
        Assert.True(GradientSet(ws).MaxRelativeDifference(backprop) < 1e-12, "AR(eta 1) vs backprop: " + GradientSet(ws).MaxRelativeDifference(backprop));
    }

    [Fact]
    public void Training_steps_lower_the_loss_with_both_rules()
    {
        const int Batch = 8;
        var (x, y) = Data(Batch, 16, 5, 4);
        var data = new CompiledBatch<float>(new[] { x.Select(v => (float)v).ToArray() }, y.Select(v => (float)v).ToArray(), Batch);
        var sgd = new Sgd(0.05);
        foreach (LearningRule rule in new LearningRule[] { new BackpropRule(), new ActivationRelaxationRule(new RelaxationOptions(0.5, 20, 0, RelaxationSchedule.Synchronous, UnitPlacement.Layers)) })
        {
            var p = GatedResidual.Float32.Parameters.Initialise(2, Initialiser.Xavier);
            using var state = rule.CreateState<GatedResidual.Float32, float>(Batch);
            float first = 0, last = 0;
            for (int step = 0; step < 30; step++)
            {
                last = rule.Step(p, data, sgd, state);
                if (step == 0) first = last;
            }
            Assert.True(last < 0.8f * first, rule.Name + ": loss " + first + " -> " + last);
        }
    }
}
