using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>
/// The float64 reference semantics of one op over a batch: per-sample values are (size x batch) matrices,
/// parameters are their own matrices (bias n x 1).
/// </summary>
public interface IReferenceOp
{
    /// <summary>The node's value from its parents' values.</summary>
    Matrix<double> Forward(Node node, IReadOnlyList<Matrix<double>> parents);

    /// <summary>
    /// The local vector-Jacobian product J^T c: the cotangent of argument <paramref name="argument"/> given the
    /// cotangent <paramref name="cotangent"/> of the node, with the Jacobian at the stored <paramref name="parents"/>.
    /// For a parameter argument the result is summed over the batch and has the parameter's shape.
    /// </summary>
    Matrix<double> Vjp(Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent);
}

/// <summary>The registry of reference ops, one class per op.</summary>
public static class ReferenceOps
{
    private static readonly Dictionary<OpKind, IReferenceOp> Ops = new()
    {
        [OpKind.MatVec] = new MatVecOp(),
        [OpKind.BiasAdd] = new BiasAddOp(),
        [OpKind.Add] = new AddOp(),
        [OpKind.Mul] = new MulOp(),
        [OpKind.Concat] = new ConcatOp(),
        [OpKind.Identity] = new ElementwiseOp(),
        [OpKind.Tanh] = new ElementwiseOp(),
        [OpKind.Sigmoid] = new ElementwiseOp(),
        [OpKind.Relu] = new ElementwiseOp(),
        [OpKind.LeakyRelu] = new ElementwiseOp(),
        [OpKind.Softplus] = new ElementwiseOp(),
    };

    /// <summary>The reference semantics of <paramref name="op"/> (computed ops only).</summary>
    public static IReferenceOp For(OpKind op) =>
        Ops.TryGetValue(op, out var r) ? r : throw new KeyNotFoundException(op + " has no reference kernel (inputs and parameters are not computed).");
}
