using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>Concatenation of vectors; each argument's cotangent is its slice of the node's cotangent.</summary>
internal sealed class ConcatOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.Concat;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents)
    {
        var result = parents[0];
        for (int i = 1; i < parents.Count; i++) result = result.Stack(parents[i]);
        return result;
    }

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent)
    {
        int offset = 0;
        for (int i = 0; i < argument; i++) offset += parents[i].RowCount;
        return cotangent.SubMatrix(offset, parents[argument].RowCount, 0, cotangent.ColumnCount);
    }
}
