using System;
using System.Threading.Tasks;
using Symbolic.Rules.Kernels;
using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>
/// The blocked GEMM with B's panels from a <see cref="PackedOperandCache{T}"/>: the same products as without it, on the
/// first use and on cache hits, after the matrix changes between steps, for an operand inside a registered array, and
/// with two threads asking for the same operand at once (one packs it, the other its own copy).
/// </summary>
[Collection("Kernels")]
public class PackedOperandCacheTests
{
    // (m, n, k) on the blocked path: several k-blocks and column blocks, narrow last panels, 1 to 3 vectors.
    private static readonly (int M, int N, int K)[] Shapes = { (32, 300, 784), (40, 100, 300), (33, 800, 513), (64, 17, 40), (48, 784, 300) };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProductsMatchThePlainLoopOnFirstUseAndOnHits(bool transposed)
    {
        var r = new Random(transposed ? 5 : 6);
        foreach (var (m, n, k) in Shapes)
        {
            var weights = GemmTests.Random<double>(r, n * k);
            var cache = new PackedOperandCache<double>();
            var registered = new[] { new double[3], weights };
            cache.BeginStep(registered);
            for (int step = 0; step < 2; step++)
            {
                for (int use = 0; use < 3; use++)
                {
                    var a = GemmTests.Random<double>(r, m * k);
                    var c = new double[m * n];
                    using (cache.Enter()) Multiply(transposed, a, weights, c, m, n, k);
                    AssertPlain(transposed, a, weights, c, m, n, k, $"step {step} use {use}");
                }
                // The matrix changes between steps (as an update does): the next step must not read the old panels.
                for (int i = 0; i < weights.Length; i++) weights[i] = -0.5 * weights[i] + 0.25;
                cache.BeginStep(registered);
            }
        }
    }

    [Fact]
    public void AnOperandInsideARegisteredArrayIsPackedByItsOffsetAndShape()
    {
        var r = new Random(9);
        int m = 40, n = 96, k = 70;
        var both = GemmTests.Random<float>(r, 2 * n * k);
        var cache = new PackedOperandCache<float>();
        cache.BeginStep(new[] { both });
        for (int half = 0; half < 2; half++)
        {
            var a = GemmTests.Random<float>(r, m * k);
            var c = new float[m * n];
            var b = both.AsSpan(half * n * k, n * k);
            using (cache.Enter()) Gemm.MatMulNT<float>(a, b, c, m, n, k, false);
            var want = new float[m * n];
            Gemm.MatMulNT<float>(a, b, want, m, n, k, false);
            Assert.Equal(want, c);
        }
    }

    [Fact]
    public void TwoThreadsAskingForTheSameOperandAtOnceGetTheSameProducts()
    {
        var r = new Random(11);
        int m = 64, n = 300, k = 784;
        var weights = GemmTests.Random<float>(r, n * k);
        var inputs = new[] { GemmTests.Random<float>(r, m * k), GemmTests.Random<float>(r, m * k) };
        var wants = new float[2][];
        for (int t = 0; t < 2; t++)
        {
            wants[t] = new float[m * n];
            Gemm.MatMulNT<float>(inputs[t], weights, wants[t], m, n, k, false);
        }
        var cache = new PackedOperandCache<float>();
        for (int step = 0; step < 20; step++)
        {
            cache.BeginStep(new[] { weights });
            var outs = new[] { new float[m * n], new float[m * n] };
            Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
            {
                using var scope = cache.Enter();
                Gemm.MatMulNT<float>(inputs[t], weights, outs[t], m, n, k, false);
                Gemm.MatMulNT<float>(inputs[t], weights, outs[t], m, n, k, true);
            });
            for (int t = 0; t < 2; t++)
            {
                for (int i = 0; i < outs[t].Length; i++) Assert.Equal(2 * wants[t][i], outs[t][i], 2e-4f * (1 + Math.Abs(wants[t][i])));
            }
        }
    }

    private static void Multiply(bool transposed, double[] a, double[] b, double[] c, int m, int n, int k)
    {
        if (transposed) Gemm.MatMulNT<double>(a, b, c, m, n, k, false);
        else Gemm.MatMulNN<double>(a, b, c, m, n, k, false);
    }

    private static void AssertPlain(bool transposed, double[] a, double[] b, double[] c, int m, int n, int k, string where)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double want = 0, scale = 1e-300;
                for (int p = 0; p < k; p++)
                {
                    double x = a[i * k + p], y = transposed ? b[j * k + p] : b[p * n + j];
                    want += x * y;
                    scale += Math.Abs(x * y);
                }
                Assert.True(Math.Abs(c[i * n + j] - want) <= 5e-16 * (k + 2) * scale, $"{(transposed ? "NT" : "NN")} {m}x{n}x{k} {where} at ({i},{j}): {c[i * n + j]} vs {want}");
            }
        }
    }
}
