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
    /// <param name="Constants">The op's constant arguments in the order its descriptor lists them (a leaky ReLU's slope; a
    /// convolution's stride and padding; a pooling window and stride); empty for ops without any.</param>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed record Node(int Id, string Name, OpKind Op, EquatableArray<int> Inputs, Shape Shape, EquatableArray<double> Constants = default)
    {
        /// <summary>The first constant argument (a leaky ReLU's slope), zero for an op without any.</summary>
        public double Alpha => Constants.Count > 0 ? Constants[0] : 0.0;

        /// <summary>Constant argument number <paramref name="index"/> as an integer (a stride, a padding, a window).</summary>
        public int IntConstant(int index) => (int)Constants[index];

        // An op the table does not know counts as computed, so validation reaches its "unknown op" error.
        /// <summary>Whether the node is an input, a parameter or computed (its op's <see cref="OpDescriptor.Role"/>).</summary>
        public NodeRole Role => OpTable.TryGet(Op, out var descriptor) ? descriptor.Role : NodeRole.Computed;

        /// <summary>The number of elements per sample.</summary>
        public int Size => Shape.Size;
    }
}
