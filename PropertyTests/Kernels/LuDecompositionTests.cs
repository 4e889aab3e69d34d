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
