using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// LU factorisation with partial pivoting of a square row-major matrix, in place (P A = L U, L unit lower triangular
/// below the diagonal, U on and above it), and solves with the factors for many right-hand sides stored as rows (one per
/// sample): what compiled target propagation needs to invert each layer once per batch without an explicit inverse.
/// </summary>
public static class LuDecomposition
{
    /// <summary>
    /// Factors <paramref name="a"/> (n × n, row-major) in place; <paramref name="pivots"/>[k] is the row swapped with row k
    /// at step k. Returns false, leaving <paramref name="a"/> part-factored, when a pivot is exactly zero (the matrix is singular).
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than n × n (or n) values.</exception>
    public static bool Factor<T>(Span<T> a, int n, Span<int> pivots) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (n < 0 || a.Length < (long)n * n || pivots.Length < n) throw new ArgumentException($"LU of a {n} x {n} matrix needs {(long)n * n} values and {n} pivots; got {a.Length} and {pivots.Length}.");
        for (int k = 0; k < n; k++)
        {
            int p = k;
            T best = T.Abs(a[k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                T v = T.Abs(a[i * n + k]);
                if (v > best)
                {
                    best = v;
                    p = i;
                }
            }
            pivots[k] = p;
            if (best == T.Zero) return false;
            if (p != k)
            {
                for (int j = 0; j < n; j++) (a[k * n + j], a[p * n + j]) = (a[p * n + j], a[k * n + j]);
            }
            var pivotRow = a.Slice(k * n + k + 1, n - k - 1);
            T inverse = T.One / a[k * n + k];
            for (int i = k + 1; i < n; i++)
            {
                T l = a[i * n + k] * inverse;
                a[i * n + k] = l;
                if (l == T.Zero) continue;
                var row = a.Slice(i * n + k + 1, n - k - 1);
                TensorPrimitives.MultiplyAdd(pivotRow, -l, row, row);
            }
        }
        return true;
    }

    /// <summary>Solves A x = b in place for every row b of <paramref name="rows"/> (count × n) with the factors of A from <see cref="Factor"/>.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    public static void SolveRows<T>(ReadOnlySpan<T> factors, ReadOnlySpan<int> pivots, int n, Span<T> rows, int count) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (n < 0 || count < 0 || factors.Length < (long)n * n || pivots.Length < n || rows.Length < (long)count * n)
        {
            throw new ArgumentException($"Solving {count} rows with the LU of a {n} x {n} matrix needs {(long)n * n} factors, {n} pivots and {(long)count * n} row values; got {factors.Length}, {pivots.Length} and {rows.Length}.");
        }
        for (int s = 0; s < count; s++)
        {
            var x = rows.Slice(s * n, n);
            for (int k = 0; k < n; k++)
            {
                int p = pivots[k];
                if (p != k) (x[k], x[p]) = (x[p], x[k]);
            }
            for (int i = 1; i < n; i++) x[i] -= TensorPrimitives.Dot(factors.Slice(i * n, i), x.Slice(0, i));
            for (int i = n - 1; i >= 0; i--)
            {
                x[i] = (x[i] - TensorPrimitives.Dot(factors.Slice(i * n + i + 1, n - i - 1), x.Slice(i + 1, n - i - 1))) / factors[i * n + i];
            }
        }
    }
}
