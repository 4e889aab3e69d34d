using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>W x: forward W X; VJP to x is W^T c; to W is c X^T summed over the batch.</summary>
internal sealed class MatVecOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.MatVec;

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) => parents[0] * parents[1];

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) =>
        argument == 0 ? cotangent.TransposeAndMultiply(parents[1]) : parents[0].TransposeThisAndMultiply(cotangent);
}
