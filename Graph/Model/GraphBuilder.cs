using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>A handle to a node added to a <see cref="GraphBuilder"/>; valid only with the builder that made it.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class NodeRef
    {
        internal NodeRef(GraphBuilder owner, Node node)
        {
            Owner = owner;
            Node = node;
        }

        internal GraphBuilder Owner { get; }

        /// <summary>The node as added.</summary>
        public Node Node { get; }

        /// <summary>The node's id.</summary>
        public int Id => Node.Id;

        /// <summary>The node's name.</summary>
        public string Name => Node.Name;

        /// <summary>The node's per-sample shape.</summary>
        public Shape Shape => Node.Shape;

        /// <inheritdoc/>
        public override string ToString() => Name + " " + Shape;
    }

    /// <summary>
    /// Builds a <see cref="ComputationGraph"/> node by node. Each call checks shapes at once and throws a
    /// <see cref="GraphBuildException"/> naming the node and the shapes involved; <see cref="Build"/> makes the
    /// immutable graph. The builder is the only mutable object of the model and is meant to be short-lived.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class GraphBuilder
    {
        private readonly List<Node> nodes = new List<Node>();
        private readonly HashSet<string> names = new HashSet<string>();

        /// <summary>Starts a graph named <paramref name="name"/>.</summary>
        public GraphBuilder(string name = "graph") => Name = name;

        /// <summary>The name the built graph will have.</summary>
        public string Name { get; }

        /// <summary>The nodes added so far.</summary>
        public IReadOnlyList<Node> Nodes => nodes;

        /// <summary>Adds an input vector of <paramref name="length"/> elements.</summary>
        public NodeRef Input(string name, int length) => Leaf(name, OpKind.Input, Dims(name, length));

        /// <summary>Adds an input of any per-sample shape (e.g. an image [channels, height, width]).</summary>
        public NodeRef Input(string name, Shape shape) => Leaf(name, OpKind.Input, shape);

        /// <summary>Adds a weight matrix parameter of <paramref name="rows"/> by <paramref name="columns"/>.</summary>
        public NodeRef Weight(string name, int rows, int columns) => Leaf(name, OpKind.Weight, Dims(name, rows, columns));

        /// <summary>Adds a bias vector parameter of <paramref name="length"/> elements.</summary>
        public NodeRef Bias(string name, int length) => Leaf(name, OpKind.Bias, Dims(name, length));

        /// <summary>Adds a convolution kernel parameter of <paramref name="outputs"/> by <paramref name="inputs"/> channels by <paramref name="height"/> by <paramref name="width"/>.</summary>
        public NodeRef Kernel(string name, int outputs, int inputs, int height, int width) => Leaf(name, OpKind.Kernel, Dims(name, outputs, inputs, height, width));

        /// <summary>Adds the convolution of an image by a kernel with a stride and zero padding on every side.</summary>
        public NodeRef Conv2d(NodeRef kernel, NodeRef input, int stride = 1, int padding = 0, string? name = null) => Add(name, OpKind.Conv2d, new double[] { stride, padding }, kernel, input);

        /// <summary>Adds max-pooling of every channel over square windows of <paramref name="window"/> with a stride (the window, when omitted).</summary>
        public NodeRef MaxPool(NodeRef input, int window, int? stride = null, string? name = null) => Add(name, OpKind.MaxPool, new double[] { window, stride ?? window }, input);

        /// <summary>Adds average-pooling of every channel over square windows of <paramref name="window"/> with a stride (the window, when omitted).</summary>
        public NodeRef AvgPool(NodeRef input, int window, int? stride = null, string? name = null) => Add(name, OpKind.AvgPool, new double[] { window, stride ?? window }, input);

        /// <summary>Adds an image as a vector in (channel, row, column) order.</summary>
        public NodeRef Flatten(NodeRef input, string? name = null) => Add(name, OpKind.Flatten, System.Array.Empty<double>(), input);

        /// <summary>Adds the units [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of a vector.</summary>
        public NodeRef Slice(NodeRef input, int start, int count, string? name = null) => Add(name, OpKind.Slice, new double[] { start, count }, input);

        /// <summary>Adds a per-channel bias [channels] to every position of an image.</summary>
        public NodeRef ChannelBiasAdd(NodeRef input, NodeRef bias, string? name = null) => Add(name, OpKind.ChannelBiasAdd, System.Array.Empty<double>(), input, bias);

        /// <summary>Adds W x.</summary>
        public NodeRef MatVec(NodeRef weight, NodeRef input, string? name = null) => Add(name, OpKind.MatVec, 0.0, weight, input);

        /// <summary>Adds x + b.</summary>
        public NodeRef BiasAdd(NodeRef input, NodeRef bias, string? name = null) => Add(name, OpKind.BiasAdd, 0.0, input, bias);

        /// <summary>Adds W x + b (a MatVec followed by a BiasAdd).</summary>
        public NodeRef Linear(NodeRef weight, NodeRef input, NodeRef bias, string? name = null) =>
            BiasAdd(MatVec(weight, input), bias, name);

        /// <summary>Adds the elementwise sum of two or more values of one shape.</summary>
        public NodeRef Sum(params NodeRef[] terms) => Add(null, OpKind.Add, 0.0, terms);

        /// <summary>Adds the elementwise sum of two or more values of one shape, with a name.</summary>
        public NodeRef SumNamed(string name, params NodeRef[] terms) => Add(name, OpKind.Add, 0.0, terms);

        /// <summary>Adds the elementwise product a * b (a gate).</summary>
        public NodeRef Mul(NodeRef a, NodeRef b, string? name = null) => Add(name, OpKind.Mul, 0.0, a, b);

        /// <summary>Adds the concatenation of vectors.</summary>
        public NodeRef Concat(params NodeRef[] parts) => Add(null, OpKind.Concat, 0.0, parts);

        /// <summary>Adds the identity of a value.</summary>
        public NodeRef Identity(NodeRef x, string? name = null) => Add(name, OpKind.Identity, 0.0, x);

        /// <summary>Adds tanh(x).</summary>
        public NodeRef Tanh(NodeRef x, string? name = null) => Add(name, OpKind.Tanh, 0.0, x);

        /// <summary>Adds sigmoid(x).</summary>
        public NodeRef Sigmoid(NodeRef x, string? name = null) => Add(name, OpKind.Sigmoid, 0.0, x);

        /// <summary>Adds relu(x).</summary>
        public NodeRef Relu(NodeRef x, string? name = null) => Add(name, OpKind.Relu, 0.0, x);

        /// <summary>Adds leaky-relu(x) with slope <paramref name="alpha"/> below zero.</summary>
        public NodeRef LeakyRelu(NodeRef x, double alpha, string? name = null) => Add(name, OpKind.LeakyRelu, alpha, x);

        /// <summary>Adds softplus(x).</summary>
        public NodeRef Softplus(NodeRef x, string? name = null) => Add(name, OpKind.Softplus, 0.0, x);

        /// <summary>
        /// Adds a node of any op (the general form behind the named methods): its <see cref="OpTable"/> descriptor checks the
        /// arguments and gives the shape. <paramref name="alpha"/> is the op's constant argument (zero for ops without one).
        /// </summary>
        public NodeRef Op(OpKind op, string? name, double alpha, params NodeRef[] parents) => Add(name, op, alpha, parents);

        /// <summary>Adds a node of any op with its constant arguments in the order its descriptor lists them (empty for ops without any).</summary>
        public NodeRef Op(OpKind op, string? name, double[] constants, params NodeRef[] parents) => Add(name, op, constants ?? System.Array.Empty<double>(), parents);

        /// <summary>Closes the graph with <paramref name="loss"/> on <paramref name="output"/> and returns the immutable graph.</summary>
        /// <exception cref="GraphBuildException">The output is not a computed vector, or some node does not reach it.</exception>
        public ComputationGraph Build(NodeRef output, LossKind loss)
        {
            Check(output, "output");
            return ComputationGraph.Create(Name, nodes, output.Id, loss);
        }

        private NodeRef Leaf(string name, OpKind op, Shape shape)
        {
            string checkedName = ClaimName(name, op);
            var node = new Node(nodes.Count, checkedName, op, EquatableArray<int>.Empty, shape);
            OpRules.Descriptor(checkedName, op).InferShape(checkedName, new Node[0], shape, System.Array.Empty<double>());
            nodes.Add(node);
            return new NodeRef(this, node);
        }

        // The single-constant form: an op without constants takes alpha 0 (any other value is an error, never dropped).
        private NodeRef Add(string? name, OpKind op, double alpha, params NodeRef[] parents)
        {
            bool takesNone = OpTable.TryGet(op, out var descriptor) && descriptor.Constants.Count == 0;
            return Add(name, op, takesNone && alpha == 0.0 ? System.Array.Empty<double>() : new[] { alpha }, parents);
        }

        private NodeRef Add(string? name, OpKind op, double[] constants, params NodeRef[] parents)
        {
            string label = name ?? op.ToString().ToLowerInvariant() + nodes.Count.ToString(CultureInfo.InvariantCulture);
            if (parents == null) throw new GraphBuildException(label, op + " '" + label + "' was given no arguments.");
            foreach (var p in parents) Check(p, label);
            var parentNodes = parents.Select(p => p.Node).ToList();
            var shape = OpRules.Descriptor(label, op).InferShape(label, parentNodes, Shape.Vector(1), constants);
            string checkedName = ClaimName(label, op);
            var node = new Node(nodes.Count, checkedName, op, parents.Select(p => p.Id).ToEquatableArray(), shape, constants.ToEquatableArray());
            nodes.Add(node);
            return new NodeRef(this, node);
        }

        private void Check(NodeRef? node, string user)
        {
            if (node is null) throw new GraphBuildException(user, "Node '" + user + "' was given a null argument.");
            if (!ReferenceEquals(node.Owner, this) || node.Id >= nodes.Count || !ReferenceEquals(nodes[node.Id], node.Node))
            {
                throw new GraphBuildException(user, "Node '" + user + "' uses '" + node.Name + "', which is unknown to graph '" + Name + "' (it was made by another builder).");
            }
        }

        private string ClaimName(string name, OpKind op)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new GraphBuildException("#" + nodes.Count.ToString(CultureInfo.InvariantCulture), "A " + op + " node needs a non-empty name.");
            if (!names.Add(name)) throw new GraphBuildException(name, "Graph '" + Name + "' already has a node named '" + name + "'; node names must be unique.");
            return name;
        }

        private static Shape Dims(string name, params int[] dims)
        {
            if (dims.Any(d => d <= 0))
            {
                throw new GraphBuildException(name, "Node '" + name + "' has shape [" + string.Join(", ", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]; every dimension must be positive.");
            }
            return new Shape(dims.ToEquatableArray());
        }
    }
}
