using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>Elementwise sum; every argument receives the cotangent unchanged.</summary>
internal sealed class AddOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.Add;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) =>
        parents.Skip(1).Aggregate(parents[0].Clone(), (acc, p) => acc + p);

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) => cotangent;
}
