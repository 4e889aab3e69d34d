using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>x + b[channel] at every position of an image; VJP to b is the cotangent summed over the batch and the channel's positions.</summary>
internal sealed class ChannelBiasAddOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.ChannelBiasAdd;

    private static int Positions(Node node) => node.Shape.Dims[1] * node.Shape.Dims[2];

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents)
    {
        var b = parents[1];
        int positions = Positions(node);
        return parents[0].MapIndexed((i, _, v) => v + b[i / positions, 0]);
    }

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent)
    {
        if (argument == 0) return cotangent;
        int positions = Positions(node);
        var sums = cotangent.RowSums();
        var result = Matrix<double>.Build.Dense(node.Shape.Dims[0], 1);
        for (int i = 0; i < sums.Count; i++) result[i / positions, 0] += sums[i];
        return result;
    }
}
