using System;
using System.Numerics;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// Dense matrix products over row-major spans, the kernels that generated code calls. Every method computes
/// C (m x n) = A op B, or adds it to C when <c>accumulate</c> is true. NT: A is m x k, B is n x k (C = A B^T; the
/// forward pass X W^T). NN: A is m x k, B is k x n (the backward pass dH W). TN: A is k x m, B is k x n
/// (C = A^T B; the weight gradient dH^T X).
/// </summary>
public static class Gemm
{
    /// <summary>C (+)= A B^T with A m x k, B n x k.</summary>
    public static void MatMulNT<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(a.Length, m * k, b.Length, n * k, c.Length, m * n);
        for (int i = 0; i < m; i++)
        {
            var ai = a.Slice(i * k, k);
            for (int j = 0; j < n; j++)
            {
                var bj = b.Slice(j * k, k);
                T sum = T.Zero;
                for (int p = 0; p < k; p++) sum += ai[p] * bj[p];
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
            }
        }
    }

    /// <summary>C (+)= A B with A m x k, B k x n.</summary>
    public static void MatMulNN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(a.Length, m * k, b.Length, k * n, c.Length, m * n);
        if (!accumulate) c.Slice(0, m * n).Clear();
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T aip = a[i * k + p];
                var bp = b.Slice(p * n, n);
                for (int j = 0; j < n; j++) ci[j] += aip * bp[j];
            }
        }
    }

    /// <summary>C (+)= A^T B with A k x m, B k x n.</summary>
    public static void MatMulTN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(a.Length, k * m, b.Length, k * n, c.Length, m * n);
        if (!accumulate) c.Slice(0, m * n).Clear();
        for (int p = 0; p < k; p++)
        {
            var bp = b.Slice(p * n, n);
            for (int i = 0; i < m; i++)
            {
                T api = a[p * m + i];
                var ci = c.Slice(i * n, n);
                for (int j = 0; j < n; j++) ci[j] += api * bp[j];
            }
        }
    }

    private static void Check(int aLength, int aNeeded, int bLength, int bNeeded, int cLength, int cNeeded)
    {
        if (aLength < aNeeded || bLength < bNeeded || cLength < cNeeded)
        {
            throw new ArgumentException("Gemm operand too short: A has " + aLength + " of " + aNeeded + ", B " + bLength + " of " + bNeeded + ", C " + cLength + " of " + cNeeded + " elements.");
        }
    }
}
