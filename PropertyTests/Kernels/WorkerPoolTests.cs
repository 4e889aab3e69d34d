using System;
using System.Threading;
using Symbolic.Rules.Kernels;
using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>The worker pool covers every index exactly once, reports failures and dispatches without allocating.</summary>
[Collection("Kernels")]
public class WorkerPoolTests
{
    private sealed class Hits
    {
        public int[] Counts = Array.Empty<int>();
        public int Grain = 1;
        public int BadStarts;
    }

    [Fact]
    public void EveryIndexExactlyOnce()
    {
        foreach (int threads in new[] { 1, 2, 3, 5 })
        {
            using var pool = new WorkerPool(threads);
            foreach (int grain in new[] { 1, 4, 16 })
            {
                for (int count = 0; count <= 70; count++)
                {
                    var hits = new Hits { Counts = new int[count], Grain = grain };
                    pool.Run(count, hits, static (h, start, n) =>
                    {
                        if (n <= 0 || start % h.Grain != 0) Interlocked.Increment(ref h.BadStarts);
                        for (int i = start; i < start + n; i++) Interlocked.Increment(ref h.Counts[i]);
                    }, grain);
                    Assert.Equal(0, hits.BadStarts);
                    Assert.All(hits.Counts, c => Assert.Equal(1, c));
                }
            }
        }
    }

    [Fact]
    public void ChunksTileTheRange()
    {
        for (int count = 0; count < 50; count++)
        {
            for (int threads = 1; threads < 6; threads++)
            {
                int next = 0;
                for (int t = 0; t < threads; t++)
                {
                    var (start, n) = WorkerPool.Chunk(count, threads, t, 3);
                    if (n == 0) continue;
                    Assert.Equal(next, start);
                    next = start + n;
                }
                Assert.Equal(count, next);
            }
        }
    }

    [Fact]
    public void RepeatedDispatchesAfterIdleWakeTheWorkers()
    {
        using var pool = new WorkerPool(2);
        var hits = new Hits { Counts = new int[2] };
        for (int round = 0; round < 3; round++)
        {
            Thread.Sleep(5); // past the spin window on some rounds: the workers block and must be woken
            pool.Run(2, hits, static (h, start, n) => { for (int i = start; i < start + n; i++) Interlocked.Increment(ref h.Counts[i]); });
        }
        Assert.All(hits.Counts, c => Assert.Equal(3, c));
    }

    [Fact]
    public void ExceptionInAChunkIsRethrownAfterAllFinish()
    {
        using var pool = new WorkerPool(2);
        var hits = new Hits { Counts = new int[10] };
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(10, hits, static (h, start, n) =>
        {
            for (int i = start; i < start + n; i++) Interlocked.Increment(ref h.Counts[i]);
            if (start > 0) throw new InvalidOperationException("boom");
        }));
        Assert.Equal("boom", e.Message);
        Assert.All(hits.Counts, c => Assert.Equal(1, c));
        pool.Run(4, hits, static (h, start, n) => { }); // still usable
    }

    [Fact]
    public void NestedRunThrows()
    {
        using var pool = new WorkerPool(2);
        Assert.Throws<InvalidOperationException>(() => pool.Run(4, pool, static (p, start, n) => p.Run(4, p, static (q, s, c) => { })));
    }

    [Fact]
    public void DispatchDoesNotAllocate()
    {
        using var pool = new WorkerPool(2);
        var hits = new Hits { Counts = new int[64] };
        Action<Hits, int, int> body = static (h, start, n) => { for (int i = start; i < start + n; i++) h.Counts[i]++; };
        for (int i = 0; i < 100; i++) pool.Run(64, hits, body);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) pool.Run(64, hits, body);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.All(hits.Counts, c => Assert.Equal(1100, c));
    }
}

/// <summary>The spin barrier keeps threads in lock-step.</summary>
[Collection("Kernels")]
public class SpinBarrierTests
{
    private sealed class Phases
    {
        public SpinBarrier Barrier = new(3);
        public int[] Done = new int[200];
        public int Violations;
    }

    [Fact]
    public void NoThreadStartsAPhaseBeforeAllFinishedThePrevious()
    {
        using var pool = new WorkerPool(3);
        var p = new Phases();
        pool.Run(3, p, static (s, start, count) =>
        {
            for (int phase = 0; phase < s.Done.Length; phase++)
            {
                if (phase > 0 && Volatile.Read(ref s.Done[phase - 1]) != 3) Interlocked.Increment(ref s.Violations);
                Interlocked.Increment(ref s.Done[phase]);
                s.Barrier.SignalAndWait();
            }
        });
        Assert.Equal(0, p.Violations);
        Assert.All(p.Done, d => Assert.Equal(3, d));
    }
}
