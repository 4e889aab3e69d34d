using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>Elementwise product a * b (a gate); the cotangent of a is c * b, of b is c * a.</summary>
internal sealed class MulOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.Mul;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) => parents[0].PointwiseMultiply(parents[1]);

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) =>
        cotangent.PointwiseMultiply(parents[1 - argument]);
}
