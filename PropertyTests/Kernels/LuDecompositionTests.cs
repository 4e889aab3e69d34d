using System;
using System.Linq;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Rules.Kernels;
using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>The LU kernel of compiled target propagation: factors and row solves against MathNet's solve, odd sizes included, and singular matrices reported.</summary>
public class LuDecompositionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Row_solves_equal_a_plain_solve_on_odd_sizes(bool float32)
    {
        var r = new Random(float32 ? 31 : 32);
        foreach (int n in new[] { 1, 2, 3, 5, 8, 17, 33, 64, 65, 97, 150 })
        {
            int count = r.Next(1, 6);
            var a = Matrix<double>.Build.Random(n, n, new Normal(0, 1, r)) + 3 * Matrix<double>.Build.DenseIdentity(n);
            var b = Matrix<double>.Build.Random(count, n, new Normal(0, 1, r));
            // Rows are right-hand sides: A x_s = b_s, i.e. X = (A⁻¹ Bᵀ)ᵀ.
            var expected = a.Solve(b.Transpose()).Transpose();
            double[] got = float32 ? Solve<float>(a, b) : Solve<double>(a, b);
            double tolerance = (float32 ? 1e-4 : 1e-11) * a.ConditionNumber();
            for (int s = 0; s < count; s++)
            {
                for (int i = 0; i < n; i++) Assert.True(Math.Abs(got[s * n + i] - expected[s, i]) < tolerance * Math.Max(1, Math.Abs(expected[s, i])), $"n {n}, row {s}, unit {i}: {got[s * n + i]} against {expected[s, i]}");
            }
        }
    }

    private static double[] Solve<T>(Matrix<double> a, Matrix<double> b) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        int n = a.RowCount;
        var factors = Enumerable.Range(0, n * n).Select(k => T.CreateChecked(a[k / n, k % n])).ToArray();
        var pivots = new int[n];
        Assert.True(LuDecomposition.Factor<T>(factors, n, pivots));
        var rows = Enumerable.Range(0, b.RowCount * n).Select(k => T.CreateChecked(b[k / n, k % n])).ToArray();
        LuDecomposition.SolveRows<T>(factors, pivots, n, rows, b.RowCount);
        return rows.Select(double.CreateChecked).ToArray();
    }

    /// <summary>
    /// The blocked factorisation (column-major panels, row interchanges applied to the other columns afterwards) gives
    /// the textbook's partial pivoting: the same pivot rows and the same factors, on random matrices that pivot often
    /// (no diagonal boost), sizes around the 64-column panel included.
    /// </summary>
    [Fact]
    public void Factors_and_pivots_equal_a_textbook_partial_pivoting()
    {
        var r = new Random(33);
        foreach (int n in new[] { 1, 2, 7, 63, 64, 65, 130, 200 })
        {
            var a = Enumerable.Range(0, n * n).Select(_ => Normal.Sample(r, 0, 1)).ToArray();
            var expected = (double[])a.Clone();
            var expectedPivots = new int[n];
            for (int k = 0; k < n; k++)
            {
                int p = k;
                for (int i = k + 1; i < n; i++) if (Math.Abs(expected[i * n + k]) > Math.Abs(expected[p * n + k])) p = i;
                expectedPivots[k] = p;
                for (int j = 0; j < n; j++) (expected[k * n + j], expected[p * n + j]) = (expected[p * n + j], expected[k * n + j]);
                for (int i = k + 1; i < n; i++)
                {
                    expected[i * n + k] /= expected[k * n + k];
                    for (int j = k + 1; j < n; j++) expected[i * n + j] -= expected[i * n + k] * expected[k * n + j];
                }
            }
            var pivots = new int[n];
            Assert.True(LuDecomposition.Factor<double>(a, n, pivots));
            Assert.Equal(expectedPivots, pivots);
            Assert.True(n < 7 || expectedPivots.Where((p, k) => p != k).Count() >= n / 2, $"n {n}: the matrix should pivot often");
            for (int i = 0; i < n * n; i++) Assert.True(Math.Abs(a[i] - expected[i]) < 1e-9 * Math.Max(1, Math.Abs(expected[i])), $"n {n}, factor {i / n},{i % n}: {a[i]} against {expected[i]}");
        }
    }

    [Fact]
    public void A_singular_matrix_and_short_spans_are_reported()
    {
        var singular = new double[] { 1, 2, 3, 2, 4, 6, 0, 1, 1 };
        Assert.False(LuDecomposition.Factor<double>(singular, 3, new int[3]));
        Assert.False(LuDecomposition.Factor<double>(new double[4], 2, new int[2]));
        Assert.Contains("needs 9 values", Assert.Throws<ArgumentException>(() => LuDecomposition.Factor<double>(new double[8], 3, new int[3])).Message);
        Assert.Contains("row values", Assert.Throws<ArgumentException>(() => LuDecomposition.SolveRows<double>(new double[9], new int[3], 3, new double[5], 2)).Message);
    }
}
