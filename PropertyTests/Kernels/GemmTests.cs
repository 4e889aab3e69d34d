using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Symbolic.Rules.Kernels;
using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>Every Gemm kernel against a plain double loop, on shapes that hit every tile and tail.</summary>
[Collection("Kernels")]
public class GemmTests
{
    private enum Op { NT, NN, TN }

    // Sizes around the vector widths (8 doubles, 16 floats) and the tile shapes (4 rows, 3 vectors), 1 included.
    private static readonly int[] Edge = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97 };

    private static IEnumerable<(int M, int N, int K)> Shapes(int seed, int count)
    {
        var r = new Random(seed);
        yield return (1, 1, 1);
        yield return (1, 300, 300);
        yield return (4, 100, 300);
        yield return (5, 10, 100);
        yield return (3, 784, 17);
        // Enough rows to pack B's panels (Gemm.PanelRowsThreshold), several k-blocks, column tails.
        yield return (129, 97, 130);
        yield return (140, 49, 257);
        yield return (131, 300, 129);
        // The blocked path (Gemm.BlockedMinRows rows): edge tiles in rows and columns, several k-blocks and column
        // blocks, more rows than one packed block of A.
        yield return (32, 32, 32);
        yield return (33, 800, 300);
        yield return (47, 100, 513);
        yield return (100, 49, 257);
        yield return (1030, 40, 33);
        // Leading dimensions of A a multiple of 4 KB (k for NN and NT, m for TN): the blocked path packs A instead of
        // reading it in place.
        yield return (41, 50, 1024);
        yield return (1024, 37, 20);
        for (int i = 0; i < count; i++) yield return (Edge[r.Next(Edge.Length)], Edge[r.Next(Edge.Length)], Edge[r.Next(Edge.Length)]);
    }

    public static IEnumerable<object[]> Cases() =>
        from op in new[] { Op.NT, Op.NN, Op.TN }
        from mode in new[] { "blocked", "wide-edges", "packed-a", "tile-edges", "unblocked", "portable" }
        select new object[] { op.ToString(), mode };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FloatMatchesPlainLoop(string op, string mode) => Run<float>(Enum.Parse<Op>(op), mode, 2.5e-7);

    [Theory]
    [MemberData(nameof(Cases))]
    public void DoubleMatchesPlainLoop(string op, string mode) => Run<double>(Enum.Parse<Op>(op), mode, 5e-16);

    [Theory]
    [InlineData("NT")]
    [InlineData("NN")]
    [InlineData("TN")]
    public void StridedWithAlphaTouchesOnlyTheBlock(string opName)
    {
        var op = Enum.Parse<Op>(opName);
        var r = new Random(7);
        foreach (var (m, n, k) in Shapes(11, 40))
        {
            foreach (bool accumulate in new[] { false, true })
            {
                int padA = r.Next(0, 5), padB = r.Next(0, 5), padC = r.Next(0, 5);
                var (aRows, aCols) = op == Op.TN ? (k, m) : (m, k);
                var (bRows, bCols) = op == Op.NT ? (n, k) : (k, n);
                int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
                var a = Random<double>(r, (aRows - 1) * lda + aCols);
                var b = Random<double>(r, (bRows - 1) * ldb + bCols);
                var c = Random<double>(r, (m - 1) * ldc + n);
                var before = (double[])c.Clone();
                double alpha = -0.5 + r.NextDouble();
                Call(op, a, lda, b, ldb, c, ldc, m, n, k, alpha, accumulate);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < ldc && i * ldc + j < c.Length; j++)
                    {
                        if (j >= n)
                        {
                            Assert.Equal(before[i * ldc + j], c[i * ldc + j]);
                            continue;
                        }
                        double want = 0, scale = 0;
                        for (int p = 0; p < k; p++)
                        {
                            double x = op == Op.TN ? a[p * lda + i] : a[i * lda + p];
                            double y = op == Op.NT ? b[j * ldb + p] : b[p * ldb + j];
                            want += x * y;
                            scale += Math.Abs(x * y);
                        }
                        want = alpha * want + (accumulate ? before[i * ldc + j] : 0);
                        scale = Math.Abs(alpha) * scale + Math.Abs(before[i * ldc + j]) + 1e-300;
                        Assert.True(Math.Abs(c[i * ldc + j] - want) <= 5e-16 * (k + 2) * scale, $"{op} {m}x{n}x{k} ld {lda},{ldb},{ldc} acc={accumulate} at ({i},{j}): {c[i * ldc + j]} vs {want}");
                    }
                }
            }
        }
    }

    [Fact]
    public void ShortOperandsThrowWithTheShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.MatMulNT<float>(new float[5], new float[6], new float[6], 2, 3, 3, false));
        Assert.Contains("2 x 3", e.Message);
        Assert.Throws<ArgumentException>(() => Gemm.MatMulNN<double>(new double[6], new double[5], new double[6], 2, 3, 2, false));
        Assert.Throws<ArgumentException>(() => Gemm.MatMulTN<double>(new double[6], new double[6], new double[5], 2, 3, 2, false));
        Assert.Throws<ArgumentException>(() => Gemm.MatMulNN<double>(new double[6], 1, new double[6], 3, new double[6], 3, 2, 3, 2, 1.0, false));
    }

    [Fact]
    public void EmptyKClearsOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.MatMulNT<float>(Array.Empty<float>(), Array.Empty<float>(), c, 2, 2, 0, true);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        Gemm.MatMulNN<float>(Array.Empty<float>(), Array.Empty<float>(), c, 2, 2, 0, false);
        Assert.Equal(new float[4], c);
    }

    // mode: "blocked" (every fast kernel), "wide-edges" (blocked, Gemm.NarrowEdgePanels off: the last panel through the full
    // kernel), "packed-a" (blocked, Gemm.DirectA off: A always packed), "tile-edges" (blocked, Gemm.MaskedEdges off: the
    // last panel through the scratch tile), "unblocked" (Gemm.BlockedKernels off), "portable" (Gemm.FastKernels off).
    private static void Run<T>(Op op, string mode, double eps) where T : unmanaged, INumber<T>
    {
        var r = new Random(op.GetHashCode() * 31 + mode.Length + typeof(T).Name.Length);
        bool fast = mode != "portable";
        bool saved = Gemm.FastKernels, savedBlocked = Gemm.BlockedKernels, savedNarrow = Gemm.NarrowEdgePanels;
        bool savedDirect = Gemm.DirectA, savedMasked = Gemm.MaskedEdges;
        Gemm.FastKernels = fast;
        Gemm.BlockedKernels = mode is "blocked" or "wide-edges" or "packed-a" or "tile-edges";
        Gemm.NarrowEdgePanels = mode != "wide-edges";
        Gemm.DirectA = mode != "packed-a";
        Gemm.MaskedEdges = mode != "tile-edges";
        try
        {
            foreach (var (m, n, k) in Shapes(r.Next(), 60))
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    var a = Random<T>(r, m * k);
                    var b = Random<T>(r, n * k);
                    var c = Random<T>(r, m * n);
                    var before = (T[])c.Clone();
                    switch (op)
                    {
                        case Op.NT: Gemm.MatMulNT<T>(a, b, c, m, n, k, accumulate); break;
                        case Op.NN: Gemm.MatMulNN<T>(a, b, c, m, n, k, accumulate); break;
                        default: Gemm.MatMulTN<T>(a, b, c, m, n, k, accumulate); break;
                    }
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double want = 0, scale = 0;
                            for (int p = 0; p < k; p++)
                            {
                                double x = double.CreateChecked(op == Op.TN ? a[p * m + i] : a[i * k + p]);
                                double y = double.CreateChecked(op == Op.NT ? b[j * k + p] : b[p * n + j]);
                                want += x * y;
                                scale += Math.Abs(x * y);
                            }
                            double old = double.CreateChecked(before[i * n + j]);
                            if (accumulate) want += old;
                            scale += Math.Abs(old) + 1e-300;
                            double got = double.CreateChecked(c[i * n + j]);
                            Assert.True(Math.Abs(got - want) <= eps * (k + 2) * scale, $"{op} {typeof(T).Name} {mode} {m}x{n}x{k} acc={accumulate} at ({i},{j}): {got} vs {want}");
                        }
                    }
                }
            }
        }
        finally
        {
            Gemm.FastKernels = saved;
            Gemm.BlockedKernels = savedBlocked;
            Gemm.NarrowEdgePanels = savedNarrow;
            Gemm.DirectA = savedDirect;
            Gemm.MaskedEdges = savedMasked;
        }
    }

    private static void Call(Op op, double[] a, int lda, double[] b, int ldb, double[] c, int ldc, int m, int n, int k, double alpha, bool accumulate)
    {
        switch (op)
        {
            case Op.NT: Gemm.MatMulNT<double>(a, lda, b, ldb, c, ldc, m, n, k, alpha, accumulate); break;
            case Op.NN: Gemm.MatMulNN<double>(a, lda, b, ldb, c, ldc, m, n, k, alpha, accumulate); break;
            default: Gemm.MatMulTN<double>(a, lda, b, ldb, c, ldc, m, n, k, alpha, accumulate); break;
        }
    }

    internal static T[] Random<T>(Random r, int length) where T : INumber<T>
    {
        var x = new T[Math.Max(length, 0)];
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(r.NextDouble() * 2 - 1);
        return x;
    }
}
