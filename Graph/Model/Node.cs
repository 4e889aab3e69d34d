namespace Symbolic.Graph
{
    /// <summary>
    /// One node of a computation graph: its stable id (its index in the graph, which is a topological
    /// order), a unique name, the op, the ids of its parents in argument order, and its per-sample shape.
    /// </summary>
    /// <param name="Id">Stable id, equal to the node's index in <see cref="ComputationGraph.Nodes"/>.</param>
    /// <param name="Name">Unique name within the graph (parameters are looked up by it).</param>
    /// <param name="Op">The operation.</param>
    /// <param name="Inputs">Parent ids, in argument order.</param>
    /// <param name="Shape">Per-sample shape of the value (for parameters, the parameter's shape).</param>
    /// <param name="Alpha">The op's constant argument (the negative slope of a leaky ReLU); zero for ops without one.</param>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed record Node(int Id, string Name, OpKind Op, EquatableArray<int> Inputs, Shape Shape, double Alpha = 0.0)
    {
        // An op the table does not know counts as computed, so validation reaches its "unknown op" error.
        /// <summary>Whether the node is an input, a parameter or computed (its op's <see cref="OpDescriptor.Role"/>).</summary>
        public NodeRole Role => OpTable.TryGet(Op, out var descriptor) ? descriptor.Role : NodeRole.Computed;

        /// <summary>The number of elements per sample.</summary>
        public int Size => Shape.Size;
    }
}
