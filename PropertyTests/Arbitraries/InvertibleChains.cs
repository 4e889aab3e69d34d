using System;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;

namespace Symbolic.PropertyTests.Arbitraries;

/// <summary>Random invertible chains (square layers and slices) for the target-propagation properties and their compiled equivalence.</summary>
public static class InvertibleChains
{
    // Any invertible activation; none or the identity; tanh or softplus (curved inverses); leaky ReLU, identity or none (piecewise linear).
    /// <summary>Which activations a chain's layers take.</summary>
    public enum Activations { Any, Linear, Smooth, PiecewiseLinear }

    /// <summary>A chain, its parameters and a batch whose targets lie near its outputs.</summary>
    public sealed record Chain(ComputationGraph Graph, ParameterSet Parameters, Batch Batch);

    /// <summary>
    /// A random chain: 1-4 square layers of 2-7 units (tower slices between them when asked), each with or without a bias
    /// and with a leaky ReLU, tanh, softplus, an identity node or no activation; the output the top layer or a slice of it.
    /// </summary>
    public static Chain RandomChain(Random r, bool orthogonal, Activations activations, bool slices, int? layerCount = null)
    {
        int width = r.Next(2, 8), layers = layerCount ?? r.Next(1, 5), batch = r.Next(1, 5);
        var b = new GraphBuilder("chain");
        NodeRef x = b.Input("x", width);
        for (int l = 0; l < layers; l++)
        {
            if (slices && l > 0 && width > 2 && r.Next(2) == 0)
            {
                int kept = r.Next(2, width);
                x = b.Slice(x, 0, kept, "s" + l);
                width = kept;
            }
            NodeRef a = b.MatVec(b.Weight("w" + l, width, width), x, "m" + l);
            if (r.Next(3) > 0) a = b.BiasAdd(a, b.Bias("b" + l, width), "a" + l);
            int choice = activations switch
            {
                Activations.Linear => r.Next(2),
                Activations.Smooth => 2 + r.Next(2),
                Activations.PiecewiseLinear => new[] { 0, 1, 5, 5 }[r.Next(4)],
                _ => r.Next(6),
            };
            x = choice switch
            {
                0 => a,
                1 => b.Op(OpKind.Identity, "h" + l, 0.0, a),
                2 => b.Op(OpKind.Tanh, "h" + l, 0.0, a),
                3 => b.Op(OpKind.Softplus, "h" + l, 0.0, a),
                4 => b.Op(OpKind.Identity, "h" + l, 0.0, a),
                _ => b.Op(OpKind.LeakyRelu, "h" + l, r.Next(2) == 0 ? 0.1 : 0.3, a),
            };
        }
        if (slices && r.Next(2) == 0)
        {
            int start = r.Next(width);
            x = b.Slice(x, start, r.Next(1, width - start + 1), "out");
        }
        var graph = b.Build(x, LossKind.SquaredError);
        var parameters = ParameterSet.Initialise(graph, r.Next(), orthogonal ? Initialiser.Orthogonal : Initialiser.XavierNormal)
            .Map((name, m) => graph[name].Op == OpKind.Bias ? Matrix<double>.Build.Random(m.RowCount, 1, new Normal(0, 0.3, r)) : m);
        var inputs = Matrix<double>.Build.Random(graph.Nodes[graph.InputIds[0]].Size, batch, new Normal(0, 1, r));
        var forward = Forward.Run(graph, parameters, Batch.Single("x", inputs, Matrix<double>.Build.Dense(graph.Output.Size, batch)));
        // Targets near the outputs (as a one-hot is near a trained network's output), inside tanh's range.
        var targets = forward.Output.Map(v => v + 0.5 * (2 * r.NextDouble() - 1));
        if (activations == Activations.Smooth) targets = targets.Map(v => Math.Clamp(v, -0.95, 0.95));
        return new Chain(graph, parameters, Batch.Single("x", inputs, targets));
    }

}
