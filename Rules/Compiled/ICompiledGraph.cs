using System;
using System.Numerics;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// The primitives the source generator emits for one declared graph and one scalar type: a struct implementing this
/// interface, so every generic driver over it is specialised by the JIT (sizes are constants inside each primitive).
/// The primitives are graph operations, not algorithms: which cotangents flow where, with which backward matrix and
/// whether through f', is the caller's choice. Backprop, AR and every later rule are drivers in Rules over them.
/// Arrays are indexed by node id (<see cref="GraphLayout"/>); per-sample values are row-major per sample
/// (sample s, element i at [s * size + i]); weights row-major [rows, cols]; parameters by parameter index.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface ICompiledGraph<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The graph's layout: the graph value, sizes, orders, consumers, unit placements.</summary>
    static abstract GraphLayout Layout { get; }

    /// <summary>
    /// Computes node <paramref name="node"/> (a computed node) from the values of its parents in
    /// <paramref name="values"/>, writing <c>values[node]</c> and, for an op with a stored derivative,
    /// <c>derivatives[node]</c> (f' at the argument). Run over every computed node in topological order it is the
    /// forward pass; with a store whose parent entries are other arrays (relaxing units, value nodes) it is the
    /// forward-from-units primitive.
    /// </summary>
    static abstract void ComputeNode(int node, T[][] parameters, T[][] values, T[][] derivatives, int batch);

    /// <summary>
    /// The vector-Jacobian contribution of child <paramref name="child"/> to its per-sample argument
    /// <paramref name="argument"/>: <c>target (=|+=) J^T cotangent</c>, the Jacobian frozen at <paramref name="values"/>
    /// and <paramref name="derivatives"/>. For a matrix product the transposed product uses
    /// <paramref name="backwardMatrix"/> (the forward weight for backprop, a separate matrix B of the weight's shape for
    /// feedback alignment or learned backward weights); with <paramref name="useDerivative"/> false an elementwise
    /// op passes the cotangent through without f'.
    /// </summary>
    static abstract void Contribute(int child, int argument, ReadOnlySpan<T> cotangent, Span<T> target, bool accumulate, int batch,
        T[][] values, T[][] derivatives, ReadOnlySpan<T> backwardMatrix, bool useDerivative);

    /// <summary>
    /// The parameter-update product of child <paramref name="child"/> for its parameter argument
    /// <paramref name="argument"/>, on rows [<paramref name="rowStart"/>, rowStart + <paramref name="rowCount"/>) of the
    /// parameter: <c>target (=|+=) scale * (VJP of cotangent, summed over the batch)</c> (W x: c x^T; bias: the sum of c).
    /// With the parameter itself as target, scale -lr and accumulate, it is SGD fused into the product.
    /// </summary>
    static abstract void ParameterProduct(int child, int argument, ReadOnlySpan<T> cotangent, T[][] values, Span<T> target,
        T scale, bool accumulate, int batch, int rowStart, int rowCount);
}
