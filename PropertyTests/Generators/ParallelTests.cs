using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The rules' data-parallel steps through the generated primitives equal the single-threaded steps (samples are
/// independent; only the gradient sum is reordered), and the fused SGD step equals the gradient passes then SGD.
/// </summary>
public class ParallelTests
{
    private static (double[] X, double[] Y) Data(int batch, int inputs, int outputs, int seed) => ExampleModelTests.Data(batch, inputs, outputs, seed);

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 7)]
    [InlineData(3, 2)]
    [InlineData(2, 1)]
    public void PaperMlp_parallel_steps_equal_single_threaded_steps(int threads, int batch)
    {
        var (x, y) = Data(batch, 784, 10, threads * 10 + batch);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        var single = PaperMlp.Float64.Parameters.Initialise(4);
        var shared = PaperMlp.Float64.Parameters.Initialise(4);
        var sgd = new Sgd(1e-3);
        var ar = new ActivationRelaxationRule(new RelaxationOptions(0.1, 20, 0, RelaxationSchedule.TopDown));
        var bp = new BackpropRule();
        using var arSingle = ar.CreateState<PaperMlp.Float64, double>(batch, threads: 1);
        using var bpSingle = bp.CreateState<PaperMlp.Float64, double>(batch, threads: 1);
        using var arParallel = ar.CreateState<PaperMlp.Float64, double>(batch, threads);
        using var bpParallel = bp.CreateState<PaperMlp.Float64, double>(batch, threads);
        Assert.Equal(threads, arParallel.Threads);
        for (int step = 0; step < 2; step++)
        {
            double l1 = ar.Step(single, data, sgd, arSingle);
            double l2 = ar.Step(shared, data, sgd, arParallel);
            Assert.Equal(l1, l2, 1e-10);
            l1 = bp.Step(single, data, sgd, bpSingle);
            l2 = bp.Step(shared, data, sgd, bpParallel);
            Assert.Equal(l1, l2, 1e-10);
        }
        var a = new[] { single.W1, single.B1, single.W2, single.B2, single.W3, single.B3, single.W4, single.B4 }.SelectMany(v => v).ToArray();
        var b = new[] { shared.W1, shared.B1, shared.W2, shared.B2, shared.W3, shared.B3, shared.W4, shared.B4 }.SelectMany(v => v).ToArray();
        Comparison.Close("parallel vs single-threaded parameters", b, a, 1e-12);
    }

    [Fact]
    public void GatedResidual_parallel_step_equals_single_threaded_step()
    {
        const int batch = 9;
        var (x, y) = Data(batch, 16, 5, 3);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        var single = GatedResidual.Float64.Parameters.Initialise(2, Initialiser.Xavier);
        var shared = GatedResidual.Float64.Parameters.Initialise(2, Initialiser.Xavier);
        var rule = new ActivationRelaxationRule(new RelaxationOptions(0.2, 30, 0, RelaxationSchedule.Synchronous, UnitPlacement.Layers));
        using var one = rule.CreateState<GatedResidual.Float64, double>(batch, threads: 1);
        using var two = rule.CreateState<GatedResidual.Float64, double>(batch, threads: 2);
        rule.Step(single, data, new Sgd(1e-2), one);
        rule.Step(shared, data, new Sgd(1e-2), two);
        Comparison.Close("wIn", shared.WIn, single.WIn, 1e-12);
        Comparison.Close("wOut", shared.WOut, single.WOut, 1e-12);
    }

    [Fact]
    public void Parallel_rejects_a_batch_beyond_its_capacity()
    {
        var rule = new BackpropRule();
        using var parallel = rule.CreateState<PaperMlp.Float32, float>(4, threads: 2);
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        var sgd = new Sgd(0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.Step(p, new CompiledBatch<float>(new[] { new float[5 * 784] }, new float[50], 5), sgd, parallel));
        Assert.Throws<ArgumentException>(() => rule.Step(p, new CompiledBatch<float>(new[] { new float[3 * 784] }, new float[20], 3), sgd, parallel));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fused_training_steps_equal_gradient_then_sgd(bool ar)
    {
        const int batch = 6;
        const double lr = 0.05;
        var (x, y) = Data(batch, 16, 5, 11);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        var fused = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
        var plain = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
        var options = new RelaxationOptions(0.3, 12, 0, RelaxationSchedule.TopDown);
        LearningRule rule = ar ? new ActivationRelaxationRule(options) : new BackpropRule();
        using var state = rule.CreateState<GatedResidual.Float64, double>(batch);
        var ws = new Workspace<double>(GatedResidual.Float64.Layout, batch);
        var sgd = new Sgd(lr);
        for (int step = 0; step < 3; step++)
        {
            rule.Step(fused, data, sgd, state);
            GraphPasses<GatedResidual.Float64, double>.Forward(plain, data, ws);
            if (ar)
            {
                GraphPasses<GatedResidual.Float64, double>.Relax(plain, ws, batch, options);
                GraphPasses<GatedResidual.Float64, double>.ArUpdates(ws, batch);
            }
            else
            {
                GraphPasses<GatedResidual.Float64, double>.Backprop(plain, ws, batch);
            }
            for (int k = 0; k < plain.Arrays.Length; k++)
            {
                for (int i = 0; i < plain.Arrays[k].Length; i++) plain.Arrays[k][i] -= lr * ws.Gradients[k][i];
            }
        }
        Comparison.Close("wIn", fused.WIn, plain.WIn, 1e-12);
        Comparison.Close("bIn", fused.BIn, plain.BIn, 1e-12);
        Comparison.Close("wGate", fused.WGate, plain.WGate, 1e-12);
        Comparison.Close("wCand", fused.WCand, plain.WCand, 1e-12);
        Comparison.Close("wOut", fused.WOut, plain.WOut, 1e-12);
        Comparison.Close("bOut", fused.BOut, plain.BOut, 1e-12);
        Assert.NotEqual(GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier).WIn, fused.WIn);
    }

    public static TheoryData<string> Optimisers => new() { "adam", "momentum", "nesterov" };

    private static Optimiser MakeOptimiser(string name) => name switch
    {
        "adam" => new Adam(1e-2),
        "momentum" => new Momentum(0.05),
        "nesterov" => new Momentum(0.05, 0.9, WeightDecay: 1e-3, Nesterov: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown optimiser."),
    };

    [Theory]
    [MemberData(nameof(Optimisers))]
    public void Optimiser_steps_on_two_threads_equal_one_thread(string optimiserName)
    {
        const int batch = 9;
        var (x, y) = Data(batch, 16, 5, 21);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        foreach (LearningRule rule in new LearningRule[] { new BackpropRule(), new ActivationRelaxationRule(new RelaxationOptions(0.2, 30, 0, RelaxationSchedule.TopDown)) })
        {
            var optimiser = MakeOptimiser(optimiserName);
            var single = GatedResidual.Float64.Parameters.Initialise(5, Initialiser.Xavier);
            var shared = GatedResidual.Float64.Parameters.Initialise(5, Initialiser.Xavier);
            using var one = rule.CreateState<GatedResidual.Float64, double>(batch, threads: 1);
            using var two = rule.CreateState<GatedResidual.Float64, double>(batch, threads: 2);
            Assert.Equal(2, two.Threads);
            // Several steps, so the moments carry over from one step to the next.
            for (int step = 0; step < 4; step++)
            {
                double l1 = rule.Step(single, data, optimiser, one);
                double l2 = rule.Step(shared, data, optimiser, two);
                Assert.Equal(l1, l2, 1e-10);
            }
            string what = rule.Name + " with " + optimiser + ": ";
            Comparison.Close(what + "2 threads vs 1", ExampleModelTests.Flatten(shared.Arrays), ExampleModelTests.Flatten(single.Arrays), 1e-12);
            Assert.NotEqual(GatedResidual.Float64.Parameters.Initialise(5, Initialiser.Xavier).WIn, single.WIn);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_state_rejects_a_second_optimiser_type(int threads)
    {
        const int batch = 4;
        var (x, y) = Data(batch, 16, 5, 22);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        foreach (LearningRule rule in new LearningRule[] { new BackpropRule(), new ActivationRelaxationRule() })
        {
            var p = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
            using var state = rule.CreateState<GatedResidual.Float64, double>(batch, threads);
            rule.Step(p, data, new Adam(1e-3), state);
            // Another Adam (other settings) shares the moments' layout: accepted.
            rule.Step(p, data, new Adam(1e-4), state);
            var before = ExampleModelTests.Flatten(p.Arrays);
            var e = Assert.Throws<InvalidOperationException>(() => rule.Step(p, data, new Momentum(1e-3), state));
            Assert.Contains("Adam", e.Message);
            Assert.Equal(before, ExampleModelTests.Flatten(p.Arrays));
        }
    }

    [Fact]
    public void A_non_finite_input_stops_the_step_before_any_parameter_changes()
    {
        const int batch = 4;
        var (x, y) = Data(batch, 16, 5, 12);
        x[5] = double.NaN;
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        var p = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
        var before = ExampleModelTests.Flatten(p.Arrays);
        var sgd = new Sgd(0.1);
        var bp = new BackpropRule();
        var ar = new ActivationRelaxationRule(new RelaxationOptions(0.1, 5, 0));
        using (var state = bp.CreateState<GatedResidual.Float64, double>(batch))
        {
            var e = Assert.Throws<ArgumentException>(() => bp.Step(p, data, sgd, state));
            Assert.Contains("Input 'x' holds NaN at sample 0 (element 5)", e.Message);
            Assert.Contains("left unchanged", e.Message);
            Assert.Throws<ArgumentException>(() => bp.Step(p, data, new Adam(0.1), state));
        }
        using (var state = ar.CreateState<GatedResidual.Float64, double>(batch))
        {
            Assert.Throws<ArgumentException>(() => ar.Step(p, data, sgd, state));
        }
        using (var parallel = ar.CreateState<GatedResidual.Float64, double>(batch, threads: 2))
        {
            Assert.Throws<ArgumentException>(() => ar.Step(p, data, sgd, parallel));
            Assert.Throws<ArgumentException>(() => ar.Step(p, data, new Momentum(0.1), parallel));
        }
        using (var parallel = bp.CreateState<GatedResidual.Float64, double>(batch, threads: 2))
        {
            Assert.Throws<ArgumentException>(() => bp.Step(p, data.Slice(0, 1), sgd, parallel));
        }
        Assert.Equal(before, ExampleModelTests.Flatten(p.Arrays));
    }
}
