using System;
using Symbolic.Rules.Kernels;
using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>The fused elementwise kernels against scalar loops, on lengths around the vector widths.</summary>
[Collection("Kernels")]
public class ElementwiseTests
{
    private static readonly int[] Lengths = { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 300 };

    [Fact]
    public void ReluWithMaskMatchesActivation()
    {
        var r = new Random(7);
        foreach (int n in Lengths)
        {
            var z = GemmTests.Random<double>(r, n);
            if (n > 2) z[1] = 0.0;
            var h = new double[n];
            var mask = new double[n];
            Elementwise.ReluWithMask<double>(z, h, mask);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(Symbolic.Graph.Activation.Apply(Symbolic.Graph.OpKind.Relu, 0, z[i]), h[i]);
                Assert.Equal(Symbolic.Graph.Activation.Derivative(Symbolic.Graph.OpKind.Relu, 0, z[i]), mask[i]);
            }
        }
    }

    [Fact]
    public void RelaxUpdateMatchesScalar()
    {
        var r = new Random(1);
        foreach (int n in Lengths)
        {
            var x = GemmTests.Random<float>(r, n);
            var d = GemmTests.Random<float>(r, n);
            var want = (float[])x.Clone();
            double sq = 0;
            for (int i = 0; i < n; i++)
            {
                float u = 0.1f * (d[i] - want[i]);
                want[i] += u;
                sq += (double)u * u;
            }
            float got = Relax.Update<float>(x, d, 0.1f);
            for (int i = 0; i < n; i++) Assert.Equal(want[i], x[i], 6);
            Assert.Equal(sq, got, 5);
        }
    }

    [Fact]
    public void RelaxUpdateMaskedMatchesScalar()
    {
        var r = new Random(2);
        foreach (int n in Lengths)
        {
            var x = GemmTests.Random<double>(r, n);
            var d = GemmTests.Random<double>(r, n);
            var mask = new double[n];
            for (int i = 0; i < n; i++) mask[i] = r.Next(2);
            var masked = new double[n];
            var want = (double[])x.Clone();
            double sq = 0;
            for (int i = 0; i < n; i++)
            {
                double u = 0.3 * (d[i] - want[i]);
                want[i] += u;
                sq += u * u;
            }
            double got = Relax.UpdateMasked<double>(x, d, 0.3, mask, masked);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(want[i], x[i], 12);
                Assert.Equal(want[i] * mask[i], masked[i], 12);
            }
            Assert.Equal(sq, got, 10);
        }
    }

    [Fact]
    public void ReluFamilyMatchesScalar()
    {
        var r = new Random(3);
        foreach (int cols in new[] { 1, 7, 16, 17, 33 })
        {
            int rows = 3;
            var z = GemmTests.Random<float>(r, rows * cols);
            var bias = GemmTests.Random<float>(r, cols);
            var grad = GemmTests.Random<float>(r, rows * cols);
            var zb = new float[rows * cols];
            for (int i = 0; i < zb.Length; i++) zb[i] = z[i] + bias[i % cols];

            var h = new float[rows * cols];
            var mask = new float[rows * cols];
            var z2 = (float[])z.Clone();
            Elementwise.BiasRelu<float>(z2, bias, rows, h, mask);
            var relu = new float[rows * cols];
            Elementwise.Relu<float>(zb, relu);
            var back = new float[rows * cols];
            Elementwise.ReluBackward<float>(zb, grad, back);
            for (int i = 0; i < zb.Length; i++)
            {
                Assert.Equal(zb[i], z2[i]);
                Assert.Equal(Math.Max(zb[i], 0f), h[i]);
                Assert.Equal(Math.Max(zb[i], 0f), relu[i]);
                Assert.Equal(zb[i] > 0 ? 1f : 0f, mask[i]);
                Assert.Equal(zb[i] > 0 ? grad[i] : 0f, back[i]);
            }

            var sums = new float[cols];
            Elementwise.ColumnSums<float>(grad, rows, sums, 2f, false);
            for (int j = 0; j < cols; j++) Assert.Equal(2 * (grad[j] + grad[cols + j] + grad[2 * cols + j]), sums[j], 5);
            var withBias = (float[])z.Clone();
            Elementwise.AddBias<float>(withBias, bias, rows);
            for (int i = 0; i < zb.Length; i++) Assert.Equal(zb[i], withBias[i]);
        }
    }

    [Fact]
    public void SquaredErrorGivesLossAndGradient()
    {
        var g = new double[3];
        double loss = Elementwise.SquaredError<double>(new double[] { 1, 2, 3 }, new double[] { 0, 2, 5 }, g);
        Assert.Equal(5.0, loss);
        Assert.Equal(new double[] { 2, 0, -4 }, g);
    }
}
