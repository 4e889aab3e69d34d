using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// A reusable barrier for a fixed number of threads that spins instead of blocking: for lock-step loops inside one
/// <see cref="WorkerPool"/> job (e.g. a batch-1 relaxation whose steps are split by columns), where a phase lasts
/// microseconds and a kernel wait would cost more than the work. Allocation-free.
/// </summary>
public sealed class SpinBarrier
{
    private readonly int participants;
    private int arrived;
    private int generation;

    /// <summary>A barrier for <paramref name="participants"/> threads.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="participants"/> is below 1.</exception>
    public SpinBarrier(int participants)
    {
        if (participants < 1) throw new ArgumentOutOfRangeException(nameof(participants), participants, "A barrier needs at least one participant.");
        this.participants = participants;
    }

    /// <summary>The number of threads that must arrive.</summary>
    public int Participants => participants;

    /// <summary>Waits until every participant has called this for the current phase; writes before it are visible to all after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SignalAndWait()
    {
        if (participants == 1) return;
        int phase = Volatile.Read(ref generation);
        if (Interlocked.Increment(ref arrived) == participants)
        {
            Volatile.Write(ref arrived, 0);
            Interlocked.Increment(ref generation);
            return;
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref generation) == phase) spin.SpinOnce(-1);
    }
}
