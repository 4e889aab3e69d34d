using System;
using System.Collections.Immutable;
using System.Linq;
using Symbolic.Graph;

namespace Symbolic.Rules.Compiled;

/// <summary>One use of a node's value: argument <paramref name="Argument"/> of node <paramref name="Child"/>.</summary>
/// <param name="Child">The consuming node's id.</param>
/// <param name="Argument">The argument position in the consumer.</param>
/// <param name="BackwardParameter">The parameter index of the consumer's weight whose transpose carries this
/// contribution (a matrix product's weight), or -1 when the contribution needs no matrix.</param>
public readonly record struct Consumer(int Child, int Argument, int BackwardParameter);

/// <summary>The units of one placement, in the orders the relaxation sweeps need.</summary>
/// <param name="Free">The free (non-clamped) units that relax, in topological order.</param>
/// <param name="Interior">The nodes interior to a layer (no unit of their own), in reverse topological order.</param>
/// <param name="Sweep">Every computed node but the output, in reverse topological order (the top-down sweep).</param>
/// <param name="IsInterior">By node id: interior under this placement.</param>
/// <param name="Depth">The longest path to the output in units: synchronous eta = 1 relaxation is exact after this many steps.</param>
/// <param name="FollowsUnits">
/// By node id: a computed node downstream of some unit, whose value in a pass from the units (<c>CurrentPass</c>) can
/// differ from the forward pass's; the others (e.g. a first layer's W x) keep their forward values and are not recomputed.
/// </param>
public sealed record UnitOrder(ImmutableArray<int> Free, ImmutableArray<int> Interior, ImmutableArray<int> Sweep, ImmutableArray<bool> IsInterior, int Depth, ImmutableArray<bool> FollowsUnits)
{
    /// <summary>
    /// The interior nodes no unit's drive reads, in reverse topological order: those below the first units (a first
    /// layer's W x + b, a first convolution's output), whose inputs are parameters, inputs or other such nodes. Only the weight
    /// update reads their cotangents, so a relaxation computes them once after its last step, not at every step.
    /// </summary>
    public ImmutableArray<int> TrailingInterior { get; } = Interior.Where(id => !FollowsUnits[id]).ToImmutableArray();

    /// <summary>The interior nodes a step must update (they lie between units), in reverse topological order.</summary>
    public ImmutableArray<int> RelaxingInterior { get; } = Interior.Where(id => FollowsUnits[id]).ToImmutableArray();

    /// <summary><see cref="Sweep"/> without <see cref="TrailingInterior"/>: what a top-down step visits.</summary>
    public ImmutableArray<int> RelaxingSweep { get; } = Sweep.Where(id => !IsInterior[id] || FollowsUnits[id]).ToImmutableArray();
}

/// <summary>
/// What the generic drivers need to know of a graph, computed once from its value: sizes, the topological order,
/// each node's consumers, the parameters' shapes and the unit orders of both placements. Immutable.
/// </summary>
public sealed class GraphLayout
{
    /// <summary>Derives the layout of <paramref name="graph"/>.</summary>
    public GraphLayout(ComputationGraph graph)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
        var nodes = graph.Nodes;
        Sizes = nodes.Select(n => n.Size).ToImmutableArray();
        ParameterIds = graph.ParameterIds.ToImmutableArray();
        var parameterIndex = Enumerable.Repeat(-1, nodes.Count).ToArray();
        for (int k = 0; k < ParameterIds.Length; k++) parameterIndex[ParameterIds[k]] = k;
        ParameterIndex = parameterIndex.ToImmutableArray();
        ParameterRows = ParameterIds.Select(id => nodes[id].Shape.Dims[0]).ToImmutableArray();
        ParameterSizes = ParameterIds.Select(id => nodes[id].Size).ToImmutableArray();
        InputIds = graph.InputIds.ToImmutableArray();
        ComputedIds = graph.UnitIds.ToImmutableArray();
        StoresDerivative = nodes.Select(n => n.Role == NodeRole.Computed && Activation.IsElementwise(n.Op)).ToImmutableArray();

        var consumers = new ImmutableArray<Consumer>.Builder[nodes.Count];
        for (int i = 0; i < nodes.Count; i++) consumers[i] = ImmutableArray.CreateBuilder<Consumer>();
        foreach (var child in nodes)
        {
            int backward = child.Inputs.Select(p => nodes[p]).Where(p => p.Op == OpKind.Weight || p.Op == OpKind.Kernel).Select(p => parameterIndex[p.Id]).DefaultIfEmpty(-1).First();
            for (int a = 0; a < child.Inputs.Count; a++)
            {
                var parent = nodes[child.Inputs[a]];
                consumers[parent.Id].Add(new Consumer(child.Id, a, parent.Role == NodeRole.Parameter ? -1 : backward));
            }
        }
        Consumers = consumers.Select(c => c.ToImmutable()).ToImmutableArray();

        var free = ComputedIds.Where(id => id != graph.OutputId).ToArray();
        var sweep = free.Reverse().ToImmutableArray();
        Layers = new UnitOrder(free.Where(id => !graph.LayerInterior[id]).ToImmutableArray(),
            sweep.Where(id => graph.LayerInterior[id]).ToImmutableArray(), sweep, graph.LayerInterior.ToImmutableArray(), graph.LayerRelaxationDepth, FollowsUnits(graph, id => !graph.LayerInterior[id]));
        EveryNode = new UnitOrder(free.ToImmutableArray(), ImmutableArray<int>.Empty, sweep, nodes.Select(_ => false).ToImmutableArray(), graph.RelaxationDepth, FollowsUnits(graph, _ => true));
        MaxFreeSize = free.Select(id => Sizes[id]).DefaultIfEmpty(1).Max();
    }

    // Node ids are topological, so one pass marks every computed node with a unit (under hasUnit) or such a node upstream.
    private static ImmutableArray<bool> FollowsUnits(ComputationGraph graph, Func<int, bool> hasUnit)
    {
        var follows = new bool[graph.Nodes.Count];
        foreach (var node in graph.Nodes)
        {
            if (node.Role != NodeRole.Computed) continue;
            follows[node.Id] = node.Inputs.Any(p => graph.Nodes[p].Role == NodeRole.Computed && (hasUnit(p) || follows[p]));
        }
        return follows.ToImmutableArray();
    }

    /// <summary>The graph.</summary>
    public ComputationGraph Graph { get; }

    /// <summary>The number of nodes.</summary>
    public int NodeCount => Sizes.Length;

    /// <summary>By node id: the per-sample size (a parameter's own size for parameters).</summary>
    public ImmutableArray<int> Sizes { get; }

    /// <summary>The output node's id.</summary>
    public int OutputId => Graph.OutputId;

    /// <summary>The output's (and a target's) length per sample.</summary>
    public int OutputSize => Sizes[OutputId];

    /// <summary>The input nodes' ids, in declaration order (the order of a batch's inputs).</summary>
    public ImmutableArray<int> InputIds { get; }

    /// <summary>The computed nodes' ids in topological order.</summary>
    public ImmutableArray<int> ComputedIds { get; }

    /// <summary>The parameter nodes' ids by parameter index.</summary>
    public ImmutableArray<int> ParameterIds { get; }

    /// <summary>By node id: the parameter index, or -1 for a node that is not a parameter.</summary>
    public ImmutableArray<int> ParameterIndex { get; }

    /// <summary>By parameter index: the number of rows (a bias has one column).</summary>
    public ImmutableArray<int> ParameterRows { get; }

    /// <summary>By parameter index: the number of values.</summary>
    public ImmutableArray<int> ParameterSizes { get; }

    /// <summary>By node id: whether the forward pass stores a derivative (the elementwise ops).</summary>
    public ImmutableArray<bool> StoresDerivative { get; }

    /// <summary>By node id: every use of the node's value, in the graph's order.</summary>
    public ImmutableArray<ImmutableArray<Consumer>> Consumers { get; }

    /// <summary>The unit orders with one unit per layer output (the paper's neurons).</summary>
    public UnitOrder Layers { get; }

    /// <summary>The unit orders with a unit on every computed node.</summary>
    public UnitOrder EveryNode { get; }

    /// <summary>The largest free unit (the relaxation's scratch size per sample).</summary>
    public int MaxFreeSize { get; }

    /// <summary>The unit orders of <paramref name="placement"/>.</summary>
    public UnitOrder Units(UnitPlacement placement) => placement switch
    {
        UnitPlacement.Layers => Layers,
        UnitPlacement.EveryNode => EveryNode,
        _ => throw new ArgumentOutOfRangeException(nameof(placement), placement, "Unknown unit placement."),
    };

    /// <summary>The parameter index of the parameter named <paramref name="name"/>.</summary>
    /// <exception cref="System.Collections.Generic.KeyNotFoundException">The graph has no such parameter.</exception>
    public int ParameterIndexOf(string name)
    {
        for (int k = 0; k < ParameterIds.Length; k++)
        {
            if (Graph.Nodes[ParameterIds[k]].Name == name) return k;
        }
        throw new System.Collections.Generic.KeyNotFoundException("Graph '" + Graph.Name + "' has no parameter named '" + name + "'.");
    }
}
