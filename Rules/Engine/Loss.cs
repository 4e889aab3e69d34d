using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>The losses' values and gradients with respect to the output, summed over the batch.</summary>
public static class Loss
{
    /// <summary>The loss of <paramref name="output"/> (size x batch) against <paramref name="targets"/>, summed over the batch.</summary>
    public static double Value(LossKind kind, Matrix<double> output, Matrix<double> targets)
    {
        switch (kind)
        {
            case LossKind.SquaredError:
            {
                var d = output - targets;
                return d.PointwiseMultiply(d).Enumerate().Sum();
            }
            case LossKind.SoftmaxCrossEntropy:
            {
                double total = 0;
                for (int s = 0; s < output.ColumnCount; s++)
                {
                    double lse = LogSumExp(output, s);
                    for (int k = 0; k < output.RowCount; k++) total -= targets[k, s] * (output[k, s] - lse);
                }
                return total;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss.");
        }
    }

    /// <summary>
    /// dL/dv_out: 2 (v - y) for squared error; softmax(v) * sum(y) - y for cross-entropy (softmax(v) - y when the
    /// target sums to one, as a one-hot does).
    /// </summary>
    public static Matrix<double> Gradient(LossKind kind, Matrix<double> output, Matrix<double> targets)
    {
        switch (kind)
        {
            case LossKind.SquaredError:
                return 2.0 * (output - targets);
            case LossKind.SoftmaxCrossEntropy:
            {
                var g = Matrix<double>.Build.Dense(output.RowCount, output.ColumnCount);
                for (int s = 0; s < output.ColumnCount; s++)
                {
                    double lse = LogSumExp(output, s);
                    double mass = 0;
                    for (int k = 0; k < output.RowCount; k++) mass += targets[k, s];
                    for (int k = 0; k < output.RowCount; k++) g[k, s] = Math.Exp(output[k, s] - lse) * mass - targets[k, s];
                }
                return g;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss.");
        }
    }

    private static double LogSumExp(Matrix<double> m, int column)
    {
        double max = double.NegativeInfinity;
        for (int k = 0; k < m.RowCount; k++) max = Math.Max(max, m[k, column]);
        double sum = 0;
        for (int k = 0; k < m.RowCount; k++) sum += Math.Exp(m[k, column] - max);
        return max + Math.Log(sum);
    }
}
