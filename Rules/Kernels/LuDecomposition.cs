using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// LU factorisation with partial pivoting of a square row-major matrix, in place (P A = L U, L unit lower triangular
/// below the diagonal, U on and above it), and solves with the factors for many right-hand sides stored as rows (one per
/// sample): what compiled target propagation needs to invert each layer once per batch without an explicit inverse.
/// Both are blocked (LAPACK's getrf and trsm): a narrow panel by rank-1 updates, everything else by <see cref="Gemm"/>.
/// </summary>
public static class LuDecomposition
{
    // Columns per panel: the unblocked work is n × Block per panel, the rest runs at GEMM speed.
    private const int Block = 64;

    /// <summary>Names the per-thread buffer of the transposed right-hand sides.</summary>
    private readonly struct SolveUse { }

    /// <summary>Names the per-thread buffer of a panel's columns.</summary>
    private readonly struct PanelUse { }

    /// <summary>
    /// Factors <paramref name="a"/> (n × n, row-major) in place; <paramref name="pivots"/>[k] is the row swapped with row k
    /// at step k. Returns false, leaving <paramref name="a"/> part-factored, when a pivot is exactly zero (the matrix is singular).
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than n × n (or n) values.</exception>
    public static bool Factor<T>(Span<T> a, int n, Span<int> pivots) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (n < 0 || a.Length < (long)n * n || pivots.Length < n) throw new ArgumentException($"LU of a {n} x {n} matrix needs {(long)n * n} values and {n} pivots; got {a.Length} and {pivots.Length}.");
        for (int k0 = 0; k0 < n; k0 += Block)
        {
            int kb = Math.Min(Block, n - k0), right = k0 + kb, rest = n - right;
            FactorPanel(a, n, k0, kb, pivots);
            if (!PanelPivotsNonZero(a, n, k0, kb)) return false;
            if (rest == 0) continue;
            // U12 = L11⁻¹ A12 (L11 unit lower triangular), row by row.
            for (int i = k0 + 1; i < right; i++)
            {
                var row = a.Slice(i * n + right, rest);
                for (int j = k0; j < i; j++)
                {
                    T l = a[i * n + j];
                    if (l != T.Zero) TensorPrimitives.MultiplyAdd(a.Slice(j * n + right, rest), -l, row, row);
                }
            }
            // A22 −= L21 U12: the bulk of the work.
            Gemm.MatMulNN<T>(a.Slice(right * n + k0), n, a.Slice(k0 * n + right), n, a.Slice(right * n + right), n, rest, rest, kb, -T.One, true);
        }
        return true;
    }

    // Columns [k0, k0 + kb) of rows [k0, n), factored with partial pivoting as if whole rows were swapped at each step.
    // Row-major, a pivot search walks a column n values apart and each row's update is a call on a short run; the panel
    // is copied out column-major instead, so the search and each column's update run over contiguous values. The row
    // interchanges reach the columns left and right of the panel afterwards, in order (LAPACK's laswp), which gives the
    // same matrix: nothing else reads those columns in between.
    private static void FactorPanel<T>(Span<T> a, int n, int k0, int kb, Span<int> pivots) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int m = n - k0;
        var panel = new Span<T>(ThreadBuffer<PanelUse, T>.Get(kb * m), 0, kb * m);
        for (int i = 0; i < m; i++)
        {
            var row = a.Slice((k0 + i) * n + k0, kb);
            for (int j = 0; j < kb; j++) panel[j * m + i] = row[j];
        }
        for (int k = 0; k < kb; k++)
        {
            var column = panel.Slice(k * m + k, m - k);
            int p = k + TensorPrimitives.IndexOfMaxMagnitude<T>(column);
            pivots[k0 + k] = k0 + p;
            if (T.Abs(panel[k * m + p]) == T.Zero)
            {
                // Singular: mark it for the caller and leave the rest of the panel as it is.
                for (int j = k + 1; j < kb; j++) pivots[k0 + j] = k0 + j;
                break;
            }
            if (p != k)
            {
                for (int j = 0; j < kb; j++) (panel[j * m + k], panel[j * m + p]) = (panel[j * m + p], panel[j * m + k]);
            }
            T inverse = T.One / panel[k * m + k];
            var below = panel.Slice(k * m + k + 1, m - k - 1);
            TensorPrimitives.Multiply(below, inverse, below);
            for (int j = k + 1; j < kb; j++)
            {
                T u = panel[j * m + k];
                if (u == T.Zero) continue;
                var target = panel.Slice(j * m + k + 1, m - k - 1);
                TensorPrimitives.MultiplyAdd(below, -u, target, target);
            }
        }
        for (int i = 0; i < m; i++)
        {
            var row = a.Slice((k0 + i) * n + k0, kb);
            for (int j = 0; j < kb; j++) row[j] = panel[j * m + i];
        }
        for (int k = k0; k < k0 + kb; k++)
        {
            int p = pivots[k];
            if (p == k) continue;
            if (k0 > 0) Swap(a.Slice(k * n, k0), a.Slice(p * n, k0));
            int right = k0 + kb;
            if (right < n) Swap(a.Slice(k * n + right, n - right), a.Slice(p * n + right, n - right));
        }
    }

    private static void Swap<T>(Span<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) (x[i], y[i]) = (y[i], x[i]);
    }

    private static bool PanelPivotsNonZero<T>(Span<T> a, int n, int k0, int kb) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int k = k0; k < k0 + kb; k++)
        {
            if (a[k * n + k] == T.Zero) return false;
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
        if (n == 0 || count == 0) return;
        // X (n × count): the right-hand sides as columns, so each row operation runs over all samples at once.
        var x = new Span<T>(ThreadBuffer<SolveUse, T>.Get(n * count), 0, n * count);
        Gemm.Transpose<T>(rows, n, x, count, n);
        for (int k = 0; k < n; k++)
        {
            int p = pivots[k];
            if (p == k) continue;
            for (int j = 0; j < count; j++) (x[k * count + j], x[p * count + j]) = (x[p * count + j], x[k * count + j]);
        }
        // L y = P b, a block of rows at a time: the rows above by GEMM, the block's own triangle by row updates.
        for (int i0 = 0; i0 < n; i0 += Block)
        {
            int i1 = Math.Min(i0 + Block, n);
            if (i0 > 0) Gemm.MatMulNN<T>(factors.Slice(i0 * n), n, x, count, x.Slice(i0 * count), count, i1 - i0, count, i0, -T.One, true);
            for (int i = i0 + 1; i < i1; i++)
            {
                var row = x.Slice(i * count, count);
                for (int j = i0; j < i; j++)
                {
                    T l = factors[i * n + j];
                    if (l != T.Zero) TensorPrimitives.MultiplyAdd(x.Slice(j * count, count), -l, row, row);
                }
            }
        }
        // U x = y, from the bottom block up.
        for (int i1 = n; i1 > 0; i1 -= Block)
        {
            int i0 = Math.Max(0, i1 - Block);
            if (i1 < n) Gemm.MatMulNN<T>(factors.Slice(i0 * n + i1), n, x.Slice(i1 * count), count, x.Slice(i0 * count), count, i1 - i0, count, n - i1, -T.One, true);
            for (int i = i1 - 1; i >= i0; i--)
            {
                var row = x.Slice(i * count, count);
                for (int j = i + 1; j < i1; j++)
                {
                    T u = factors[i * n + j];
                    if (u != T.Zero) TensorPrimitives.MultiplyAdd(x.Slice(j * count, count), -u, row, row);
                }
                TensorPrimitives.Divide(row, factors[i * n + i], row);
            }
        }
        Gemm.Transpose<T>(x, count, rows, n, count);
    }
}
