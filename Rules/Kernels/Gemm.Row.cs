using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules.Kernels;

public static partial class Gemm
{
    // One row of C (the GEMV shape of batch 1): c[:] (+)= alpha sum_p a[p * aps] B[p, :]. TK rows of B at a time
    // sweep the whole row of C (kept in L1), so B streams contiguously row by row; each C vector takes TK chained
    // FMAs and the vectors are independent. The column tail is an overlapping vector whose already-covered lanes
    // read B as zero. Needs n >= V.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowBlock<T, TK>(ref T a, nint aps, ref T b, nint ldb, ref T c, int n, T alpha, bool init)
        where T : unmanaged where TK : struct, IConst
    {
        int v = Vector512<T>.Count;
        var s = Vector512.Create(alpha);
        var x0 = Vector512.Create(Unsafe.Add(ref a, 0)) * s;
        var x1 = TK.Value > 1 ? Vector512.Create(Unsafe.Add(ref a, aps)) * s : default;
        var x2 = TK.Value > 2 ? Vector512.Create(Unsafe.Add(ref a, 2 * aps)) * s : default;
        var x3 = TK.Value > 3 ? Vector512.Create(Unsafe.Add(ref a, 3 * aps)) * s : default;
        var x4 = TK.Value > 4 ? Vector512.Create(Unsafe.Add(ref a, 4 * aps)) * s : default;
        var x5 = TK.Value > 5 ? Vector512.Create(Unsafe.Add(ref a, 5 * aps)) * s : default;
        var x6 = TK.Value > 6 ? Vector512.Create(Unsafe.Add(ref a, 6 * aps)) * s : default;
        var x7 = TK.Value > 7 ? Vector512.Create(Unsafe.Add(ref a, 7 * aps)) * s : default;
        ref T b0 = ref b;
        ref T b1 = ref Unsafe.Add(ref b, TK.Value > 1 ? ldb : 0);
        ref T b2 = ref Unsafe.Add(ref b, TK.Value > 2 ? 2 * ldb : 0);
        ref T b3 = ref Unsafe.Add(ref b, TK.Value > 3 ? 3 * ldb : 0);
        ref T b4 = ref Unsafe.Add(ref b, TK.Value > 4 ? 4 * ldb : 0);
        ref T b5 = ref Unsafe.Add(ref b, TK.Value > 5 ? 5 * ldb : 0);
        ref T b6 = ref Unsafe.Add(ref b, TK.Value > 6 ? 6 * ldb : 0);
        ref T b7 = ref Unsafe.Add(ref b, TK.Value > 7 ? 7 * ldb : 0);
        int whole = n - n % v;
        var keep = Vector512<T>.AllBitsSet;
        int j = 0;
        while (true)
        {
            if (j >= whole)
            {
                if (whole == n) break;
                keep = Simd.LanesFrom<T>(whole - (n - v));
                j = n - v;
                whole = n; // one pass through the tail, then stop
            }
            nuint o = (nuint)j;
            var acc = Vector512.LoadUnsafe(ref c, o);
            if (init) acc = Vector512.AndNot(acc, keep); // the first block overwrites: only lanes already written this pass are kept
            acc = Simd.Fma(x0, Vector512.LoadUnsafe(ref b0, o) & keep, acc);
            if (TK.Value > 1) acc = Simd.Fma(x1, Vector512.LoadUnsafe(ref b1, o) & keep, acc);
            if (TK.Value > 2) acc = Simd.Fma(x2, Vector512.LoadUnsafe(ref b2, o) & keep, acc);
            if (TK.Value > 3) acc = Simd.Fma(x3, Vector512.LoadUnsafe(ref b3, o) & keep, acc);
            if (TK.Value > 4) acc = Simd.Fma(x4, Vector512.LoadUnsafe(ref b4, o) & keep, acc);
            if (TK.Value > 5) acc = Simd.Fma(x5, Vector512.LoadUnsafe(ref b5, o) & keep, acc);
            if (TK.Value > 6) acc = Simd.Fma(x6, Vector512.LoadUnsafe(ref b6, o) & keep, acc);
            if (TK.Value > 7) acc = Simd.Fma(x7, Vector512.LoadUnsafe(ref b7, o) & keep, acc);
            acc.StoreUnsafe(ref c, o);
            j += v;
        }
    }

    // c[:] (+)= alpha sum_p a[p * aps] B[p, :] for one row of C, in blocks of 8 rows of B. Needs n >= V.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowDriver<T>(ref T a, nint aps, ref T b, nint ldb, ref T c, int n, int k, T alpha, bool accumulate)
        where T : unmanaged
    {
        if (k == 0)
        {
            if (!accumulate) for (int j = 0; j < n; j++) Unsafe.Add(ref c, j) = default;
            return;
        }
        bool init = !accumulate;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            RowBlock<T, C8>(ref Unsafe.Add(ref a, p * aps), aps, ref Unsafe.Add(ref b, p * ldb), ldb, ref c, n, alpha, init);
            init = false;
        }
        for (; p < k; p++)
        {
            RowBlock<T, C1>(ref Unsafe.Add(ref a, p * aps), aps, ref Unsafe.Add(ref b, p * ldb), ldb, ref c, n, alpha, init);
            init = false;
        }
    }
}
