using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>An elementwise activation f (see <see cref="Activation"/>); the cotangent of its argument a is c * f'(a).</summary>
internal sealed class ElementwiseOp : IReferenceOp
{
    public Matrix<double> Forward(Node node, IReadOnlyList<Matrix<double>> parents) =>
        parents[0].Map(v => Activation.Apply(node.Op, node.Alpha, v));

    public Matrix<double> Vjp(Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) =>
        cotangent.PointwiseMultiply(parents[0].Map(v => Activation.Derivative(node.Op, node.Alpha, v)));
}
