using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>x + b, the bias broadcast over the batch; VJP to b is the cotangent summed over the batch.</summary>
internal sealed class BiasAddOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.BiasAdd;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents)
    {
        var x = parents[0];
        var b = parents[1];
        return x.MapIndexed((i, _, v) => v + b[i, 0]);
    }

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) =>
        argument == 0 ? cotangent : Matrix<double>.Build.DenseOfColumnVectors(cotangent.RowSums());
}
