using System;
using System.Linq;
using System.Numerics;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Optimisers;

/// <summary>The compiled engine allocates nothing per step once its buffers exist (counted, not timed).</summary>
public class OptimiserAllocationTests
{
    private static readonly Optimiser[] All =
    {
        new Sgd(0.01), new Sgd(0.01, 1e-3), new Momentum(0.01), new Momentum(0.01, 0.5, 1e-3, Nesterov: true),
        new Adam(1e-3), new Adam(1e-3, WeightDecay: 1e-2), Adam.GaitProp(1e-4),
    };

    [Fact]
    public void BeginStepApplyAndAllFiniteAllocateNothingAfterWarmUp()
    {
        Check<double>();
        Check<float>();
    }

    private static void Check<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var random = new Random(9);
        var parameter = Enumerable.Range(0, 1003).Select(_ => T.CreateTruncating(random.NextDouble())).ToArray();
        var gradient = Enumerable.Range(0, 1003).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5)).ToArray();
        foreach (var optimiser in All)
        {
            var buffers = optimiser.CreateBuffers<T>(new[] { 7, parameter.Length });
            void OneStep()
            {
                optimiser.BeginStep(buffers);
                if (!Optimiser.AllFinite<T>(gradient)) throw new InvalidOperationException("The test gradient is finite.");
                optimiser.Apply<T>(1, parameter, gradient, buffers, 0, 500);
                optimiser.Apply<T>(1, parameter, gradient, buffers, 500, parameter.Length - 500);
            }
            OneStep();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) OneStep();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{optimiser} ({typeof(T).Name}) allocated {allocated} bytes in 5 steps.");
        }
    }
}
