using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// A small persistent pool that splits an index range [0, count) into one contiguous chunk per thread and runs a
/// body on each, the calling thread taking the first chunk. Workers spin for a while after each job (so a dispatch
/// in a tight training loop costs well under a microsecond) and then block until the next one. A dispatch
/// allocates nothing: pass a static lambda and a state object,
/// <c>pool.Run(batch, this, static (self, start, count) =&gt; self.Step(start, count))</c>.
/// </summary>
/// <remarks>
/// Chunks are claimed atomically, so a thread that finishes early runs a chunk whose worker has not started (its
/// core busy with another process): with a busy machine a job degrades towards one thread instead of stalling.
/// A thread takes a new chunk only after finishing its current one, so with count = <see cref="ThreadCount"/> and
/// grain 1 the chunks run on distinct threads at once and may synchronise with each other (see
/// <see cref="SpinBarrier"/>). One job at a time: <see cref="Run{TState}(int, TState, Action{TState, int, int}, int)"/> must not be called from
/// inside a body nor from two threads at once (it throws). An exception in any chunk is rethrown on the caller after
/// every chunk has finished.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs of spinning before blocking

    private readonly Thread[] workers;
    private readonly object gate = new();
    private int generation;
    private int sleepers;
    private int nextChunk;
    private int completed;
    private int busy;
    private volatile bool disposed;

    // The current job.
    private int total;
    private int grain;
    private object? state;
    private Delegate? body;
    private Action<object?, Delegate, int, int>? invoker;
    private Exception? failure;

    /// <summary>Starts a pool of <paramref name="threads"/> threads in all: the caller plus threads - 1 workers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1.</exception>
    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "A worker pool needs at least one thread.");
        ThreadCount = threads;
        workers = new Thread[threads - 1];
        for (int w = 0; w < workers.Length; w++)
        {
            int index = w + 1;
            workers[w] = new Thread(() => Work(index)) { IsBackground = true, Name = "Symbolic worker " + index };
            workers[w].Start();
        }
    }

    /// <summary>The number of threads that share a job, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Runs <paramref name="body"/>(state, start, count) over [0, <paramref name="count"/>) split into at most
    /// <see cref="ThreadCount"/> contiguous chunks whose starts are multiples of <paramref name="grain"/> (the last
    /// chunk takes the remainder), and returns when all are done. Chunks are never empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run<TState>(int count, TState state, Action<TState, int, int> body, int grain = 1) where TState : class
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The range must not be negative.");
        if (grain < 1) throw new ArgumentOutOfRangeException(nameof(grain), grain, "The grain must be at least 1.");
        ObjectDisposedException.ThrowIf(disposed, this);
        if (count == 0) return;
        if (workers.Length == 0 || count <= grain)
        {
            body(state, 0, count);
            return;
        }
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            throw new InvalidOperationException("WorkerPool.Run was called while a job is running (from a body, or from two threads at once).");
        }
        try
        {
            total = count;
            this.grain = grain;
            this.state = state;
            this.body = body;
            invoker = Invoker<TState>.Instance;
            failure = null;
            Volatile.Write(ref completed, 0);
            Volatile.Write(ref nextChunk, 0); // after the job's fields: a claim sees them
            Interlocked.Increment(ref generation);
            if (Volatile.Read(ref sleepers) > 0)
            {
                lock (gate) Monitor.PulseAll(gate);
            }
            RunChunks();
            var spin = new SpinWait();
            while (Volatile.Read(ref completed) != ThreadCount) spin.SpinOnce(-1);
            this.state = null;
            this.body = null;
            var error = failure;
            if (error != null) ExceptionDispatchInfo.Capture(error).Throw();
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>Runs <paramref name="body"/>(start, count) over [0, <paramref name="count"/>) as the state-taking overload does.</summary>
    public void Run(int count, Action<int, int> body, int grain = 1)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run(count, body, static (b, start, n) => b(start, n), grain);
    }

    /// <summary>The chunk of thread <paramref name="index"/> of <paramref name="threads"/> over [0, count) with starts on multiples of grain.</summary>
    public static (int Start, int Count) Chunk(int count, int threads, int index, int grain = 1)
    {
        int units = (count + grain - 1) / grain;
        int start = (int)((long)units * index / threads) * grain;
        int end = (int)((long)units * (index + 1) / threads) * grain;
        start = Math.Min(start, count);
        end = Math.Min(end, count);
        return (start, end - start);
    }

    /// <summary>Stops the workers.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Interlocked.Increment(ref generation);
        lock (gate) Monitor.PulseAll(gate);
        foreach (var t in workers) t.Join();
    }

    // Claims and runs chunks until none is left: whoever is free runs a chunk, so a worker that is late (its core
    // taken by another process) costs nothing but its share of parallelism.
    private void RunChunks()
    {
        int chunks = ThreadCount;
        while (true)
        {
            int c = Interlocked.Increment(ref nextChunk) - 1;
            if (c >= chunks) return;
            Execute(c);
            Interlocked.Increment(ref completed);
        }
    }

    private void Execute(int index)
    {
        var (start, n) = Chunk(total, ThreadCount, index, grain);
        if (n <= 0) return;
        try
        {
            invoker!(state, body!, start, n);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
        }
    }

    // Long-lived loops are compiled fully optimised at once: a fresh pool's worker would otherwise spin in Tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work(int index)
    {
        int seen = 0;
        while (true)
        {
            if (Volatile.Read(ref generation) == seen)
            {
                long until = Stopwatch.GetTimestamp() + SpinTicks;
                int spins = 0;
                while (Volatile.Read(ref generation) == seen)
                {
                    Thread.SpinWait(8);
                    if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() > until)
                    {
                        lock (gate)
                        {
                            Interlocked.Increment(ref sleepers);
                            while (Volatile.Read(ref generation) == seen) Monitor.Wait(gate);
                            Interlocked.Decrement(ref sleepers);
                        }
                    }
                }
            }
            seen = Volatile.Read(ref generation);
            if (disposed) return;
            RunChunks();
        }
    }

    private static class Invoker<TState> where TState : class
    {
        public static readonly Action<object?, Delegate, int, int> Instance = static (s, d, start, n) => ((Action<TState, int, int>)d)((TState)s!, start, n);
    }
}
