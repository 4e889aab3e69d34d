using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules.Kernels;

public static partial class Gemm
{
    // C[i, j] (+)= alpha * dot(A row i, B row j): TR rows of A against TV rows of B, vectorised along k (both
    // operands contiguous there, so nothing is packed); the k tail is an overlapping vector with the lanes already
    // counted zeroed. Needs k >= V.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void DotKernel<T, TR, TV>(ref T a, nint lda, ref T b, nint ldb, ref T c, nint ldc, int k, T alpha, bool accumulate)
        where T : unmanaged where TR : struct, IConst where TV : struct, IConst
    {
        int v = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, TR.Value > 1 ? lda : 0);
        ref T a2 = ref Unsafe.Add(ref a, TR.Value > 2 ? 2 * lda : 0);
        ref T a3 = ref Unsafe.Add(ref a, TR.Value > 3 ? 3 * lda : 0);
        ref T b0 = ref b;
        ref T b1 = ref Unsafe.Add(ref b, TV.Value > 1 ? ldb : 0);
        ref T b2 = ref Unsafe.Add(ref b, TV.Value > 2 ? 2 * ldb : 0);
        ref T b3 = ref Unsafe.Add(ref b, TV.Value > 3 ? 3 * ldb : 0);
        int whole = k - k % v;
        int p = 0;
        for (; p < whole; p += v)
        {
            nuint o = (nuint)p;
            var y0 = Vector512.LoadUnsafe(ref b0, o);
            var y1 = TV.Value > 1 ? Vector512.LoadUnsafe(ref b1, o) : default;
            var y2 = TV.Value > 2 ? Vector512.LoadUnsafe(ref b2, o) : default;
            var y3 = TV.Value > 3 ? Vector512.LoadUnsafe(ref b3, o) : default;
            var x = Vector512.LoadUnsafe(ref a0, o);
            c00 = Simd.Fma(x, y0, c00);
            if (TV.Value > 1) c01 = Simd.Fma(x, y1, c01);
            if (TV.Value > 2) c02 = Simd.Fma(x, y2, c02);
            if (TV.Value > 3) c03 = Simd.Fma(x, y3, c03);
            if (TR.Value > 1)
            {
                x = Vector512.LoadUnsafe(ref a1, o);
                c10 = Simd.Fma(x, y0, c10);
                if (TV.Value > 1) c11 = Simd.Fma(x, y1, c11);
                if (TV.Value > 2) c12 = Simd.Fma(x, y2, c12);
                if (TV.Value > 3) c13 = Simd.Fma(x, y3, c13);
            }
            if (TR.Value > 2)
            {
                x = Vector512.LoadUnsafe(ref a2, o);
                c20 = Simd.Fma(x, y0, c20);
                if (TV.Value > 1) c21 = Simd.Fma(x, y1, c21);
                if (TV.Value > 2) c22 = Simd.Fma(x, y2, c22);
                if (TV.Value > 3) c23 = Simd.Fma(x, y3, c23);
            }
            if (TR.Value > 3)
            {
                x = Vector512.LoadUnsafe(ref a3, o);
                c30 = Simd.Fma(x, y0, c30);
                if (TV.Value > 1) c31 = Simd.Fma(x, y1, c31);
                if (TV.Value > 2) c32 = Simd.Fma(x, y2, c32);
                if (TV.Value > 3) c33 = Simd.Fma(x, y3, c33);
            }
        }
        if (whole < k)
        {
            // The tail: the last full vector, counting only its lanes not yet counted.
            var keep = Simd.LanesFrom<T>(whole - (k - v));
            p = k - v;
            nuint o = (nuint)p;
            var y0 = Vector512.LoadUnsafe(ref b0, o) & keep;
            var y1 = TV.Value > 1 ? Vector512.LoadUnsafe(ref b1, o) & keep : default;
            var y2 = TV.Value > 2 ? Vector512.LoadUnsafe(ref b2, o) & keep : default;
            var y3 = TV.Value > 3 ? Vector512.LoadUnsafe(ref b3, o) & keep : default;
            var x = Vector512.LoadUnsafe(ref a0, o) & keep;
            c00 = Simd.Fma(x, y0, c00);
            if (TV.Value > 1) c01 = Simd.Fma(x, y1, c01);
            if (TV.Value > 2) c02 = Simd.Fma(x, y2, c02);
            if (TV.Value > 3) c03 = Simd.Fma(x, y3, c03);
            if (TR.Value > 1)
            {
                x = Vector512.LoadUnsafe(ref a1, o) & keep;
                c10 = Simd.Fma(x, y0, c10);
                if (TV.Value > 1) c11 = Simd.Fma(x, y1, c11);
                if (TV.Value > 2) c12 = Simd.Fma(x, y2, c12);
                if (TV.Value > 3) c13 = Simd.Fma(x, y3, c13);
            }
            if (TR.Value > 2)
            {
                x = Vector512.LoadUnsafe(ref a2, o) & keep;
                c20 = Simd.Fma(x, y0, c20);
                if (TV.Value > 1) c21 = Simd.Fma(x, y1, c21);
                if (TV.Value > 2) c22 = Simd.Fma(x, y2, c22);
                if (TV.Value > 3) c23 = Simd.Fma(x, y3, c23);
            }
            if (TR.Value > 3)
            {
                x = Vector512.LoadUnsafe(ref a3, o) & keep;
                c30 = Simd.Fma(x, y0, c30);
                if (TV.Value > 1) c31 = Simd.Fma(x, y1, c31);
                if (TV.Value > 2) c32 = Simd.Fma(x, y2, c32);
                if (TV.Value > 3) c33 = Simd.Fma(x, y3, c33);
            }
        }
        DotRow<T, TV>(ref c, c00, c01, c02, c03, alpha, accumulate);
        if (TR.Value > 1) DotRow<T, TV>(ref Unsafe.Add(ref c, ldc), c10, c11, c12, c13, alpha, accumulate);
        if (TR.Value > 2) DotRow<T, TV>(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, c22, c23, alpha, accumulate);
        if (TR.Value > 3) DotRow<T, TV>(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, c32, c33, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotRow<T, TV>(ref T c, Vector512<T> r0, Vector512<T> r1, Vector512<T> r2, Vector512<T> r3, T alpha, bool accumulate)
        where T : unmanaged where TV : struct, IConst
    {
        DotStore(ref c, Simd.Sum(r0), alpha, accumulate);
        if (TV.Value > 1) DotStore(ref Unsafe.Add(ref c, 1), Simd.Sum(r1), alpha, accumulate);
        if (TV.Value > 2) DotStore(ref Unsafe.Add(ref c, 2), Simd.Sum(r2), alpha, accumulate);
        if (TV.Value > 3) DotStore(ref Unsafe.Add(ref c, 3), Simd.Sum(r3), alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotStore<T>(ref T c, T sum, T alpha, bool accumulate) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float s = (float)(object)sum * (float)(object)alpha;
            ref float cf = ref Unsafe.As<T, float>(ref c);
            cf = accumulate ? cf + s : s;
        }
        else
        {
            double s = (double)(object)sum * (double)(object)alpha;
            ref double cd = ref Unsafe.As<T, double>(ref c);
            cd = accumulate ? cd + s : s;
        }
    }

    // Drives the dot kernel over C: blocks of 4 A rows x 3 B rows, then the edges. Needs k >= V.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotDriver<T>(ref T a, nint lda, ref T b, nint ldb, ref T c, nint ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged
    {
        // B rows in blocks that stay in L1 while A's rows stream past them.
        int i = 0;
        if (m == 1)
        {
            int j1 = 0;
            for (; j1 + 4 <= n; j1 += 4) DotKernel<T, C1, C4>(ref a, lda, ref Unsafe.Add(ref b, j1 * ldb), ldb, ref Unsafe.Add(ref c, j1), ldc, k, alpha, accumulate);
            for (; j1 < n; j1++) DotKernel<T, C1, C1>(ref a, lda, ref Unsafe.Add(ref b, j1 * ldb), ldb, ref Unsafe.Add(ref c, j1), ldc, k, alpha, accumulate);
            return;
        }
        int j = 0;
        for (; j + 3 <= n; j += 3)
        {
            ref T bj = ref Unsafe.Add(ref b, j * ldb);
            for (i = 0; i + 4 <= m; i += 4) DotKernel<T, C4, C3>(ref Unsafe.Add(ref a, i * lda), lda, ref bj, ldb, ref Unsafe.Add(ref c, i * ldc + j), ldc, k, alpha, accumulate);
            for (; i < m; i++) DotKernel<T, C1, C3>(ref Unsafe.Add(ref a, i * lda), lda, ref bj, ldb, ref Unsafe.Add(ref c, i * ldc + j), ldc, k, alpha, accumulate);
        }
        for (; j < n; j++)
        {
            ref T bj = ref Unsafe.Add(ref b, j * ldb);
            for (i = 0; i + 4 <= m; i += 4) DotKernel<T, C4, C1>(ref Unsafe.Add(ref a, i * lda), lda, ref bj, ldb, ref Unsafe.Add(ref c, i * ldc + j), ldc, k, alpha, accumulate);
            for (; i < m; i++) DotKernel<T, C1, C1>(ref Unsafe.Add(ref a, i * lda), lda, ref bj, ldb, ref Unsafe.Add(ref c, i * ldc + j), ldc, k, alpha, accumulate);
        }
    }
}
