using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.PropertyTests.Generators;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Kernels;
using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>
/// The blocked Gram matrix W Wᵀ against a plain loop (odd sizes, one and many blocks), and the orthogonality penalty
/// that uses it on the authors' tower network (weights of 784, 500, 200 and 10 rows) against the penalty written out,
/// on one and two threads.
/// </summary>
public class GramTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_blocked_gram_equals_a_plain_loop_and_writes_every_entry(bool float32)
    {
        var r = new Random(float32 ? 41 : 42);
        foreach (var (rows, cols, target) in new[] { (1, 1, 128), (5, 3, 8), (9, 40, 8), (33, 17, 8), (64, 64, 16), (130, 40, 32), (300, 64, 128), (301, 257, 100) })
        {
            var w = Enumerable.Range(0, rows * cols).Select(_ => r.NextDouble() * 2 - 1).ToArray();
            double[] got = float32 ? Compute<float>(w, rows, cols, target) : Compute<double>(w, rows, cols, target);
            double tolerance = (float32 ? 1e-5 : 1e-13) * cols;
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < rows; j++)
                {
                    double expected = 0;
                    for (int k = 0; k < cols; k++) expected += w[i * cols + k] * w[j * cols + k];
                    Assert.True(Math.Abs(got[i * rows + j] - expected) <= tolerance, $"{rows} x {cols}, blocks of {Gram.BlockRows(rows, target)}: G[{i}, {j}] = {got[i * rows + j]}, expected {expected}");
                    Assert.Equal(got[j * rows + i], got[i * rows + j]);
                }
            }
        }
    }

    private static double[] Compute<T>(double[] w, int rows, int cols, int target) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        // NaN-filled, so an entry neither phase writes fails the comparison.
        var gram = Enumerable.Repeat(T.NaN, rows * rows).ToArray();
        Gram.Compute<T>(w.Select(T.CreateChecked).ToArray(), rows, cols, gram, target);
        return gram.Select(double.CreateChecked).ToArray();
    }

    [Theory]
    [InlineData(784, 128, 112)]
    [InlineData(500, 128, 128)]
    [InlineData(200, 128, 104)]
    [InlineData(10, 128, 10)]
    [InlineData(33, 8, 8)]
    [InlineData(7, 8, 7)]
    public void Blocks_split_the_rows_evenly_in_multiples_of_eight(int rows, int target, int expected) => Assert.Equal(expected, Gram.BlockRows(rows, target));

    [Theory]
    [InlineData(1, OrthogonalityPenalty.OffDiagonal)]
    [InlineData(2, OrthogonalityPenalty.OffDiagonal)]
    [InlineData(2, OrthogonalityPenalty.Frobenius)]
    public void The_penalty_by_blocks_equals_the_penalty_written_out(int threads, OrthogonalityPenalty form)
    {
        const int batch = 6;
        const double lambda = 0.3;
        var (x, y) = ExampleModelTests.Data(batch, 784, 10, threads);
        var data = new CompiledBatch<double>(new[] { x }, y, batch);
        var parameters = GaitTower.Float64.Parameters.Initialise(5);
        var plain = new BackpropRule();
        var regularised = new OrthogonalityRegularised(plain, lambda, form);
        using var plainState = plain.CreateState<GaitTower.Float64, double>(batch, threads);
        using var regularisedState = regularised.CreateState<GaitTower.Float64, double>(batch, threads);
        var sizes = GaitTower.Float64.Layout.ParameterSizes;
        var without = sizes.Select(n => new double[n]).ToArray();
        var with = sizes.Select(n => new double[n]).ToArray();
        plainState.ComputeUpdates(parameters, data, without);
        regularisedState.ComputeUpdates(parameters, data, with);
        var layout = GaitTower.Float64.Layout;
        int weights = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            var node = layout.Graph.Nodes[layout.ParameterIds[k]];
            if (node.Op != Symbolic.Graph.OpKind.Weight)
            {
                Assert.Equal(without[k], with[k]);
                continue;
            }
            weights++;
            int n = node.Shape.Dims[0];
            var w = parameters.Arrays[k];
            var wm = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => w[i * n + j]);
            var d = wm * wm.Transpose();
            for (int i = 0; i < n; i++) d[i, i] = form == OrthogonalityPenalty.OffDiagonal ? 0 : d[i, i] - 1;
            var expected = 4 * lambda * batch * d * wm;
            double scale = expected.Enumerate().Max(Math.Abs);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double got = with[k][i * n + j] - without[k][i * n + j];
                    Assert.True(Math.Abs(got - expected[i, j]) <= 1e-12 * scale, $"{node.Name}[{i}, {j}]: penalty {got}, expected {expected[i, j]}");
                }
            }
        }
        Assert.Equal(4, weights);
    }
}
