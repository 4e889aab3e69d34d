using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Graph;
using Symbolic.Rules;

namespace Symbolic.Cli.Bench;

/// <summary>
/// Full training steps through the code the source generator emitted for the declared example graphs (float32):
/// the single-threaded static steps at one thread, the emitted data-parallel trainer above one.
/// </summary>
public static class GeneratedCases
{
    /// <summary>The rules a generated case can run: "bp", "ar" (synchronous), "ar-topdown", "ar-sync-exact" (eta 1, unit-depth steps).</summary>
    public static RelaxationSchedule Schedule(string rule) => rule == "ar-topdown" ? RelaxationSchedule.TopDown : RelaxationSchedule.Synchronous;

    /// <summary>Multiply-adds per sample of a training step, counted from the graph: the forward products, then for
    /// backprop the weight gradients and the cotangents of every product whose input is not a graph input; for AR the
    /// weight updates plus, per relaxation step, those same input-side products.</summary>
    public static double Macs(ComputationGraph graph, string rule, int steps)
    {
        var products = graph.Nodes.Where(n => n.Op == OpKind.MatVec).ToArray();
        double forward = products.Sum(n => (double)graph.Nodes[n.Inputs[0]].Shape.Size);
        double backward = products.Where(n => graph.Nodes[n.Inputs[1]].Op != OpKind.Input).Sum(n => (double)graph.Nodes[n.Inputs[0]].Shape.Size);
        return rule == "bp" ? 2 * forward + backward : 2 * forward + steps * backward;
    }

    /// <summary>Sets up a PaperMlp case.</summary>
    public static CaseRun PaperMlpSetup(BenchCase c)
    {
        var random = new Random(2);
        var x = Enumerable.Range(0, c.Batch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[c.Batch * 10];
        for (int s = 0; s < c.Batch; s++) y[s * 10 + random.Next(10)] = 1f;
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        const float lr = 1e-5f;
        var schedule = Schedule(c.Rule);
        float eta = (float)c.Eta;
        if (c.Threads == 1)
        {
            var ws = new PaperMlp.Float32.Workspace(c.Batch);
            Action step = c.Rule == "bp"
                ? () => PaperMlp.Float32.TrainStepBackprop(p, x, y, c.Batch, lr, ws)
                : () => PaperMlp.Float32.TrainStepAr(p, x, y, c.Batch, lr, eta, c.Steps, ws, schedule);
            return new CaseRun(step, () => c.Steps);
        }
        var parallel = new PaperMlp.Float32.Parallel(c.Threads, c.Batch);
        Action parallelStep = c.Rule == "bp"
            ? () => parallel.TrainStepBackprop(p, x, y, c.Batch, lr)
            : () => parallel.TrainStepAr(p, x, y, c.Batch, lr, eta, c.Steps, schedule);
        return new CaseRun(parallelStep, () => c.Steps, parallel);
    }

    /// <summary>Sets up a GatedResidual case (the non-chain example: gate, skip connection, fan-out).</summary>
    public static CaseRun GatedResidualSetup(BenchCase c)
    {
        var random = new Random(3);
        var x = Enumerable.Range(0, c.Batch * 16).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[c.Batch * 5];
        for (int s = 0; s < c.Batch; s++) y[s * 5 + random.Next(5)] = 1f;
        var p = GatedResidual.Float32.Parameters.Initialise(1, Initialiser.Xavier);
        const float lr = 1e-4f;
        var schedule = Schedule(c.Rule);
        float eta = (float)c.Eta;
        if (c.Threads == 1)
        {
            var ws = new GatedResidual.Float32.Workspace(c.Batch);
            Action step = c.Rule == "bp"
                ? () => GatedResidual.Float32.TrainStepBackprop(p, x, y, c.Batch, lr, ws)
                : () => GatedResidual.Float32.TrainStepAr(p, x, y, c.Batch, lr, eta, c.Steps, ws, schedule);
            return new CaseRun(step, () => c.Steps);
        }
        var parallel = new GatedResidual.Float32.Parallel(c.Threads, c.Batch);
        Action parallelStep = c.Rule == "bp"
            ? () => parallel.TrainStepBackprop(p, x, y, c.Batch, lr)
            : () => parallel.TrainStepAr(p, x, y, c.Batch, lr, eta, c.Steps, schedule);
        return new CaseRun(parallelStep, () => c.Steps, parallel);
    }
}
