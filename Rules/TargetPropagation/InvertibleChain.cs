using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Symbolic.Graph;

namespace Symbolic.Rules.TargetPropagation;

/// <summary>One step of an invertible chain, from the input up: a layer or a slice.</summary>
public abstract record ChainStep
{
    /// <summary>The node whose value the step reads (the input, a slice, or the previous layer's output).</summary>
    public abstract int InputId { get; }

    /// <summary>The node the step produces (a layer's output after its activation, or the slice).</summary>
    public abstract int OutputId { get; }
}

/// <summary>
/// An invertible layer h = f(W x + b): W square, f an elementwise activation with an inverse (or none: a linear layer),
/// the bias optional. Its inverse is g(h) = W⁻¹ (f⁻¹(h) − b).
/// </summary>
/// <param name="Weight">The weight parameter's node.</param>
/// <param name="Bias">The bias parameter's node, or null for a layer without one.</param>
/// <param name="PreActivationId">The node holding a = W x + b (the MatVec, or the BiasAdd after it).</param>
/// <param name="MatVecId">The MatVec node W x.</param>
/// <param name="Activation">The activation's op, or null for a linear layer.</param>
/// <param name="Alpha">The activation's constant (a leaky ReLU's slope).</param>
/// <param name="Input">The layer's input node (x).</param>
/// <param name="Output">The layer's output node (h).</param>
public sealed record InvertibleLayer(Node Weight, Node? Bias, int PreActivationId, int MatVecId, OpKind? Activation, double Alpha, int Input, int Output) : ChainStep
{
    /// <inheritdoc/>
    public override int InputId => Input;

    /// <inheritdoc/>
    public override int OutputId => Output;

    /// <summary>The layer's width (W is Width × Width).</summary>
    public int Width => Weight.Shape.Dims[0];

    /// <summary>f(a), the identity for a linear layer.</summary>
    public double Apply(double a) => Activation is { } op ? Graph.Activation.Apply(op, Alpha, a) : a;

    /// <summary>f′(a), one for a linear layer.</summary>
    public double Derivative(double a) => Activation is { } op ? Graph.Activation.Derivative(op, Alpha, a) : 1.0;

    /// <summary>f⁻¹(h), the identity for a linear layer.</summary>
    public double Inverse(double h) => Activation is { } op ? Graph.Activation.Inverse(op, Alpha, h) : h;
}

/// <summary>The units [Start, Start + Count) of the input: the rest of it are auxiliaries whose targets are their own forward values.</summary>
/// <param name="Input">The sliced node.</param>
/// <param name="Output">The slice node.</param>
/// <param name="Start">The first kept unit.</param>
/// <param name="Count">How many units are kept.</param>
public sealed record SliceStep(int Input, int Output, int Start, int Count) : ChainStep
{
    /// <inheritdoc/>
    public override int InputId => Input;

    /// <inheritdoc/>
    public override int OutputId => Output;
}

/// <summary>
/// A graph read as target propagation needs it (arXiv 2006.06438): one input, then invertible layers and slices, each
/// node used once, up to the output. The square network (784-wide layers, the classes in the first output units) is
/// layers then a slice of the output; the tower slices between its layers and carries the dropped units as auxiliaries.
/// </summary>
/// <param name="Graph">The graph.</param>
/// <param name="Steps">The steps from the input up.</param>
public sealed record InvertibleChain(ComputationGraph Graph, ImmutableArray<ChainStep> Steps)
{
    /// <summary>The chain's layers from the input up.</summary>
    public IEnumerable<InvertibleLayer> Layers => Steps.OfType<InvertibleLayer>();

    /// <summary>Reads <paramref name="graph"/> as an invertible chain.</summary>
    /// <exception cref="ArgumentException">The graph is not one; the message names the node and what is wrong.</exception>
    public static InvertibleChain Of(ComputationGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string Fail(string what) => "Graph '" + graph.Name + "' is not an invertible chain (target propagation and GAIT-prop need one: an input, then square layers h = f(W x + b) with invertible f, and slices): " + what;
        if (graph.InputIds.Count != 1) throw new ArgumentException(Fail("it has " + graph.InputIds.Count + " inputs; it needs exactly one."), nameof(graph));
        var steps = new List<ChainStep>();
        var node = graph.Output;
        while (node.Role != NodeRole.Input)
        {
            if (node.Op == OpKind.Slice)
            {
                var sliced = graph.Nodes[node.Inputs[0]];
                steps.Add(new SliceStep(sliced.Id, node.Id, node.IntConstant(0), node.IntConstant(1)));
                node = OnlyConsumer(sliced, node);
                continue;
            }
            var output = node;
            OpKind? activation = null;
            double alpha = 0;
            if (Activation.IsElementwise(node.Op))
            {
                if (!Activation.HasInverse(node.Op, node.Alpha)) throw new ArgumentException(Fail("node '" + node.Name + "' is " + node.Op + (node.Op == OpKind.LeakyRelu ? " with slope " + node.Alpha : "") + ", which has no inverse."), nameof(graph));
                activation = node.Op;
                alpha = node.Alpha;
                node = OnlyConsumer(graph.Nodes[node.Inputs[0]], node);
            }
            int preActivation = node.Id;
            Node? bias = null;
            if (node.Op == OpKind.BiasAdd)
            {
                bias = graph.Nodes[node.Inputs[1]];
                node = OnlyConsumer(graph.Nodes[node.Inputs[0]], node);
            }
            if (node.Op != OpKind.MatVec) throw new ArgumentException(Fail("node '" + node.Name + "' is " + node.Op + "; a layer is MatVec, an optional BiasAdd and an optional invertible activation."), nameof(graph));
            var weight = graph.Nodes[node.Inputs[0]];
            if (weight.Shape.Dims[0] != weight.Shape.Dims[1]) throw new ArgumentException(Fail("weight '" + weight.Name + "' of node '" + node.Name + "' has shape " + weight.Shape + "; an invertible layer needs a square weight."), nameof(graph));
            var input = graph.Nodes[node.Inputs[1]];
            steps.Add(new InvertibleLayer(weight, bias, preActivation, node.Id, activation, alpha, input.Id, output.Id));
            node = OnlyConsumer(input, node);
        }
        steps.Reverse();
        var weights = steps.OfType<InvertibleLayer>().GroupBy(l => l.Weight.Id).FirstOrDefault(g => g.Count() > 1);
        if (weights is not null) throw new ArgumentException(Fail("weight '" + weights.First().Weight.Name + "' is shared by " + weights.Count() + " layers."), nameof(graph));
        return new InvertibleChain(graph, steps.ToImmutableArray());

        // The walk goes down from consumer to parent; every node on the way feeds only the step above it.
        Node OnlyConsumer(Node parent, Node consumer)
        {
            if (parent.Role == NodeRole.Computed && graph.Children[parent.Id].Count != 1)
            {
                throw new ArgumentException(Fail("node '" + parent.Name + "' feeds " + graph.Children[parent.Id].Count + " nodes; each node of the chain feeds only the next."), nameof(graph));
            }
            if (parent.Role == NodeRole.Input && graph.Children[parent.Id].Count != 1)
            {
                throw new ArgumentException(Fail("input '" + parent.Name + "' feeds " + graph.Children[parent.Id].Count + " nodes; it must feed only the first layer."), nameof(graph));
            }
            return parent;
        }
    }
}
