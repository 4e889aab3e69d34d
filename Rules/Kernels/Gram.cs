using System;
using System.Numerics;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// The Gram matrix G = W Wᵀ (W rows x cols, row-major; G rows x rows) by blocks of rows, multiplying only the tiles
/// on and right of the diagonal and mirroring the others: about 57 % of a full product's work at 784 rows in blocks
/// of 112 (BLAS's <c>syrk</c>). In two phases so threads can share one matrix: <see cref="UpperBlockRow{T}"/> for
/// every block, then, once all are done, <see cref="MirrorBlockRow{T}"/> for every block (which reads the tiles the
/// blocks above it computed).
/// </summary>
public static class Gram
{
    /// <summary>The rows of a block when none is given: large enough for the blocked GEMM's packing to be small beside the product.</summary>
    public const int TargetBlockRows = 128;

    /// <summary>
    /// Rows per block for a matrix of <paramref name="rows"/> rows: the rows split evenly into blocks of at most
    /// <paramref name="target"/>, rounded up to a multiple of 8 (784 gives 7 blocks of 112). The last block may be shorter.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">rows or target below 1.</exception>
    public static int BlockRows(int rows, int target = TargetBlockRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(target, 1);
        int blocks = (rows + target - 1) / target, size = (rows + blocks - 1) / blocks;
        return Math.Min(rows, (size + 7) / 8 * 8);
    }

    /// <summary>
    /// Phase 1 for the block of rows [<paramref name="start"/>, start + <paramref name="count"/>): G[start.., start..rows) = W[start..] W[start..rows)ᵀ.
    /// </summary>
    /// <exception cref="ArgumentException">The spans are too short or the block lies outside the rows.</exception>
    public static void UpperBlockRow<T>(ReadOnlySpan<T> w, int rows, int cols, Span<T> gram, int start, int count)
        where T : unmanaged, INumber<T>
    {
        Check(w.Length, rows, cols, gram.Length, start, count);
        Gemm.MatMulNT(w.Slice(start * cols), cols, w.Slice(start * cols), cols, gram.Slice(start * rows + start), rows, count, rows - start, cols, T.One, false);
    }

    /// <summary>
    /// Phase 2 for the block [<paramref name="start"/>, start + <paramref name="count"/>): G[r, c] = G[c, r] for its
    /// rows r and every column c left of the block, from the tiles phase 1 wrote for the blocks above. Those blocks
    /// must all be done; tiles of 32 x 32 keep the transposed reads within cache lines.
    /// </summary>
    /// <exception cref="ArgumentException">The span is too short or the block lies outside the rows.</exception>
    public static void MirrorBlockRow<T>(Span<T> gram, int rows, int start, int count)
        where T : unmanaged, INumber<T>
    {
        Check(rows * rows, rows, rows, gram.Length, start, count);
        const int tile = 32;
        for (int r0 = start; r0 < start + count; r0 += tile)
        {
            int r1 = Math.Min(r0 + tile, start + count);
            for (int c0 = 0; c0 < start; c0 += tile)
            {
                int c1 = Math.Min(c0 + tile, start);
                for (int r = r0; r < r1; r++)
                {
                    var row = gram.Slice(r * rows, c1);
                    for (int c = c0; c < c1; c++) row[c] = gram[c * rows + r];
                }
            }
        }
    }

    /// <summary>G = W Wᵀ on the calling thread: both phases over blocks of <see cref="BlockRows"/>(rows, <paramref name="target"/>) rows.</summary>
    public static void Compute<T>(ReadOnlySpan<T> w, int rows, int cols, Span<T> gram, int target = TargetBlockRows)
        where T : unmanaged, INumber<T>
    {
        int block = BlockRows(rows, target);
        for (int start = 0; start < rows; start += block) UpperBlockRow(w, rows, cols, gram, start, Math.Min(block, rows - start));
        for (int start = block; start < rows; start += block) MirrorBlockRow(gram, rows, start, Math.Min(block, rows - start));
    }

    private static void Check(int wLength, int rows, int cols, int gramLength, int start, int count)
    {
        if (rows < 1 || cols < 1) throw new ArgumentException("The matrix needs at least one row and one column; got " + rows + " x " + cols + ".");
        if (start < 0 || count < 1 || start + count > rows) throw new ArgumentException("The block [" + start + ", " + start + " + " + count + ") is not within the " + rows + " rows.");
        if (wLength < rows * cols) throw new ArgumentException("W holds " + wLength + " values; " + rows + " x " + cols + " needs " + rows * cols + ".");
        if (gramLength < rows * rows) throw new ArgumentException("G holds " + gramLength + " values; " + rows + " x " + rows + " needs " + rows * rows + ".");
    }
}
