using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>
    /// An immutable, validated computation DAG closed by a loss. Node ids are indices into <see cref="Nodes"/>,
    /// which is a topological order (every parent precedes its children). Derived facts (children, the
    /// longest path to the output) are computed once on construction. Equality is by value.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed record ComputationGraph
    {
        private ComputationGraph(string name, EquatableArray<Node> nodes, int outputId, LossKind loss)
        {
            Name = name;
            Nodes = nodes;
            OutputId = outputId;
            Loss = loss;
            var children = new List<int>[nodes.Count];
            for (int i = 0; i < nodes.Count; i++) children[i] = new List<int>();
            foreach (var node in nodes)
            {
                foreach (var p in node.Inputs.Distinct()) children[p].Add(node.Id);
            }
            Children = children.Select(c => c.ToEquatableArray()).ToEquatableArray();
            InputIds = nodes.Where(n => n.Role == NodeRole.Input).Select(n => n.Id).ToEquatableArray();
            ParameterIds = nodes.Where(n => n.Role == NodeRole.Parameter).Select(n => n.Id).ToEquatableArray();
            UnitIds = nodes.Where(n => n.Role == NodeRole.Computed).Select(n => n.Id).ToEquatableArray();
            var distance = new int[nodes.Count];
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                int best = i == outputId ? 0 : -1;
                foreach (var c in children[i])
                {
                    if (nodes[c].Role == NodeRole.Computed && distance[c] >= 0) best = Math.Max(best, distance[c] + 1);
                }
                distance[i] = best;
            }
            DistanceToOutput = distance.ToEquatableArray();
            RelaxationDepth = UnitIds.Select(i => distance[i]).DefaultIfEmpty(0).Max();

            // Layer units: a computed node whose only consumer is a bias-add or an elementwise activation (the ops whose
            // descriptor names a layer-interior argument) is interior to a layer (a = W h + b, h' = f(a)); its cotangent
            // follows instantly from the layer's unit, as in the paper.
            var interior = new bool[nodes.Count];
            var hops = new int[nodes.Count];
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                if (nodes[i].Role != NodeRole.Computed) continue;
                if (i != outputId && children[i].Count == 1)
                {
                    var only = nodes[children[i][0]];
                    interior[i] = OpTable.TryGet(only.Op, out var consumer) && consumer.LayerInteriorArgument is int argument && only.Inputs[argument] == i;
                }
                if (interior[i])
                {
                    hops[i] = hops[children[i][0]];
                    continue;
                }
                int best = 0;
                foreach (var c in children[i])
                {
                    if (nodes[c].Role == NodeRole.Computed) best = Math.Max(best, hops[c] + 1);
                }
                hops[i] = best;
            }
            LayerInterior = interior.ToEquatableArray();
            LayerUnitIds = UnitIds.Where(i => !interior[i]).ToEquatableArray();
            LayerRelaxationDepth = LayerUnitIds.Select(i => hops[i]).DefaultIfEmpty(0).Max();
        }

        /// <summary>
        /// For each node, whether it is interior to a layer: computed, not the output, and consumed only by one bias-add
        /// (as its input) or one elementwise activation. With layer units these carry no unit of their own.
        /// </summary>
        public EquatableArray<bool> LayerInterior { get; }

        /// <summary>The computed nodes that carry a unit under layer placement (the paper's neurons: one unit per layer output).</summary>
        public EquatableArray<int> LayerUnitIds { get; }

        /// <summary>The longest path to the output counted in layer units: synchronous eta = 1 relaxation with layer units is exact after this many steps.</summary>
        public int LayerRelaxationDepth { get; }

        /// <summary>The graph's name (the declaring class for generated graphs).</summary>
        public string Name { get; }

        /// <summary>All nodes, indexed by id, in topological order.</summary>
        public EquatableArray<Node> Nodes { get; }

        /// <summary>The id of the node the loss is applied to.</summary>
        public int OutputId { get; }

        /// <summary>The loss applied to the output node.</summary>
        public LossKind Loss { get; }

        /// <summary>For each node id, the distinct ids of the nodes that consume it.</summary>
        public EquatableArray<EquatableArray<int>> Children { get; }

        /// <summary>Ids of the input nodes, in declaration order.</summary>
        public EquatableArray<int> InputIds { get; }

        /// <summary>Ids of the parameter nodes (weights and biases), in declaration order.</summary>
        public EquatableArray<int> ParameterIds { get; }

        /// <summary>Ids of the computed nodes: those that carry a relaxation unit.</summary>
        public EquatableArray<int> UnitIds { get; }

        /// <summary>For each node, the length (in edges) of the longest path through computed nodes to the output.</summary>
        public EquatableArray<int> DistanceToOutput { get; }

        /// <summary>
        /// The longest path from any unit to the output: synchronous relaxation with eta = 1 is exact after this
        /// many steps, because the relaxation's coupling matrix is nilpotent with this index.
        /// </summary>
        public int RelaxationDepth { get; }

        /// <summary>The output node.</summary>
        public Node Output => Nodes[OutputId];

        /// <summary>The node named <paramref name="name"/>.</summary>
        /// <exception cref="KeyNotFoundException">No node has that name.</exception>
        public Node this[string name] => Nodes.FirstOrDefault(n => n.Name == name)
            ?? throw new KeyNotFoundException("Graph '" + Name + "' has no node named '" + name + "'.");

        /// <summary>
        /// Validates a node list and makes a graph of it. Used by <see cref="GraphBuilder"/> and by generated code;
        /// every check that the builder makes is made here again, so no invalid graph value can exist.
        /// </summary>
        /// <exception cref="GraphBuildException">The nodes do not form a valid graph.</exception>
        public static ComputationGraph Create(string name, IEnumerable<Node> nodes, int outputId, LossKind loss)
        {
            if (!Enum.IsDefined(typeof(LossKind), loss))
            {
                throw new GraphBuildException("loss", "Graph '" + name + "' is closed by loss " + ((int)loss).ToString(System.Globalization.CultureInfo.InvariantCulture) + ", which is not a LossKind (" + string.Join(", ", Enum.GetNames(typeof(LossKind))) + ").");
            }
            var list = nodes.ToImmutableArray();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < list.Length; i++)
            {
                var node = list[i];
                if (node.Id != i) throw new GraphBuildException(node.Name, "Node '" + node.Name + "' has id " + node.Id + " but sits at index " + i + "; ids must equal indices.");
                if (string.IsNullOrWhiteSpace(node.Name)) throw new GraphBuildException("#" + i, "Node #" + i + " has an empty name.");
                if (!names.Add(node.Name)) throw new GraphBuildException(node.Name, "Two nodes are named '" + node.Name + "'; node names must be unique.");
                foreach (var p in node.Inputs)
                {
                    if (p < 0 || p >= i) throw new GraphBuildException(node.Name, "Node '" + node.Name + "' refers to unknown node #" + p + " (parents must be added before their children).");
                }
                var expected = OpRules.InferShape(node.Name, node.Op, node.Inputs.Select(p => list[p]).ToList(), node.Shape, node.Constants.AsImmutableArray());
                if (!expected.Equals(node.Shape)) throw new GraphBuildException(node.Name, "Node '" + node.Name + "' declares shape " + node.Shape + " but its op " + node.Op + " gives " + expected + ".");
            }
            if (outputId < 0 || outputId >= list.Length) throw new GraphBuildException("output", "The output id " + outputId + " is not a node of graph '" + name + "'.");
            var output = list[outputId];
            if (output.Role != NodeRole.Computed) throw new GraphBuildException(output.Name, "The output '" + output.Name + "' is " + (output.Role == NodeRole.Input ? "an input" : "a parameter") + "; the loss needs a computed node.");
            if (!output.Shape.IsVector) throw new GraphBuildException(output.Name, "The output '" + output.Name + "' has shape " + output.Shape + "; the loss needs a vector.");

            var reaches = new bool[list.Length];
            reaches[outputId] = true;
            for (int i = outputId; i >= 0; i--)
            {
                if (!reaches[i]) continue;
                foreach (var p in list[i].Inputs) reaches[p] = true;
            }
            for (int i = 0; i < list.Length; i++)
            {
                if (!reaches[i]) throw new GraphBuildException(list[i].Name, "Node '" + list[i].Name + "' does not reach the output '" + output.Name + "'; remove it or use it.");
            }
            if (!list.Any(n => n.Role == NodeRole.Input)) throw new GraphBuildException(output.Name, "Graph '" + name + "' has no input.");
            return new ComputationGraph(name, list.ToEquatableArray(), outputId, loss);
        }

        /// <inheritdoc/>
        public bool Equals(ComputationGraph? other) =>
            other is not null && Name == other.Name && Nodes.Equals(other.Nodes) && OutputId == other.OutputId && Loss == other.Loss;

        /// <inheritdoc/>
        public override int GetHashCode() => (Name.GetHashCode() * 31 + Nodes.GetHashCode()) * 31 + OutputId * 7 + (int)Loss;

        /// <inheritdoc/>
        public override string ToString() =>
            "graph " + Name + " (" + Loss + " on " + Output.Name + "):" + "\n" +
            string.Join("\n", Nodes.Select(n => "  " + n.Name + " = " + n.Op + Constants(n) +
                "(" + string.Join(", ", n.Inputs.Select(p => Nodes[p].Name)) + ") : " + n.Shape));

        /// <summary>A node's constant arguments as ToString prints them, such as "(0.25)"; empty for ops without any.</summary>
        private static string Constants(Node n)
        {
            var values = OpTable.TryGet(n.Op, out var op) ? op.ConstantValues(n) : System.Array.Empty<double>();
            return values.Count == 0 ? "" : "(" + string.Join(", ", values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")";
        }
    }
}
