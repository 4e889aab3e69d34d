using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules.Kernels;

public static partial class Gemm
{
    // The micro-kernel of NN and TN: C[i, j] (+)= alpha * sum_p A(i, p) B[p, j] where A(i, p) = a[i * ars + p * aps]
    // (NN: ars = lda, aps = 1; TN: ars = 1, aps = lda), B and C row-major. Vectorised along j: each p broadcasts one
    // A element per row and loads TV vectors of B's row p, TR x TV accumulators. The last vector's store is blended
    // with lastMask, so the column tail is an overlapping full vector (no masked loads in the loop).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastKernel<T, TR, TV>(ref T a, nint ars, nint aps, ref T b, nint ldb, ref T c, nint ldc, int k, Vector512<T> alpha, bool accumulate, Vector512<T> lastMask)
        where T : unmanaged where TR : struct, IConst where TV : struct, IConst
    {
        nint v = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, TR.Value > 1 ? ars : 0);
        ref T a2 = ref Unsafe.Add(ref a, TR.Value > 2 ? 2 * ars : 0);
        ref T a3 = ref Unsafe.Add(ref a, TR.Value > 3 ? 3 * ars : 0);
        nint ao = 0, bo = 0;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref b, (nuint)bo);
            var b1 = TV.Value > 1 ? Vector512.LoadUnsafe(ref b, (nuint)(bo + v)) : default;
            var b2 = TV.Value > 2 ? Vector512.LoadUnsafe(ref b, (nuint)(bo + 2 * v)) : default;
            var b3 = TV.Value > 3 ? Vector512.LoadUnsafe(ref b, (nuint)(bo + 3 * v)) : default;
            var x = Vector512.Create(Unsafe.Add(ref a0, ao));
            c00 = Simd.Fma(x, b0, c00);
            if (TV.Value > 1) c01 = Simd.Fma(x, b1, c01);
            if (TV.Value > 2) c02 = Simd.Fma(x, b2, c02);
            if (TV.Value > 3) c03 = Simd.Fma(x, b3, c03);
            if (TR.Value > 1)
            {
                x = Vector512.Create(Unsafe.Add(ref a1, ao));
                c10 = Simd.Fma(x, b0, c10);
                if (TV.Value > 1) c11 = Simd.Fma(x, b1, c11);
                if (TV.Value > 2) c12 = Simd.Fma(x, b2, c12);
                if (TV.Value > 3) c13 = Simd.Fma(x, b3, c13);
            }
            if (TR.Value > 2)
            {
                x = Vector512.Create(Unsafe.Add(ref a2, ao));
                c20 = Simd.Fma(x, b0, c20);
                if (TV.Value > 1) c21 = Simd.Fma(x, b1, c21);
                if (TV.Value > 2) c22 = Simd.Fma(x, b2, c22);
                if (TV.Value > 3) c23 = Simd.Fma(x, b3, c23);
            }
            if (TR.Value > 3)
            {
                x = Vector512.Create(Unsafe.Add(ref a3, ao));
                c30 = Simd.Fma(x, b0, c30);
                if (TV.Value > 1) c31 = Simd.Fma(x, b1, c31);
                if (TV.Value > 2) c32 = Simd.Fma(x, b2, c32);
                if (TV.Value > 3) c33 = Simd.Fma(x, b3, c33);
            }
            ao += aps;
            bo += ldb;
        }
        StoreRow<T, TV>(ref c, c00, c01, c02, c03, alpha, accumulate, lastMask);
        if (TR.Value > 1) StoreRow<T, TV>(ref Unsafe.Add(ref c, ldc), c10, c11, c12, c13, alpha, accumulate, lastMask);
        if (TR.Value > 2) StoreRow<T, TV>(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, c22, c23, alpha, accumulate, lastMask);
        if (TR.Value > 3) StoreRow<T, TV>(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, c32, c33, alpha, accumulate, lastMask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TV>(ref T c, Vector512<T> r0, Vector512<T> r1, Vector512<T> r2, Vector512<T> r3, Vector512<T> alpha, bool accumulate, Vector512<T> lastMask)
        where T : unmanaged where TV : struct, IConst
    {
        nint v = Vector512<T>.Count;
        var all = Vector512<T>.AllBitsSet;
        Simd.Store(ref c, r0, alpha, accumulate, TV.Value == 1 ? lastMask : all);
        if (TV.Value > 1) Simd.Store(ref Unsafe.Add(ref c, v), r1, alpha, accumulate, TV.Value == 2 ? lastMask : all);
        if (TV.Value > 2) Simd.Store(ref Unsafe.Add(ref c, 2 * v), r2, alpha, accumulate, TV.Value == 3 ? lastMask : all);
        if (TV.Value > 3) Simd.Store(ref Unsafe.Add(ref c, 3 * v), r3, alpha, accumulate, lastMask);
    }

    // Drives the broadcast kernel over C: rows in blocks of 4 (then single rows), columns in blocks of 3 vectors
    // (4 when m is 1, a GEMV), the remaining whole vectors, then an overlapping masked vector for n % V. Needs n >= V.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastDriver<T>(ref T a, nint ars, nint aps, ref T b, nint ldb, ref T c, nint ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged
    {
        int v = Vector512<T>.Count;
        var alphaV = Vector512.Create(alpha);
        var all = Vector512<T>.AllBitsSet;
        int whole = n / v;
        int rem = n - whole * v;
        int block = m == 1 ? 4 : 3;
        var tailMask = rem > 0 ? Simd.LanesFrom<T>(v - rem) : all;
        // With many rows of C, each k-block of a column panel of B is packed contiguous first: the kernel then streams
        // it at unit stride instead of one row of B every ldb elements (which, for ldb a multiple of 512 bytes, maps the
        // panel onto a few L1 sets and evicts it between C's row blocks).
        bool pack = PackPanels && m >= PanelRowsThreshold;
        T[]? panel = pack ? ThreadBuffer<PanelUse, T>.Get(KBlock * 4 * v) : null;
        // k in blocks of KBlock rows so that a 3-vector panel of B (KBlock x 192 bytes) stays in L1 across C's row blocks.
        for (int p0 = 0; p0 < k || p0 == 0; p0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - p0);
            ref T ap = ref Unsafe.Add(ref a, p0 * aps);
            ref T bp = ref Unsafe.Add(ref b, p0 * ldb);
            bool acc = accumulate || p0 > 0;
            int j = 0;
            for (; j + block <= whole; j += block)
            {
                Panel<T>(ref ap, ars, aps, ref Unsafe.Add(ref bp, j * v), ldb, ref Unsafe.Add(ref c, j * v), ldc, m, kc, alphaV, acc, all, block, panel);
            }
            if (whole - j > 0)
            {
                Panel<T>(ref ap, ars, aps, ref Unsafe.Add(ref bp, j * v), ldb, ref Unsafe.Add(ref c, j * v), ldc, m, kc, alphaV, acc, all, whole - j, panel);
            }
            if (rem > 0)
            {
                int start = n - v;
                Panel<T>(ref ap, ars, aps, ref Unsafe.Add(ref bp, start), ldb, ref Unsafe.Add(ref c, start), ldc, m, kc, alphaV, acc, tailMask, 1, panel);
            }
        }
    }

    // One column panel (vectors wide) over all of C's rows, from B itself or from its packed copy.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Panel<T>(ref T a, nint ars, nint aps, ref T b, nint ldb, ref T c, nint ldc, int m, int k, Vector512<T> alpha, bool accumulate, Vector512<T> mask, int vectors, T[]? panel)
        where T : unmanaged
    {
        if (panel is null)
        {
            Columns<T>(ref a, ars, aps, ref b, ldb, ref c, ldc, m, k, alpha, accumulate, mask, vectors);
            return;
        }
        int width = vectors * Vector512<T>.Count;
        ref T packed = ref MemoryMarshal.GetArrayDataReference(panel);
        for (int p = 0; p < k; p++)
        {
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, p * ldb), width).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref packed, p * width), width));
        }
        Columns<T>(ref a, ars, aps, ref packed, width, ref c, ldc, m, k, alpha, accumulate, mask, vectors);
    }

    /// <summary>
    /// Whether the NN and TN kernels pack B's column panels before streaming them (with at least
    /// <see cref="PanelRowsThreshold"/> rows of C). Process-wide, for before/after measurements; true by default.
    /// </summary>
    public static bool PackPanels { get; set; } = true;

    /// <summary>The rows of C from which packing a panel of B pays for its copy (it is then read once per 4 rows).</summary>
    public const int PanelRowsThreshold = 128;

    /// <summary>Names the per-thread buffer of one packed panel of B (KBlock rows of up to 4 vectors), apart from the NT path's B^T.</summary>
    private readonly struct PanelUse { }

    private const int KBlock = 128;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns<T>(ref T a, nint ars, nint aps, ref T b, nint ldb, ref T c, nint ldc, int m, int k, Vector512<T> alpha, bool accumulate, Vector512<T> mask, int vectors)
        where T : unmanaged
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref T ai = ref Unsafe.Add(ref a, i * ars);
            ref T ci = ref Unsafe.Add(ref c, i * ldc);
            switch (vectors)
            {
                case 1: BroadcastKernel<T, C4, C1>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
                case 2: BroadcastKernel<T, C4, C2>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
                default: BroadcastKernel<T, C4, C3>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
            }
        }
        for (; i < m; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * ars);
            ref T ci = ref Unsafe.Add(ref c, i * ldc);
            switch (vectors)
            {
                case 1: BroadcastKernel<T, C1, C1>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
                case 2: BroadcastKernel<T, C1, C2>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
                case 3: BroadcastKernel<T, C1, C3>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
                default: BroadcastKernel<T, C1, C4>(ref ai, ars, aps, ref b, ldb, ref ci, ldc, k, alpha, accumulate, mask); break;
            }
        }
    }
}
