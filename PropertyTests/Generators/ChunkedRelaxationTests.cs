using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// A relaxation computed a chunk of steps at a time (<see cref="RelaxationChunking"/>) runs the same iterates as one step
/// at a time: every unit, the steps run and the last residual, on the example graphs (a chain, a DAG with a gate, a fan-out
/// and a skip connection, a CNN), both schedules, both unit placements, with and without f′, chunks that divide the steps
/// and chunks that leave a remainder, and a tolerance that stops inside a chunk.
/// </summary>
public class ChunkedRelaxationTests
{
    public static TheoryData<RelaxationSchedule, UnitPlacement, bool, int> Cases()
    {
        var data = new TheoryData<RelaxationSchedule, UnitPlacement, bool, int>();
        foreach (var schedule in new[] { RelaxationSchedule.Synchronous, RelaxationSchedule.TopDown })
        {
            foreach (var units in new[] { UnitPlacement.Layers, UnitPlacement.EveryNode })
            {
                foreach (int chunk in new[] { 2, 3, 7, 50 }) data.Add(schedule, units, true, chunk);
                data.Add(schedule, units, false, 3);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PaperMlp_in_chunks_equals_step_by_step(RelaxationSchedule schedule, UnitPlacement units, bool derivative, int chunk) =>
        Compare<PaperMlp.Float64>(PaperMlp.Float64.Parameters.Initialise(3), 784, 3, schedule, units, derivative, chunk);

    [Theory]
    [MemberData(nameof(Cases))]
    public void GatedResidual_in_chunks_equals_step_by_step(RelaxationSchedule schedule, UnitPlacement units, bool derivative, int chunk) =>
        Compare<GatedResidual.Float64>(GatedResidual.Float64.Parameters.Initialise(2, Initialiser.Xavier), 16, 4, schedule, units, derivative, chunk);

    [Theory]
    [InlineData(RelaxationSchedule.Synchronous, UnitPlacement.Layers, 3)]
    [InlineData(RelaxationSchedule.TopDown, UnitPlacement.Layers, 7)]
    [InlineData(RelaxationSchedule.TopDown, UnitPlacement.EveryNode, 4)]
    public void PaperCnn_in_chunks_equals_step_by_step(RelaxationSchedule schedule, UnitPlacement units, int chunk) =>
        Compare<PaperCnn.Float64>(PaperCnn.Float64.Parameters.Initialise(5, Initialiser.Xavier), 784, 2, schedule, units, true, chunk);

    [Fact]
    public void Chunks_are_refused_where_the_steps_depend_on_the_units()
    {
        var ws = new Workspace<double>(PaperMlp.Float64.Layout, 1);
        var p = PaperMlp.Float64.Parameters.Initialise(1);
        var current = new RelaxationOptions(0.1, 5, 0, RelaxationSchedule.TopDown, JacobiansAtCurrentUnits: true);
        var closed = new RelaxationOptions(0.1, 5, 0, RelaxationSchedule.SynchronousClosedForm);
        Assert.Throws<ArgumentException>(() => GraphPasses<PaperMlp.Float64, double>.RelaxInChunksOf<TransposeWithDerivative<double>>(p, null, ws, 1, current, 2));
        Assert.Throws<ArgumentException>(() => GraphPasses<PaperMlp.Float64, double>.RelaxInChunksOf<TransposeWithDerivative<double>>(p, null, ws, 1, closed, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => GraphPasses<PaperMlp.Float64, double>.RelaxInChunksOf<TransposeWithDerivative<double>>(p, null, ws, 1, closed, 0));
    }

    private static void Compare<TGraph>(ParameterArrays<double> p, int inputs, int batch, RelaxationSchedule schedule, UnitPlacement units, bool derivative, int chunk)
        where TGraph : struct, ICompiledGraph<double>
    {
        const int Steps = 7;
        var layout = TGraph.Layout;
        var (x, y) = ExampleModelTests.Data(batch, inputs, layout.OutputSize, 11);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        var options = new RelaxationOptions(0.3, Steps, 0, schedule, units, UseDerivative: derivative);

        var (stepwise, stepwiseSteps, stepwiseResidual) = Relax<TGraph>(p, data, options, 1);
        Assert.Equal(Steps, stepwiseSteps);
        var (chunked, chunkedSteps, chunkedResidual) = Relax<TGraph>(p, data, options, chunk);
        Assert.Equal(Steps, chunkedSteps);
        AssertClose(stepwise, chunked, layout);
        Assert.Equal(stepwiseResidual, chunkedResidual, 1e-12 * stepwiseResidual);

        // A tolerance between the residuals of steps 4 and 5 stops both at step 5, inside a chunk for most chunk sizes.
        double fourth = Relax<TGraph>(p, data, options with { MaxIterations = 4 }, 1).Residual;
        double fifth = Relax<TGraph>(p, data, options with { MaxIterations = 5 }, 1).Residual;
        Assert.True(fifth < fourth, "the residual falls from step 4 to 5: " + fourth + ", " + fifth);
        var stopping = options with { Tolerance = Math.Sqrt(fourth * fifth) };
        var (stopped, stoppedSteps, stoppedResidual) = Relax<TGraph>(p, data, stopping, 1);
        var (chunkStopped, chunkStoppedSteps, chunkStoppedResidual) = Relax<TGraph>(p, data, stopping, chunk);
        Assert.Equal(5, stoppedSteps);
        Assert.Equal(5, chunkStoppedSteps);
        AssertClose(stopped, chunkStopped, layout);
        Assert.Equal(stoppedResidual, chunkStoppedResidual, 1e-12 * stoppedResidual);
    }

    private static (double[][] Units, int Steps, double Residual) Relax<TGraph>(ParameterArrays<double> p, CompiledBatch<double> data, RelaxationOptions options, int chunk)
        where TGraph : struct, ICompiledGraph<double>
    {
        var ws = new Workspace<double>(TGraph.Layout, data.Size);
        GraphPasses<TGraph, double>.Forward(p, data, ws);
        int steps = options.UseDerivative
            ? GraphPasses<TGraph, double>.RelaxInChunksOf<TransposeWithDerivative<double>>(p, null, ws, data.Size, options, chunk)
            : GraphPasses<TGraph, double>.RelaxInChunksOf<TransposeWithoutDerivative<double>>(p, null, ws, data.Size, options, chunk);
        Assert.Equal(steps, ws.LastIterations);
        var units = TGraph.Layout.ComputedIds.Select(id => ws.Units[id].Take(data.Size * TGraph.Layout.Sizes[id]).ToArray()).ToArray();
        return (units, steps, ws.LastResidual);
    }

    private static void AssertClose(double[][] expected, double[][] actual, GraphLayout layout)
    {
        for (int u = 0; u < expected.Length; u++)
        {
            double scale = expected[u].Select(Math.Abs).DefaultIfEmpty(0).Max();
            Assert.True(scale > 0, "unit of node " + layout.ComputedIds[u] + " is zero: the comparison would prove nothing");
            double worst = expected[u].Zip(actual[u], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-12 * scale, "node " + layout.Graph.Nodes[layout.ComputedIds[u]].Name + ": largest difference " + worst + " at scale " + scale);
        }
    }
}
