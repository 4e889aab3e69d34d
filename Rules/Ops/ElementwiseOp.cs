using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>An elementwise activation f (its <see cref="OpDescriptor.Elementwise"/> function); the cotangent of its argument a is c * f'(a).</summary>
internal sealed class ElementwiseOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.IsElementwise;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents)
    {
        var f = Function(node);
        return parents[0].Map(v => f.Value(node.Alpha, v));
    }

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent)
    {
        var f = Function(node);
        return cotangent.PointwiseMultiply(parents[0].Map(v => f.Derivative(node.Alpha, v)));
    }

    // Looked up once per matrix rather than per element, as Activation.Apply would.
    private static ScalarFunction Function(Node node) => OpTable.For(node.Op).Elementwise!;
}
