using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>Compiled training steps allocate nothing once the rule's state exists (counted, not timed).</summary>
public class AllocationTests
{
    private const int WarmUpSteps = 2;

    private const int MaxWindows = 10;

    /// <summary>
    /// Backprop and AR (synchronous, top-down and the synchronous closed form) on PaperMlp in float32, with plain SGD (fused
    /// into the products) or Adam (gradients, then its update), on one thread or two. Every state, batch and optimiser is
    /// made before the count; warm-up steps let the closed form allocate its per-workspace buffers (and the JIT
    /// compile every path). GC.GetAllocatedBytesForCurrentThread counts the calling thread only: with two threads it covers the
    /// caller's shard, its share of the row updates and the pool's dispatch, not what the worker thread may allocate.
    /// </summary>
    [Theory]
    [InlineData(1, 1, "sgd")]
    [InlineData(8, 1, "sgd")]
    [InlineData(1, 1, "adam")]
    [InlineData(8, 1, "adam")]
    [InlineData(1, 2, "sgd")]
    [InlineData(8, 2, "sgd")]
    [InlineData(8, 2, "adam")]
    public void PaperMlp_training_steps_allocate_nothing_after_warm_up(int batch, int threads, string optimiserName)
    {
        var random = new Random(1);
        var x = Enumerable.Range(0, batch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[batch * 10];
        for (int s = 0; s < batch; s++) y[s * 10 + random.Next(10)] = 1f;
        var data = new CompiledBatch<float>(new[] { x }, y, batch);
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        Optimiser optimiser = optimiserName == "adam" ? new Adam(1e-4) : new Sgd(1e-4);
        var rules = new LearningRule[]
        {
            new BackpropRule(),
            new ActivationRelaxationRule(new RelaxationOptions(0.1, 5, 0, RelaxationSchedule.Synchronous)),
            new ActivationRelaxationRule(new RelaxationOptions(0.1, 5, 0, RelaxationSchedule.TopDown)),
            new ActivationRelaxationRule(new RelaxationOptions(0.1, 5, 0, RelaxationSchedule.SynchronousClosedForm)),
        };
        var states = rules.Select(r => r.CreateState<PaperMlp.Float32, float>(batch, threads)).ToArray();
        try
        {
            for (int r = 0; r < rules.Length; r++)
            {
                for (int i = 0; i < WarmUpSteps; i++) rules[r].Step(p, data, optimiser, states[r]);
            }

            // Counted per rule, so a failure names the step that allocates. A window is 3 consecutive steps; the rule
            // passes at its first window that allocates nothing. The tiered JIT's tier-up (call counting, promotion) can
            // allocate a few KB on the calling thread while a step runs, the later the busier the machine (seen under
            // load; never with DOTNET_TieredCompilation=0), so one window may be hit; a step that allocates hits them all.
            var windows = new long[rules.Length][];
            var counted = new int[rules.Length];
            for (int r = 0; r < rules.Length; r++)
            {
                windows[r] = new long[MaxWindows];
                while (counted[r] < MaxWindows)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 3; i++) rules[r].Step(p, data, optimiser, states[r]);
                    long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                    windows[r][counted[r]++] = bytes;
                    if (bytes == 0) break;
                }
            }
            Assert.True(Enumerable.Range(0, rules.Length).All(r => windows[r][counted[r] - 1] == 0), "bytes allocated on the calling thread by each window of 3 steps: " +
                string.Join("; ", rules.Select((rule, r) => rule + ": " + string.Join(", ", windows[r].Take(counted[r])))));
        }
        finally
        {
            foreach (var state in states) state.Dispose();
        }
        Assert.All(p.Arrays, a => Assert.All(a, v => Assert.True(float.IsFinite(v))));
    }
}

/// <summary>The chunked relaxation's buffers (RelaxationChunking) are made once per state: batches of alternating sizes allocate nothing after warm-up.</summary>
public class ChunkedRelaxationAllocationTests
{
    [Theory]
    [InlineData(RelaxationSchedule.TopDown, 1)]
    [InlineData(RelaxationSchedule.Synchronous, 1)]
    [InlineData(RelaxationSchedule.TopDown, 2)]
    public void Alternating_batch_sizes_allocate_nothing_after_warm_up(RelaxationSchedule schedule, int threads)
    {
        const int MaxBatch = 6;
        var random = new Random(3);
        var x = Enumerable.Range(0, MaxBatch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[MaxBatch * 10];
        for (int s = 0; s < MaxBatch; s++) y[s * 10 + random.Next(10)] = 1f;
        // The full batch, a short last batch (as at an epoch's end) and a single sample: 100 steps each, so every
        // size relaxes in chunks of a different length.
        var batches = new[] { new CompiledBatch<float>(new[] { x }, y, MaxBatch), new CompiledBatch<float>(new[] { x }, y, 4), new CompiledBatch<float>(new[] { x }, y, 1) };
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        var optimiser = new Sgd(1e-5);
        var rule = new ActivationRelaxationRule(new RelaxationOptions(0.1, 100, 0, schedule));
        using var state = rule.CreateState<PaperMlp.Float32, float>(MaxBatch, threads);
        for (int i = 0; i < 2; i++)
        {
            foreach (var batch in batches) rule.Step(p, batch, optimiser, state);
        }
        // Windows of one round of the three sizes; as in AllocationTests, the tiered JIT may allocate in one window.
        var windows = new System.Collections.Generic.List<long>();
        for (int w = 0; w < 10; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var batch in batches) rule.Step(p, batch, optimiser, state);
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (windows[^1] == 0) break;
        }
        Assert.True(windows[^1] == 0, "bytes allocated by each round of batches of 6, 4 and 1: " + string.Join(", ", windows));
    }
}
