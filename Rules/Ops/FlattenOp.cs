using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>An image as a vector: per sample the same values in the same (channel, row, column) order, so forward and VJP are the identity.</summary>
internal sealed class FlattenOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.Flatten;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) => parents[0].Clone();

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) => cotangent.Clone();
}
