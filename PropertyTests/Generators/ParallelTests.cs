using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>The generated data-parallel steps equal the single-threaded steps (samples are independent; only the gradient sum is reordered).</summary>
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
        var single = PaperMlp.Float64.Parameters.Initialise(4);
        var shared = PaperMlp.Float64.Parameters.Initialise(4);
        var ws = new PaperMlp.Float64.Workspace(batch);
        using var parallel = new PaperMlp.Float64.Parallel(threads, batch);
        for (int step = 0; step < 2; step++)
        {
            double l1 = PaperMlp.Float64.TrainStepAr(single, x, y, batch, 1e-3, 0.1, 20, ws, RelaxationSchedule.TopDown);
            double l2 = parallel.TrainStepAr(shared, x, y, batch, 1e-3, 0.1, 20, RelaxationSchedule.TopDown);
            Assert.Equal(l1, l2, 1e-10);
            l1 = PaperMlp.Float64.TrainStepBackprop(single, x, y, batch, 1e-3, ws);
            l2 = parallel.TrainStepBackprop(shared, x, y, batch, 1e-3);
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
        var single = GatedResidual.Float64.Parameters.Initialise(2, Initialiser.Xavier);
        var shared = GatedResidual.Float64.Parameters.Initialise(2, Initialiser.Xavier);
        using var parallel = new GatedResidual.Float64.Parallel(2, batch);
        GatedResidual.Float64.TrainStepAr(single, x, y, batch, 1e-2, 0.2, 30, new GatedResidual.Float64.Workspace(batch));
        parallel.TrainStepAr(shared, x, y, batch, 1e-2, 0.2, 30);
        Comparison.Close("wIn", shared.WIn, single.WIn, 1e-12);
        Comparison.Close("wOut", shared.WOut, single.WOut, 1e-12);
    }

    [Fact]
    public void Parallel_rejects_a_batch_beyond_its_capacity()
    {
        using var parallel = new PaperMlp.Float32.Parallel(2, 4);
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => parallel.TrainStepBackprop(p, new float[5 * 784], new float[50], 5, 0.1f));
        Assert.Throws<ArgumentException>(() => parallel.TrainStepBackprop(p, new float[3 * 784], new float[20], 3, 0.1f));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fused_training_steps_equal_gradient_then_sgd(bool ar)
    {
        const int batch = 6;
        var (x, y) = Data(batch, 16, 5, 11);
        var fused = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
        var plain = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
        var ws = new GatedResidual.Float64.Workspace(batch);
        for (int step = 0; step < 3; step++)
        {
            if (ar)
            {
                GatedResidual.Float64.TrainStepAr(fused, x, y, batch, 0.05, 0.3, 12, ws, RelaxationSchedule.TopDown);
                GatedResidual.Float64.Forward(plain, x, y, batch, ws);
                GatedResidual.Float64.Relax(plain, batch, 0.3, 12, 0, RelaxationSchedule.TopDown, ws);
                GatedResidual.Float64.ArUpdates(batch, ws);
            }
            else
            {
                GatedResidual.Float64.TrainStepBackprop(fused, x, y, batch, 0.05, ws);
                GatedResidual.Float64.Forward(plain, x, y, batch, ws);
                GatedResidual.Float64.Backprop(plain, batch, ws);
            }
            GatedResidual.Float64.ApplySgd(plain, ws.Gradients, 0.05);
        }
        Comparison.Close("wIn", fused.WIn, plain.WIn, 1e-12);
        Comparison.Close("bIn", fused.BIn, plain.BIn, 1e-12);
        Comparison.Close("wGate", fused.WGate, plain.WGate, 1e-12);
        Comparison.Close("wCand", fused.WCand, plain.WCand, 1e-12);
        Comparison.Close("wOut", fused.WOut, plain.WOut, 1e-12);
        Comparison.Close("bOut", fused.BOut, plain.BOut, 1e-12);
        Assert.NotEqual(GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier).WIn, fused.WIn);
    }

    [Fact]
    public void A_non_finite_loss_stops_the_step_before_any_parameter_changes()
    {
        const int batch = 4;
        var (x, y) = Data(batch, 16, 5, 12);
        x[5] = double.NaN;
        var p = GatedResidual.Float64.Parameters.Initialise(3, Initialiser.Xavier);
        var before = p.WIn.ToArray();
        var ws = new GatedResidual.Float64.Workspace(batch);
        var e = Assert.Throws<ArithmeticException>(() => GatedResidual.Float64.TrainStepBackprop(p, x, y, batch, 0.1, ws));
        Assert.Contains("left unchanged", e.Message);
        Assert.Throws<ArithmeticException>(() => GatedResidual.Float64.TrainStepAr(p, x, y, batch, 0.1, 0.1, 5, ws));
        using var parallel = new GatedResidual.Float64.Parallel(2, batch);
        Assert.Throws<ArithmeticException>(() => parallel.TrainStepAr(p, x, y, batch, 0.1, 0.1, 5));
        Assert.Throws<ArithmeticException>(() => parallel.TrainStepBackprop(p, x, y, 1, 0.1));
        Assert.Equal(before, p.WIn);
    }
}
