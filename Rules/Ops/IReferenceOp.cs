using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>
/// The float64 reference semantics of one op over a batch: per-sample values are (size x batch) matrices,
/// parameters are their own matrices (bias n x 1).
/// </summary>
public interface IReferenceOp
{
    /// <summary>The node's value from its parents' values (<paramref name="graph"/> gives the parents' shapes, which an image op's geometry needs).</summary>
    Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents);

    /// <summary>
    /// The local vector-Jacobian product J^T c: the cotangent of argument <paramref name="argument"/> given the
    /// cotangent <paramref name="cotangent"/> of the node, with the Jacobian at the stored <paramref name="parents"/>.
    /// For a parameter argument the result is summed over the batch and has the parameter's shape.
    /// </summary>
    Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent);
}

/// <summary>A reference op class that says which ops of the table it implements, so the registry needs no list of ops.</summary>
internal interface IReferenceOpImplementation : IReferenceOp
{
    /// <summary>True when this class gives the semantics of <paramref name="op"/>.</summary>
    bool Implements(OpDescriptor op);
}

/// <summary>
/// The registry of reference ops, one class per op (every elementwise op shares <see cref="ElementwiseOp"/>, which reads
/// its scalar function from the op table). Each computed op of <see cref="OpTable"/> is bound to the one class that implements it.
/// </summary>
public static class ReferenceOps
{
    private static readonly IReferenceOpImplementation[] Implementations =
    {
        new MatVecOp(), new BiasAddOp(), new AddOp(), new MulOp(), new ConcatOp(), new ElementwiseOp(),
        new Conv2dOp(), new ChannelBiasAddOp(), new PoolOp(), new FlattenOp(), new SliceOp(),
    };

    private static readonly Dictionary<OpKind, IReferenceOpImplementation[]> Ops = OpTable.All
        .Where(d => d.Role == NodeRole.Computed)
        .ToDictionary(d => d.Kind, d => Implementations.Where(i => i.Implements(d)).ToArray());

    /// <summary>The reference semantics of <paramref name="op"/> (computed ops only).</summary>
    /// <exception cref="KeyNotFoundException">The op is not computed, or no reference class (or more than one) implements it.</exception>
    public static IReferenceOp For(OpKind op)
    {
        if (!Ops.TryGetValue(op, out var implementations)) throw new KeyNotFoundException(op + " has no reference kernel (inputs and parameters are not computed).");
        if (implementations.Length == 0) throw new KeyNotFoundException(op + " has no reference kernel: no class in Rules/Ops implements it.");
        if (implementations.Length > 1) throw new KeyNotFoundException(op + " has several reference kernels: " + string.Join(", ", implementations.Select(i => i.GetType().Name)) + ".");
        return implementations[0];
    }
}
