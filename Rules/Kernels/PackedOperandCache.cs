using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// The blocked GEMM's packed B panels of registered matrices (a training step's parameters), packed once and shared by
/// every product and every thread while those matrices do not change: a training step's forward pass and backward
/// phase, where a relaxation reads the same weights at every step and each shard reads them too. The first thread to need
/// an operand in a step packs it; a thread that needs it meanwhile packs its own copy (no thread waits for another). A
/// thread uses the cache inside <see cref="Enter"/>; the owner calls
/// <see cref="BeginStep"/> before each step, on one thread, with no product running.
/// </summary>
/// <remarks>
/// Only operands that start inside a registered array are cached, keyed by the array, the offset, the layout (NN or NT)
/// and the shape, so a matrix read two ways is packed once for each. The caller promises that no registered array is
/// written between <see cref="BeginStep"/> and the end of the scopes that read it; buffers are kept across steps, so a
/// step with the same operands allocates nothing.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed class PackedOperandCache<T> where T : unmanaged, INumber<T>
{
    [ThreadStatic]
    private static PackedOperandCache<T>? current;

    private readonly object gate = new();
    private T[]?[] arrays = Array.Empty<T[]?>();
    private Entry[] entries = Array.Empty<Entry>();
    private int version;

    /// <summary>The cache the calling thread's products use (null: none).</summary>
    internal static PackedOperandCache<T>? Current => current;

    /// <summary>Starts a step: <paramref name="matrices"/> are the arrays that stay unchanged until the next call; every
    /// earlier packing is dropped (null entries are skipped).</summary>
    public void BeginStep(T[]?[] matrices)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        arrays = matrices;
        Interlocked.Increment(ref version);
    }

    /// <summary>Makes the calling thread's products use this cache until the returned scope is disposed.</summary>
    public Scope Enter()
    {
        var saved = current;
        current = this;
        return new Scope(saved);
    }

    /// <summary>Restores the calling thread's previous cache when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly PackedOperandCache<T>? saved;

        internal Scope(PackedOperandCache<T>? saved) => this.saved = saved;

        /// <summary>Leaves the scope.</summary>
        public void Dispose() => current = saved;
    }

    // The packed panels of B (as the blocked path lays them out block after block: block (pc, jc) at
    // pc * packedWidth + kc * jc) when b starts inside a registered array and no other thread is packing it, else null.
    internal T[]? Get(bool transposed, ref T b, nint ldb, int n, int k, int blockK, int blockCols, int nr, bool narrow, out nint packedWidth)
    {
        packedWidth = 0;
        var registered = arrays;
        int array = -1;
        nint offset = 0;
        for (int i = 0; i < registered.Length; i++)
        {
            var candidate = registered[i];
            if (candidate is null || candidate.Length == 0) continue;
            nint at = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(candidate), ref b) / Unsafe.SizeOf<T>();
            if (at >= 0 && at < candidate.Length)
            {
                array = i;
                offset = at;
                break;
            }
        }
        if (array < 0) return null;
        var entry = Find(array, offset, transposed, ldb, n, k, blockK, narrow);
        int step = Volatile.Read(ref version);
        if (Volatile.Read(ref entry.ReadyVersion) != step)
        {
            // The first thread to ask in a step packs the operand; one that asks while it is being packed packs its own
            // copy as without the cache, so no thread ever waits for another.
            int claimed = Volatile.Read(ref entry.ClaimedVersion);
            if (claimed == step || Interlocked.CompareExchange(ref entry.ClaimedVersion, step, claimed) != claimed) return null;
            ref T packed = ref MemoryMarshal.GetArrayDataReference(entry.Buffer);
            for (int pc = 0; pc < k; pc += blockK)
            {
                int kc = Math.Min(blockK, k - pc);
                for (int jc = 0; jc < n; jc += blockCols)
                {
                    int nc = Math.Min(blockCols, n - jc);
                    ref T block = ref Unsafe.Add(ref packed, pc * entry.PackedWidth + kc * jc);
                    if (transposed) Gemm.PackRowsOfB(ref Unsafe.Add(ref b, jc * ldb + pc), ldb, ref block, nc, kc, nr, narrow);
                    else Gemm.PackColumnsOfB(ref Unsafe.Add(ref b, pc * ldb + jc), ldb, ref block, nc, kc, nr, narrow);
                }
            }
            Volatile.Write(ref entry.ReadyVersion, step);
        }
        packedWidth = entry.PackedWidth;
        return entry.Buffer;
    }

    private Entry Find(int array, nint offset, bool transposed, nint ldb, int n, int k, int blockK, bool narrow)
    {
        foreach (var e in Volatile.Read(ref entries))
        {
            if (e.Matches(array, offset, transposed, ldb, n, k, blockK, narrow)) return e;
        }
        lock (gate)
        {
            foreach (var e in entries)
            {
                if (e.Matches(array, offset, transposed, ldb, n, k, blockK, narrow)) return e;
            }
            var added = new Entry(array, offset, transposed, ldb, n, k, blockK, narrow, Gemm.PackedWidth<T>(n, narrow));
            var grown = new Entry[entries.Length + 1];
            entries.CopyTo(grown, 0);
            grown[^1] = added;
            Volatile.Write(ref entries, grown);
            return added;
        }
    }

    private sealed class Entry
    {
        public readonly int Array, N, K, BlockK;
        public readonly nint Offset, Ldb, PackedWidth;
        public readonly bool Transposed, Narrow;
        public readonly T[] Buffer;
        public int ReadyVersion = -1, ClaimedVersion = -1;

        public Entry(int array, nint offset, bool transposed, nint ldb, int n, int k, int blockK, bool narrow, nint packedWidth)
        {
            (Array, Offset, Transposed, Ldb, N, K, BlockK, Narrow, PackedWidth) = (array, offset, transposed, ldb, n, k, blockK, narrow, packedWidth);
            Buffer = new T[packedWidth * k];
        }

        public bool Matches(int array, nint offset, bool transposed, nint ldb, int n, int k, int blockK, bool narrow) =>
            Array == array && Offset == offset && Transposed == transposed && Ldb == ldb && N == n && K == k && BlockK == blockK && Narrow == narrow;
    }
}
