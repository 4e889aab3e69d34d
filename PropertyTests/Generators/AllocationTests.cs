using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>Generated training steps allocate nothing once the caller's workspace exists (counted, not timed).</summary>
public class AllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void PaperMlp_training_steps_allocate_nothing_after_warm_up(int batch)
    {
        var random = new Random(1);
        var x = Enumerable.Range(0, batch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[batch * 10];
        for (int s = 0; s < batch; s++) y[s * 10 + random.Next(10)] = 1f;
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        var ws = new PaperMlp.Float32.Workspace(batch);
        PaperMlp.Float32.TrainStepBackprop(p, x, y, batch, 1e-4f, ws);
        PaperMlp.Float32.TrainStepAr(p, x, y, batch, 1e-4f, 0.1f, 5, ws);
        PaperMlp.Float32.TrainStepAr(p, x, y, batch, 1e-4f, 0.1f, 5, ws, RelaxationSchedule.TopDown);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
        {
            PaperMlp.Float32.TrainStepBackprop(p, x, y, batch, 1e-4f, ws);
            PaperMlp.Float32.TrainStepAr(p, x, y, batch, 1e-4f, 0.1f, 5, ws);
            PaperMlp.Float32.TrainStepAr(p, x, y, batch, 1e-4f, 0.1f, 5, ws, RelaxationSchedule.TopDown);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
