using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules.Kernels;

public static partial class Gemm
{
    // The blocked path (BLIS's five loops, transposed for row-major C with vectors along n):
    //   for each block of BlockRows rows of A            (A's block stays in L2/L3)
    //     for each k-block of BlockK                      (C is updated once per k-block)
    //       A read in place (a micro-panel's 8 rows, or for TN its kc rows of 8 columns, stay in L1 across the panels of
    //       B); packed into groups of one vector's rows, p-major, only when its rows are a multiple of 4 KB apart (they
    //       would share L1 sets) and for the last micro-panel when it has fewer than MicroRows rows
    //       for each block of BlockPanels column panels  (B's packed block, BlockK x 16 panels, stays in L2)
    //         pack B into panels of MicroVectors vectors, p-major (or take them from the thread's
    //         PackedOperandCache when B is one of the step's parameters: packed once per step)
    //         for each micro-panel of MicroRows rows of A
    //           for each panel of B: the MicroRows x MicroVectors-vector micro-kernel
    // The last, narrower panel runs a 1- or 2-vector kernel and stores its last vector masked; an edge of fewer than
    // MicroRows rows is computed into a scratch tile and merged.

    /// <summary>
    /// Whether large products (see <see cref="BlockedMinRows"/>) take the cache-blocked path with packed A and B and the
    /// 8 x 3-vector micro-kernel. Process-wide, for before/after measurements; true by default.
    /// </summary>
    public static bool BlockedKernels { get; set; } = true;

    /// <summary>The rows of C from which the blocked path runs (with at least two vectors of columns and 32 of k).</summary>
    public const int BlockedMinRows = 32;

    private const int MicroRows = 8;
    private const int MicroVectors = 3;
    private const int BlockPanels = 16;
    private const int BlockRows = 1024;

    /// <summary>The k-block of the blocked path (internal so a tuning harness can vary it).</summary>
    internal static int BlockK { get; set; } = 256;

    private readonly struct BlockedAUse { }
    private readonly struct BlockedBUse { }
    private readonly struct BlockedTileUse { }
    private readonly struct BlockedEdgeAUse { }

    private static bool UseBlocked<T>(int m, int n, int k) =>
        BlockedKernels && m >= BlockedMinRows && n >= 2 * Vector512<T>.Count && k >= 32;

    // C = alpha op(A) op(B) (+ C). aRowMajor: A(i, p) = a[i * lda + p] (NN, NT), else a[p * lda + i] (TN).
    // bTransposed: B(p, j) = b[j * ldb + p] (NT), else b[p * ldb + j]. Needs Fast512, k >= 1, n >= V.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked<T>(bool aRowMajor, bool bTransposed, ref T a, nint lda, ref T b, nint ldb, ref T c, nint ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        int v = Vector512<T>.Count;
        int nr = MicroVectors * v;
        int blockK = BlockK;
        int kcMax = Math.Min(blockK, k);
        int mcMax = Math.Min(BlockRows, m);
        var aPack = ThreadBuffer<BlockedAUse, T>.Get(ReadsADirectly<T>(lda) ? 0 : (mcMax + v - 1) / v * v * kcMax);
        var bPack = ThreadBuffer<BlockedBUse, T>.Get(BlockPanels * nr * kcMax);
        var tile = ThreadBuffer<BlockedTileUse, T>.Get(MicroRows * nr);
        var edgeA = ThreadBuffer<BlockedEdgeAUse, T>.Get(MicroRows * kcMax);
        ref T ap0 = ref MemoryMarshal.GetArrayDataReference(aPack);
        ref T bp0 = ref MemoryMarshal.GetArrayDataReference(bPack);
        ref T tile0 = ref MemoryMarshal.GetArrayDataReference(tile);
        ref T edge0 = ref MemoryMarshal.GetArrayDataReference(edgeA);
        var alphaV = Vector512.Create(alpha);
        var oneV = Vector512.Create(T.One);
        // Read once: the packing and the kernels must agree on the last panel's width.
        bool narrow = NarrowEdgePanels;
        bool direct = ReadsADirectly<T>(lda);
        bool masked = MaskedEdges;
        // B packed once for every product and thread of a training step, when it is one of the step's parameters.
        nint sharedWidth = 0;
        T[]? shared = SharePackedB ? PackedOperandCache<T>.Current?.Get(bTransposed, ref b, ldb, n, k, blockK, BlockPanels * nr, nr, narrow, out sharedWidth) : null;
        for (int ic = 0; ic < m; ic += BlockRows)
        {
            int mc = Math.Min(BlockRows, m - ic);
            int fullRows = mc / MicroRows * MicroRows;
            for (int pc = 0; pc < k; pc += blockK)
            {
                int kc = Math.Min(blockK, k - pc);
                bool acc = accumulate || pc > 0;
                if (!direct)
                {
                    if (aRowMajor) PackRowsOfA(ref Unsafe.Add(ref a, ic * lda + pc), lda, ref ap0, mc, kc);
                    else PackColumnsOfA(ref Unsafe.Add(ref a, pc * lda + ic), lda, ref ap0, mc, kc);
                }
                else if (fullRows < mc)
                {
                    // The last micro-panel's rows past m cannot be read in place: pack them, zero-padded to MicroRows.
                    PackEdgeOfA(aRowMajor, ref a, lda, ref edge0, ic + fullRows, mc - fullRows, pc, kc);
                }
                for (int jc = 0; jc < n; jc += BlockPanels * nr)
                {
                    int nc = Math.Min(BlockPanels * nr, n - jc);
                    ref T bBlock = ref bp0;
                    if (shared is not null) bBlock = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(shared), pc * sharedWidth + kc * jc);
                    else if (bTransposed) PackRowsOfB(ref Unsafe.Add(ref b, jc * ldb + pc), ldb, ref bp0, nc, kc, nr, narrow);
                    else PackColumnsOfB(ref Unsafe.Add(ref b, pc * ldb + jc), ldb, ref bp0, nc, kc, nr, narrow);
                    for (int ir = 0; ir < mc; ir += MicroRows)
                    {
                        int rows = Math.Min(MicroRows, mc - ir);
                        // Where micro-panel ir's A(r, p) is: ap[r * aRow + p * aStep].
                        nint aRow, aStep;
                        ref T ap = ref a;
                        if (!direct)
                        {
                            // In its group of v rows (kc x v, p-major) at offset ir % v.
                            ap = ref Unsafe.Add(ref ap0, ir / v * v * kc + ir % v);
                            (aRow, aStep) = (1, v);
                        }
                        else if (rows < MicroRows)
                        {
                            ap = ref edge0;
                            (aRow, aStep) = (1, MicroRows);
                        }
                        else if (aRowMajor)
                        {
                            ap = ref Unsafe.Add(ref a, (ic + ir) * lda + pc);
                            (aRow, aStep) = (lda, 1);
                        }
                        else
                        {
                            ap = ref Unsafe.Add(ref a, pc * lda + ic + ir);
                            (aRow, aStep) = (1, lda);
                        }
                        ref T crow = ref Unsafe.Add(ref c, (ic + ir) * ldc + jc);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            int vectors = PanelWidth(cols, nr, v, narrow) / v;
                            ref T bp = ref Unsafe.Add(ref bBlock, jr * kc);
                            // Columns past n in the last vector: masked stores when the panel is narrowed to whole
                            // vectors (at most v - 1 of them), else the scratch tile.
                            int lastLanes = cols - (vectors - 1) * v;
                            if (rows == MicroRows && (lastLanes == v || (masked && lastLanes > 0)))
                            {
                                ref T ct = ref Unsafe.Add(ref crow, jr);
                                if (vectors == MicroVectors) MicroKernel(ref ap, aRow, aStep, ref bp, kc, ref ct, ldc, alphaV, acc, lastLanes);
                                else if (vectors == 2) MicroKernel2(ref ap, aRow, aStep, ref bp, kc, ref ct, ldc, alphaV, acc, lastLanes);
                                else MicroKernel1(ref ap, aRow, aStep, ref bp, kc, ref ct, ldc, alphaV, acc, lastLanes);
                            }
                            else
                            {
                                int vl = Vector512<T>.Count;
                                if (vectors == MicroVectors) MicroKernel(ref ap, aRow, aStep, ref bp, kc, ref tile0, nr, oneV, false, vl);
                                else if (vectors == 2) MicroKernel2(ref ap, aRow, aStep, ref bp, kc, ref tile0, nr, oneV, false, vl);
                                else MicroKernel1(ref ap, aRow, aStep, ref bp, kc, ref tile0, nr, oneV, false, vl);
                                MergeTile(ref tile0, nr, ref Unsafe.Add(ref crow, jr), ldc, rows, cols, alpha, acc);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Whether the blocked path reads A in place (its rows or, for TN, its columns) instead of packing it, where
    /// A's leading dimension does not map its rows onto the same cache sets (true by default). Process-wide, for
    /// before/after measurements.</summary>
    public static bool DirectA { get; set; } = true;

    /// <summary>Whether the blocked path takes B's packed panels from the calling thread's <see cref="PackedOperandCache{T}"/>
    /// when B is one of its matrices (true by default; false packs B in every product). Process-wide, for before/after
    /// measurements.</summary>
    public static bool SharePackedB { get; set; } = true;

    // The packed width of n columns: whole panels, and the last one as PanelWidth makes it.
    internal static nint PackedWidth<T>(int n, bool narrow)
    {
        int v = Vector512<T>.Count, nr = MicroVectors * v;
        return n / nr * nr + (n % nr == 0 ? 0 : PanelWidth(n % nr, nr, v, narrow));
    }

    /// <summary>Whether the blocked path stores the last, narrowed column panel with masked stores instead of through a
    /// scratch tile and a scalar merge (true by default). Process-wide, for before/after measurements.</summary>
    public static bool MaskedEdges { get; set; } = true;

    // In place unless A's rows are a multiple of 4 KB apart: then the 8 rows of a micro-panel (or, for TN, its kc rows)
    // would share L1 sets, so A is packed. The masked stores need AVX-512 (Fast512 holds where this runs).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadsADirectly<T>(nint lda) => DirectA && lda * Unsafe.SizeOf<T>() % 4096 != 0;

    // The last micro-panel's rows [row, row + rows) x [pc, pc + kc) of A into dst, p-major with MicroRows per p (rows past
    // rows zero).
    private static void PackEdgeOfA<T>(bool aRowMajor, ref T a, nint lda, ref T dst, int row, int rows, int pc, int kc) where T : unmanaged
    {
        for (int p = 0; p < kc; p++)
        {
            ref T d = ref Unsafe.Add(ref dst, p * MicroRows);
            for (int r = 0; r < MicroRows; r++)
            {
                Unsafe.Add(ref d, r) = r >= rows ? default : aRowMajor ? Unsafe.Add(ref a, (row + r) * lda + pc + p) : Unsafe.Add(ref a, (pc + p) * lda + row + r);
            }
        }
    }

    // The packed width of a panel of cols columns: full panels nr; the last, narrower one rounded up to whole vectors, so
    // an edge of a few columns runs a 1- or 2-vector kernel instead of the full one over zero padding (n = 300 is 6 full
    // panels of 48 and 12 columns: 304 columns computed instead of 336).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PanelWidth(int cols, int nr, int v, bool narrow) => cols == nr || !narrow ? nr : (cols + v - 1) / v * v;

    /// <summary>Whether the blocked path's last, narrower column panel runs a 1- or 2-vector micro-kernel (true by default;
    /// false computes it with the full kernel over zero padding). Process-wide, for before/after measurements.</summary>
    public static bool NarrowEdgePanels { get; set; } = true;

    // C[r, j] = alpha t[r, j] (+ C[r, j]) for the valid part of an edge tile.
    private static void MergeTile<T>(ref T t, nint ldt, ref T c, nint ldc, int rows, int cols, T alpha, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        for (int r = 0; r < rows; r++)
        {
            ref T tr = ref Unsafe.Add(ref t, r * ldt);
            ref T cr = ref Unsafe.Add(ref c, r * ldc);
            for (int j = 0; j < cols; j++)
            {
                T value = alpha * Unsafe.Add(ref tr, j);
                Unsafe.Add(ref cr, j) = accumulate ? Unsafe.Add(ref cr, j) + value : value;
            }
        }
    }

    // A's rows [0, mc) x [0, kc) (row-major, rows lda apart) into groups of v rows, each kc x v p-major (zero rows
    // past mc): a transpose of each group.
    private static void PackRowsOfA<T>(ref T a, nint lda, ref T dst, int mc, int kc) where T : unmanaged
    {
        int v = Vector512<T>.Count;
        for (int g = 0; g < mc; g += v)
        {
            int rows = Math.Min(v, mc - g);
            ref T d = ref Unsafe.Add(ref dst, g * kc);
            TransposeTo(ref Unsafe.Add(ref a, g * lda), lda, ref d, v, rows, kc);
            if (rows < v) ZeroColumns(ref d, v, rows, v, kc);
        }
    }

    // A(i, p) = a[p * lda + i]: each group's row p is v contiguous elements of A's row p.
    private static void PackColumnsOfA<T>(ref T a, nint lda, ref T dst, int mc, int kc) where T : unmanaged
    {
        int v = Vector512<T>.Count;
        for (int g = 0; g < mc; g += v)
        {
            int rows = Math.Min(v, mc - g);
            ref T d = ref Unsafe.Add(ref dst, g * kc);
            ref T s = ref Unsafe.Add(ref a, g);
            if (rows == v)
            {
                for (int p = 0; p < kc; p++) Vector512.LoadUnsafe(ref s, (nuint)(p * lda)).StoreUnsafe(ref d, (nuint)(p * v));
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    for (int r = 0; r < rows; r++) Unsafe.Add(ref d, p * v + r) = Unsafe.Add(ref s, p * lda + r);
                    for (int r = rows; r < v; r++) Unsafe.Add(ref d, p * v + r) = default;
                }
            }
        }
    }

    // B(p, j) = b[p * ldb + j] for j in [0, nc): panels of nr columns, each kc x nr p-major (zero columns past nc).
    internal static void PackColumnsOfB<T>(ref T b, nint ldb, ref T dst, int nc, int kc, int nr, bool narrow) where T : unmanaged
    {
        int v = Vector512<T>.Count;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            ref T d = ref Unsafe.Add(ref dst, j * kc);
            ref T s = ref Unsafe.Add(ref b, j);
            if (cols == nr)
            {
                for (int p = 0; p < kc; p++)
                {
                    ref T sp = ref Unsafe.Add(ref s, p * ldb);
                    ref T dp = ref Unsafe.Add(ref d, p * nr);
                    Vector512.LoadUnsafe(ref sp).StoreUnsafe(ref dp);
                    Vector512.LoadUnsafe(ref sp, (nuint)v).StoreUnsafe(ref dp, (nuint)v);
                    Vector512.LoadUnsafe(ref sp, (nuint)(2 * v)).StoreUnsafe(ref dp, (nuint)(2 * v));
                }
            }
            else if (MaskedEdges)
            {
                // Whole vectors, then the last one through a masked load that reads nothing past column cols and
                // fills the padding with zeros (a copy and a clear per row cost two calls for a few dozen bytes).
                int width = PanelWidth(cols, nr, v, narrow);
                int whole = cols / v * v;
                var mask = Simd.LanesBelow<T>(cols - whole);
                for (int p = 0; p < kc; p++)
                {
                    ref T sp = ref Unsafe.Add(ref s, p * ldb);
                    ref T dp = ref Unsafe.Add(ref d, p * width);
                    for (int w = 0; w < whole; w += v) Vector512.LoadUnsafe(ref sp, (nuint)w).StoreUnsafe(ref dp, (nuint)w);
                    if (whole < cols) Simd.LoadMasked(ref Unsafe.Add(ref sp, whole), mask).StoreUnsafe(ref dp, (nuint)whole);
                    for (int w = (cols + v - 1) / v * v; w < width; w += v) Vector512<T>.Zero.StoreUnsafe(ref dp, (nuint)w);
                }
            }
            else
            {
                int width = PanelWidth(cols, nr, v, narrow);
                for (int p = 0; p < kc; p++)
                {
                    var from = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref s, p * ldb), cols);
                    var to = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref d, p * width), width);
                    from.CopyTo(to);
                    to.Slice(cols).Clear();
                }
            }
        }
    }

    // B(p, j) = b[j * ldb + p] (NT): each panel is a transpose of nr rows of b.
    internal static void PackRowsOfB<T>(ref T b, nint ldb, ref T dst, int nc, int kc, int nr, bool narrow) where T : unmanaged
    {
        int v = Vector512<T>.Count;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            int width = PanelWidth(cols, nr, v, narrow);
            ref T d = ref Unsafe.Add(ref dst, j * kc);
            TransposeTo(ref Unsafe.Add(ref b, j * ldb), ldb, ref d, width, cols, kc);
            if (cols < width) ZeroColumns(ref d, width, cols, width, kc);
        }
    }

    // d[p * ld + j] = 0 for j in [from, to), p in [0, rows).
    private static void ZeroColumns<T>(ref T d, nint ld, int from, int to, int rows) where T : unmanaged
    {
        for (int p = 0; p < rows; p++) MemoryMarshal.CreateSpan(ref Unsafe.Add(ref d, p * ld + from), to - from).Clear();
    }

    // C[r, 0 .. 3V) = alpha sum_p a[p * aStride + r] b[p * 3V ..] (+ C) for r < 8: 24 accumulators, 3 loads of B and
    // 8 broadcasts of A per k step.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel<T>(ref T a, nint aRow, nint aStride, ref T b, int kc, ref T c, nint ldc, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged
    {
        nint v = Vector512<T>.Count;
        nint a1 = aRow, a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow, a6 = 6 * aRow, a7 = 7 * aRow;
        Vector512<T> c00 = default, c01 = default, c02 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default;
        Vector512<T> c40 = default, c41 = default, c42 = default;
        Vector512<T> c50 = default, c51 = default, c52 = default;
        Vector512<T> c60 = default, c61 = default, c62 = default;
        Vector512<T> c70 = default, c71 = default, c72 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref b);
            var b1 = Vector512.LoadUnsafe(ref b, (nuint)v);
            var b2 = Vector512.LoadUnsafe(ref b, (nuint)(2 * v));
            var x = Vector512.Create(a);
            c00 = Simd.Fma(x, b0, c00); c01 = Simd.Fma(x, b1, c01); c02 = Simd.Fma(x, b2, c02);
            x = Vector512.Create(Unsafe.Add(ref a, a1));
            c10 = Simd.Fma(x, b0, c10); c11 = Simd.Fma(x, b1, c11); c12 = Simd.Fma(x, b2, c12);
            x = Vector512.Create(Unsafe.Add(ref a, a2));
            c20 = Simd.Fma(x, b0, c20); c21 = Simd.Fma(x, b1, c21); c22 = Simd.Fma(x, b2, c22);
            x = Vector512.Create(Unsafe.Add(ref a, a3));
            c30 = Simd.Fma(x, b0, c30); c31 = Simd.Fma(x, b1, c31); c32 = Simd.Fma(x, b2, c32);
            x = Vector512.Create(Unsafe.Add(ref a, a4));
            c40 = Simd.Fma(x, b0, c40); c41 = Simd.Fma(x, b1, c41); c42 = Simd.Fma(x, b2, c42);
            x = Vector512.Create(Unsafe.Add(ref a, a5));
            c50 = Simd.Fma(x, b0, c50); c51 = Simd.Fma(x, b1, c51); c52 = Simd.Fma(x, b2, c52);
            x = Vector512.Create(Unsafe.Add(ref a, a6));
            c60 = Simd.Fma(x, b0, c60); c61 = Simd.Fma(x, b1, c61); c62 = Simd.Fma(x, b2, c62);
            x = Vector512.Create(Unsafe.Add(ref a, a7));
            c70 = Simd.Fma(x, b0, c70); c71 = Simd.Fma(x, b1, c71); c72 = Simd.Fma(x, b2, c72);
            a = ref Unsafe.Add(ref a, aStride);
            b = ref Unsafe.Add(ref b, 3 * v);
        }
        StoreTileRow(ref c, c00, c01, c02, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, ldc), c10, c11, c12, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, c22, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, c32, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, c42, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, c52, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, c62, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, c72, alpha, accumulate, lastLanes);
    }

    // MicroKernel for the last panel when it is 2 vectors wide: 16 accumulators, 2 loads of B and 8 broadcasts per k step.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel2<T>(ref T a, nint aRow, nint aStride, ref T b, int kc, ref T c, nint ldc, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged
    {
        nint v = Vector512<T>.Count;
        nint a1 = aRow, a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow, a6 = 6 * aRow, a7 = 7 * aRow;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref b);
            var b1 = Vector512.LoadUnsafe(ref b, (nuint)v);
            var x = Vector512.Create(a);
            c00 = Simd.Fma(x, b0, c00); c01 = Simd.Fma(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref a, a1));
            c10 = Simd.Fma(x, b0, c10); c11 = Simd.Fma(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref a, a2));
            c20 = Simd.Fma(x, b0, c20); c21 = Simd.Fma(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref a, a3));
            c30 = Simd.Fma(x, b0, c30); c31 = Simd.Fma(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref a, a4));
            c40 = Simd.Fma(x, b0, c40); c41 = Simd.Fma(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref a, a5));
            c50 = Simd.Fma(x, b0, c50); c51 = Simd.Fma(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref a, a6));
            c60 = Simd.Fma(x, b0, c60); c61 = Simd.Fma(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref a, a7));
            c70 = Simd.Fma(x, b0, c70); c71 = Simd.Fma(x, b1, c71);
            a = ref Unsafe.Add(ref a, aStride);
            b = ref Unsafe.Add(ref b, 2 * v);
        }
        StoreTileRow(ref c, c00, c01, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, ldc), c10, c11, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, alpha, accumulate, lastLanes);
    }

    // MicroKernel for the last panel when it is 1 vector wide: 8 accumulators, 1 load of B and 8 broadcasts per k step.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel1<T>(ref T a, nint aRow, nint aStride, ref T b, int kc, ref T c, nint ldc, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged
    {
        nint v = Vector512<T>.Count;
        nint a1 = aRow, a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow, a6 = 6 * aRow, a7 = 7 * aRow;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref b);
            c0 = Simd.Fma(Vector512.Create(a), b0, c0);
            c1 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a1)), b0, c1);
            c2 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a2)), b0, c2);
            c3 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a3)), b0, c3);
            c4 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a4)), b0, c4);
            c5 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a5)), b0, c5);
            c6 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a6)), b0, c6);
            c7 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, a7)), b0, c7);
            a = ref Unsafe.Add(ref a, aStride);
            b = ref Unsafe.Add(ref b, v);
        }
        StoreTileRow(ref c, c0, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, ldc), c1, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 2 * ldc), c2, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 3 * ldc), c3, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 4 * ldc), c4, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 5 * ldc), c5, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 6 * ldc), c6, alpha, accumulate, lastLanes);
        StoreTileRow(ref Unsafe.Add(ref c, 7 * ldc), c7, alpha, accumulate, lastLanes);
    }

    // The tile rows' stores: whole vectors, and the last one masked to its first lastLanes lanes when it ends past n.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow<T>(ref T c, Vector512<T> r0, Vector512<T> r1, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged
    {
        StoreVector(ref c, r0, alpha, accumulate);
        StoreLast(ref Unsafe.Add(ref c, Vector512<T>.Count), r1, alpha, accumulate, lastLanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow<T>(ref T c, Vector512<T> r0, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged =>
        StoreLast(ref c, r0, alpha, accumulate, lastLanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow<T>(ref T c, Vector512<T> r0, Vector512<T> r1, Vector512<T> r2, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged
    {
        StoreVector(ref c, r0, alpha, accumulate);
        StoreVector(ref Unsafe.Add(ref c, Vector512<T>.Count), r1, alpha, accumulate);
        StoreLast(ref Unsafe.Add(ref c, 2 * Vector512<T>.Count), r2, alpha, accumulate, lastLanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector<T>(ref T c, Vector512<T> r, Vector512<T> alpha, bool accumulate)
    {
        if (accumulate) Simd.Fma(r, alpha, Vector512.LoadUnsafe(ref c)).StoreUnsafe(ref c);
        else (r * alpha).StoreUnsafe(ref c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLast<T>(ref T c, Vector512<T> r, Vector512<T> alpha, bool accumulate, int lastLanes)
        where T : unmanaged
    {
        if (lastLanes == Vector512<T>.Count)
        {
            StoreVector(ref c, r, alpha, accumulate);
            return;
        }
        var mask = Simd.LanesBelow<T>(lastLanes);
        var value = accumulate ? Simd.Fma(r, alpha, Simd.LoadMasked(ref c, mask)) : r * alpha;
        Simd.StoreMasked(ref c, value, mask);
    }
}
