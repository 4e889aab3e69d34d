using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.TargetPropagation;

/// <summary>
/// The top-down walk that target propagation and GAIT-prop share (arXiv 2006.06438, the authors' <c>inv_net.py</c>): from
/// the output's target down the chain, each layer's error e = m (h − t) ⊙ f′(a) gives its updates (e xᵀ and Σ e over the
/// batch, as every rule's updates are summed), then the target of its input is the layer's exact inverse of a target
/// for h, and a slice's input keeps its forward values outside the slice. The output's multiplier starts at 2, so the
/// top error is ∂L/∂a for the summed squared error L = Σ (v − y)² and, where the walk equals backprop, the updates equal
/// its gradients (the authors' ½ Σ (v − y)² gives half of them; their Adam does not see the factor).
/// </summary>
public static class LayerTargets
{
    /// <summary>How each layer's input target is made from its output's.</summary>
    /// <param name="Gamma">Null for target propagation (the inverse of the full target); GAIT-prop's increment γ otherwise.</param>
    public readonly record struct Increment(double? Gamma);

    /// <summary>One walk's result: the updates, the forward record and per-layer targets by node id (the input's excepted).</summary>
    /// <param name="Updates">The update per parameter, summed over the batch.</param>
    /// <param name="Forward">The forward pass the walk started from.</param>
    /// <param name="Targets">The target of every step's output, by node id, as the walk set it.</param>
    public sealed record Walk(ParameterSet Updates, ForwardRecord Forward, ImmutableDictionary<int, Matrix<double>> Targets);

    /// <summary>Runs the walk on <paramref name="batch"/>.</summary>
    /// <exception cref="ArgumentException">The graph is not an invertible chain or its loss is not squared error.</exception>
    /// <exception cref="ArithmeticException">A layer's weight is singular, or a target left its activation's range (the message names the layer).</exception>
    public static Walk Run(ComputationGraph graph, ParameterSet parameters, Batch batch, Increment increment)
    {
        var chain = ChainOf(graph);
        if (increment.Gamma is { } g && !(g > 0 && g <= 1)) throw new ArgumentOutOfRangeException(nameof(increment), g, "GAIT-prop's gamma must lie in (0, 1].");
        var record = Forward.Run(graph, parameters, batch);
        var updates = ParameterSet.Zeros(graph).Items.ToDictionary(kv => kv.Key, kv => kv.Value);
        var targets = ImmutableDictionary.CreateBuilder<int, Matrix<double>>();
        var target = batch.Targets;
        double multiplier = 2.0;
        for (int i = chain.Steps.Length - 1; i >= 0; i--)
        {
            var step = chain.Steps[i];
            targets[step.OutputId] = target;
            if (graph.Nodes[step.InputId].Role == NodeRole.Input && step is SliceStep) break;
            switch (step)
            {
                case SliceStep slice:
                {
                    var full = record.Values[slice.Input].Clone();
                    full.SetSubMatrix(slice.Start, 0, target);
                    target = full;
                    break;
                }
                case InvertibleLayer layer:
                {
                    var h = record.Values[layer.Output];
                    var derivative = record.Values[layer.PreActivationId].Map(layer.Derivative);
                    var error = multiplier * (h - target).PointwiseMultiply(derivative);
                    updates[layer.Weight.Name] = error * record.Values[layer.Input].Transpose();
                    // A bias may serve several layers (a weight may not: the chain refuses it); its update sums theirs.
                    if (layer.Bias is { } bias) updates[bias.Name] += error.RowSums().ToColumnMatrix();
                    if (graph.Nodes[layer.Input].Role == NodeRole.Input) break;
                    Matrix<double> z;
                    if (increment.Gamma is { } gamma)
                    {
                        // (1 − γ f′²) h + γ f′² t: a small step from the forward value towards the target.
                        z = h + gamma * derivative.PointwiseMultiply(derivative).PointwiseMultiply(target - h);
                        multiplier /= gamma;
                    }
                    else
                    {
                        z = target;
                    }
                    target = Invert(graph, layer, parameters, z);
                    break;
                }
            }
        }
        return new Walk(ParameterSet.From(updates.Select(kv => (kv.Key, kv.Value))), record, targets.ToImmutable());
    }

    /// <summary>A target rule's <see cref="LearningRule.Compute(ComputationGraph, ParameterSet, Batch, RuleState)"/>: the walk's updates, forward record and loss.</summary>
    internal static RuleUpdate Update(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state, double? gamma)
    {
        var walk = Run(graph, parameters, batch, new Increment(gamma));
        return new RuleUpdate(walk.Updates, walk.Forward, state, ImmutableSortedDictionary<string, double>.Empty.Add("loss", walk.Forward.LossValue));
    }

    /// <summary>A target rule's compiled state: its <see cref="TargetPhase{T}"/> over the step's <see cref="LayerInverses{T}"/>, which share the run's pool.</summary>
    internal static Compiled.CompiledRuleState<TGraph, T> CreateState<TGraph, T>(LearningRule rule, double? gamma, int maxBatch, int threads)
        where TGraph : struct, Compiled.ICompiledGraph<T>
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var chain = ChainOf(TGraph.Layout.Graph);
        var inverses = new LayerInverses<T>(TGraph.Layout, chain);
        var run = new Compiled.TrainingRun<TGraph, T, TargetPhase<T>>(rule, new TargetPhase<T>(chain, inverses, gamma), maxBatch, threads, inverses);
        inverses.Pool = run.Pool;
        return run;
    }

    /// <summary>The invertible chain of <paramref name="graph"/>, which must close with squared error (the walk starts from the output's target itself).</summary>
    /// <exception cref="ArgumentException">The graph is not an invertible chain or its loss is not squared error.</exception>
    public static InvertibleChain ChainOf(ComputationGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var chain = InvertibleChain.Of(graph);
        if (graph.Loss != LossKind.SquaredError)
        {
            throw new ArgumentException("Target propagation needs the output's target itself, so graph '" + graph.Name + "' must close with squared error, not " + graph.Loss + ".", nameof(graph));
        }
        return chain;
    }

    /// <summary>g(z) = W⁻¹ (f⁻¹(z) − b) per sample (column), by one LU factorisation of W and a solve, never an explicit inverse.</summary>
    /// <exception cref="ArithmeticException">W is singular, or z lies outside f's range (the message names the layer).</exception>
    public static Matrix<double> Invert(ComputationGraph graph, InvertibleLayer layer, ParameterSet parameters, Matrix<double> z)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(z);
        var w = parameters[layer.Weight.Name];
        var a = z.Map(layer.Inverse);
        if (a.Enumerate().Any(v => !double.IsFinite(v)))
        {
            throw new ArithmeticException("Layer '" + graph.Nodes[layer.Output].Name + "': a target lies outside the range of its " + layer.Activation + ", so f⁻¹ of it is not finite.");
        }
        if (layer.Bias is { } bias)
        {
            var b = parameters[bias.Name].Column(0);
            for (int s = 0; s < a.ColumnCount; s++) a.SetColumn(s, a.Column(s) - b);
        }
        var lu = w.LU();
        // A zero pivot, not the determinant: the product of 784 pivots under- or overflows for a well-conditioned weight.
        if (lu.U.Diagonal().Any(pivot => pivot == 0))
        {
            throw new ArithmeticException("Layer '" + graph.Nodes[layer.Output].Name + "': weight '" + layer.Weight.Name + "' is singular, so the layer has no inverse.");
        }
        var x = lu.Solve(a);
        if (x.Enumerate().Any(v => !double.IsFinite(v)))
        {
            throw new ArithmeticException("Layer '" + graph.Nodes[layer.Output].Name + "': solving with weight '" + layer.Weight.Name + "' gave a value that is not finite (the weight is singular or nearly so).");
        }
        return x;
    }
}
