using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>The units [start, start + count) of a vector: forward takes those rows; the VJP puts the cotangent back at them, zero elsewhere.</summary>
internal sealed class SliceOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.Slice;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) =>
        parents[0].SubMatrix(node.IntConstant(0), node.IntConstant(1), 0, parents[0].ColumnCount);

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent)
    {
        var result = Matrix<double>.Build.Dense(parents[0].RowCount, parents[0].ColumnCount);
        result.SetSubMatrix(node.IntConstant(0), 0, cotangent);
        return result;
    }
}
