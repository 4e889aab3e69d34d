using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// Dense matrix products over row-major spans, the kernels that generated code calls. Every method computes
/// C (m x n) = A op B, or adds it to C when <c>accumulate</c> is true. NT: A is m x k, B is n x k (C = A B^T; the
/// forward pass X W^T). NN: A is m x k, B is k x n (the backward pass dH W). TN: A is k x m, B is k x n
/// (C = A^T B; the weight gradient dH^T X).
/// </summary>
/// <remarks>
/// float and double run Vector512 FMA micro-kernels when the hardware has AVX-512: from
/// <see cref="BlockedMinRows"/> rows, a cache-blocked path with packed B and A read in place (Gemm.Blocked.cs); below it,
/// register-blocked kernels (NT along k, NN and TN along n with A broadcast; see docs/performance.md); other element types, other
/// hardware and shapes under one vector wide run a portable path over <see cref="TensorPrimitives"/> (Vector256 or
/// Vector128 where that is the widest). The strided overloads take leading dimensions (the distance between rows)
/// and a scale <c>alpha</c>: C = alpha op(A) op(B) (+ C), so a caller can work on a block of rows or fuse an SGD step
/// (alpha = -learning rate, accumulate into the weights). Single-threaded; split work with <see cref="WorkerPool"/>.
/// </remarks>
public static partial class Gemm
{
    /// <summary>
    /// When false, every kernel takes the portable path (for tests and before/after measurements on AVX-512
    /// hardware). Process-wide; true by default.
    /// </summary>
    public static bool FastKernels { get; set; } = true;

    /// <summary>C (+)= A B^T with A m x k, B n x k.</summary>
    public static void MatMulNT<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumber<T> =>
        MatMulNT(a, k, b, k, c, n, m, n, k, T.One, accumulate);

    /// <summary>C (+)= A B with A m x k, B k x n.</summary>
    public static void MatMulNN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumber<T> =>
        MatMulNN(a, k, b, n, c, n, m, n, k, T.One, accumulate);

    /// <summary>C (+)= A^T B with A k x m, B k x n.</summary>
    public static void MatMulTN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumber<T> =>
        MatMulTN(a, m, b, n, c, n, m, n, k, T.One, accumulate);

    /// <summary>
    /// C = alpha A B^T (+ C) with A m x k (rows <paramref name="lda"/> apart), B n x k (rows <paramref name="ldb"/>
    /// apart), C m x n (rows <paramref name="ldc"/> apart).
    /// </summary>
    public static void MatMulNT<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(a.Length, m, k, lda, b.Length, n, k, ldb, c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        if (Simd.Fast512<T>() && UseBlocked<T>(m, n, k))
        {
            Blocked(true, true, ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, alpha, accumulate);
            return;
        }
        if (Simd.Fast512<T>() && m >= PackRowsThreshold && n >= Vector512<T>.Count)
        {
            // B^T packed one k-block at a time into a small per-thread buffer that stays in L2.
            var packed = ThreadBuffer<TransposeUse, T>.Get(n * Math.Min(k, KBlock));
            ref T bt = ref MemoryMarshal.GetArrayDataReference(packed);
            ref T a0 = ref MemoryMarshal.GetReference(a);
            ref T b0 = ref MemoryMarshal.GetReference(b);
            ref T c0 = ref MemoryMarshal.GetReference(c);
            for (int p0 = 0; p0 < k || p0 == 0; p0 += KBlock)
            {
                int kc = Math.Min(KBlock, k - p0);
                Transpose(ref Unsafe.Add(ref b0, p0), ldb, ref bt, n, kc);
                BroadcastDriver(ref Unsafe.Add(ref a0, p0), lda, 1, ref bt, n, ref c0, ldc, m, n, kc, alpha, accumulate || p0 > 0);
            }
            return;
        }
        if (Simd.Fast512<T>() && k >= Vector512<T>.Count)
        {
            DotDriver(ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, alpha, accumulate);
            return;
        }
        for (int i = 0; i < m; i++)
        {
            var ai = a.Slice(i * lda, k);
            var ci = c.Slice(i * ldc, n);
            for (int j = 0; j < n; j++)
            {
                T sum = k == 0 ? T.Zero : alpha * TensorPrimitives.Dot(ai, b.Slice(j * ldb, k));
                ci[j] = accumulate ? ci[j] + sum : sum;
            }
        }
    }

    /// <summary>
    /// C = alpha A B (+ C) with A m x k (rows <paramref name="lda"/> apart), B k x n (rows <paramref name="ldb"/>
    /// apart), C m x n (rows <paramref name="ldc"/> apart).
    /// </summary>
    public static void MatMulNN<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(a.Length, m, k, lda, b.Length, k, n, ldb, c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        if (Simd.Fast512<T>() && UseBlocked<T>(m, n, k))
        {
            Blocked(true, false, ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, alpha, accumulate);
            return;
        }
        if (Simd.Fast512<T>() && n >= Vector512<T>.Count)
        {
            if (m == 1)
            {
                RowDriver(ref MemoryMarshal.GetReference(a), 1, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), n, k, alpha, accumulate);
                return;
            }
            BroadcastDriver(ref MemoryMarshal.GetReference(a), lda, 1, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, alpha, accumulate);
            return;
        }
        PortableBroadcast(a, lda, 1, b, ldb, c, ldc, m, n, k, alpha, accumulate);
    }

    /// <summary>
    /// C = alpha A^T B (+ C) with A k x m (rows <paramref name="lda"/> apart), B k x n (rows <paramref name="ldb"/>
    /// apart), C m x n (rows <paramref name="ldc"/> apart).
    /// </summary>
    public static void MatMulTN<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(a.Length, k, m, lda, b.Length, k, n, ldb, c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        if (Simd.Fast512<T>() && UseBlocked<T>(m, n, k))
        {
            Blocked(false, false, ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, alpha, accumulate);
            return;
        }
        if (Simd.Fast512<T>() && n >= Vector512<T>.Count)
        {
            if (m == 1)
            {
                RowDriver(ref MemoryMarshal.GetReference(a), lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), n, k, alpha, accumulate);
                return;
            }
            BroadcastDriver(ref MemoryMarshal.GetReference(a), 1, lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, alpha, accumulate);
            return;
        }
        PortableBroadcast(a, 1, lda, b, ldb, c, ldc, m, n, k, alpha, accumulate);
    }

    // C[i, :] (+)= alpha sum_p A(i, p) B[p, :] with A(i, p) = a[i * ars + p * aps], row by row with TensorPrimitives.
    private static void PortableBroadcast<T>(ReadOnlySpan<T> a, int ars, int aps, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int m, int n, int k, T alpha, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * ldc, n);
            if (!accumulate) ci.Clear();
            for (int p = 0; p < k; p++)
            {
                T s = alpha * a[i * ars + p * aps];
                TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), s, ci, ci);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(int aLength, int aRows, int aCols, int lda, int bLength, int bRows, int bCols, int ldb, int cLength, int cRows, int cCols, int ldc)
    {
        if ((aRows | aCols | bRows | bCols | cRows | cCols) < 0 || lda < aCols || ldb < bCols || ldc < cCols
            || aLength < Needed(aRows, aCols, lda) || bLength < Needed(bRows, bCols, ldb) || cLength < Needed(cRows, cCols, ldc))
        {
            Fail(aLength, aRows, aCols, lda, bLength, bRows, bCols, ldb, cLength, cRows, cCols, ldc);
        }
    }

    private static long Needed(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    private static void Fail(int aLength, int aRows, int aCols, int lda, int bLength, int bRows, int bCols, int ldb, int cLength, int cRows, int cCols, int ldc) =>
        throw new ArgumentException(
            "Gemm operands do not fit: A is " + aRows + " x " + aCols + " (leading dimension " + lda + ") in " + aLength + " elements, B " + bRows + " x " + bCols
            + " (" + ldb + ") in " + bLength + ", C " + cRows + " x " + cCols + " (" + ldc + ") in " + cLength
            + "; each needs (rows - 1) * leading dimension + columns elements and a leading dimension of at least its columns.");
}
