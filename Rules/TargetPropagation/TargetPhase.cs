using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Kernels;

namespace Symbolic.Rules.TargetPropagation;

/// <summary>
/// The LU factors of every layer of an invertible chain whose input target is needed (all but the bottom layer), made
/// once per step from the current weights before the shards run; the shards' solves only read them.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class LayerInverses<T> : IRuleBuffers<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly GraphLayout layout;
    private readonly InvertibleLayer[] layers;

    /// <summary>Allocates the factors of <paramref name="chain"/>'s layers on <paramref name="layout"/>.</summary>
    public LayerInverses(GraphLayout layout, InvertibleChain chain)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(chain);
        this.layout = layout;
        layers = chain.Layers.Where(l => layout.Graph.Nodes[l.Input].Role != NodeRole.Input).ToArray();
        Factors = new Dictionary<int, (T[] Lu, int[] Pivots)>();
        foreach (var l in layers) Factors[l.Output] = (new T[l.Width * l.Width], new int[l.Width]);
        Widest = layout.Sizes.Max();
    }

    /// <summary>The widest node of the graph (the per-thread target buffers hold a batch of it).</summary>
    public int Widest { get; }

    /// <summary>By layer output id: the LU factors (row-major) and pivots of the layer's weight at this step.</summary>
    public Dictionary<int, (T[] Lu, int[] Pivots)> Factors { get; }

    /// <summary>The pool the factorisations share (the training run's; null: the calling thread alone).</summary>
    internal WorkerPool? Pool { get; set; }

    /// <inheritdoc/>
    public void BeginStep(ParameterArrays<T> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        stepParameters = parameters;
        try
        {
            // The layers are independent: each thread factors whole layers (a singular one throws on the caller).
            if (Pool is null) Factor(0, layers.Length);
            else Pool.Run(layers.Length, this, static (self, start, count) => self.Factor(start, count));
        }
        finally
        {
            stepParameters = null;
        }
    }

    private ParameterArrays<T>? stepParameters;

    private void Factor(int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            var l = layers[i];
            var (lu, pivots) = Factors[l.Output];
            stepParameters!.Arrays[layout.ParameterIndexOf(l.Weight.Name)].AsSpan(0, lu.Length).CopyTo(lu);
            if (!LuDecomposition.Factor<T>(lu, l.Width, pivots))
            {
                throw new ArithmeticException("Layer '" + layout.Graph.Nodes[l.Output].Name + "': weight '" + l.Weight.Name + "' is singular, so the layer has no inverse; the parameters were left unchanged.");
            }
        }
    }

    /// <inheritdoc/>
    public void EndStep()
    {
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, int[] Shape, T[] Values)> Tensors() => Array.Empty<(string, int[], T[])>();

    /// <inheritdoc/>
    public void Restore(Func<string, T[]?> values)
    {
    }
}

/// <summary>
/// The compiled twin of <see cref="LayerTargets.Run"/> for one shard: the targets walk down the chain in sample-major
/// buffers, each layer's error m (h − t) ⊙ f′ becomes the cotangent of its MatVec and BiasAdd (so the shared parameter
/// products give e xᵀ and Σ e), and each input target is solved with the step's LU factors.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Chain">The chain of the compiled graph.</param>
/// <param name="Inverses">The step's factors.</param>
/// <param name="Gamma">GAIT-prop's increment, or null for target propagation.</param>
public readonly record struct TargetPhase<T>(InvertibleChain Chain, LayerInverses<T> Inverses, double? Gamma) : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Names the per-thread buffer of the current target.</summary>
    private readonly struct CurrentUse { }

    /// <summary>Names the per-thread buffer of the next target.</summary>
    private readonly struct NextUse { }

    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        var layout = TGraph.Layout;
        var graph = layout.Graph;
        int widest = Inverses.Widest;
        var target = ThreadBuffer<CurrentUse, T>.Get(batch * widest);
        var next = ThreadBuffer<NextUse, T>.Get(batch * widest);
        int outputs = layout.OutputSize;
        var targets = workspace.Targets ?? throw new InvalidOperationException("Target propagation needs the batch's targets; the forward pass ran without them.");
        targets.AsSpan(workspace.TargetsOffset * outputs, batch * outputs).CopyTo(target);
        T multiplier = T.CreateChecked(2.0);
        T gamma = T.CreateChecked(Gamma ?? 1.0);
        for (int i = Chain.Steps.Length - 1; i >= 0; i--)
        {
            var step = Chain.Steps[i];
            if (graph.Nodes[step.InputId].Role == NodeRole.Input && step is SliceStep) break;
            if (step is SliceStep slice)
            {
                int size = layout.Sizes[slice.Input];
                workspace.Values[slice.Input].AsSpan(0, batch * size).CopyTo(next);
                for (int s = 0; s < batch; s++) target.AsSpan(s * slice.Count, slice.Count).CopyTo(next.AsSpan(s * size + slice.Start, slice.Count));
                (target, next) = (next, target);
                continue;
            }
            var layer = (InvertibleLayer)step;
            int n = layer.Width, length = batch * n;
            var h = workspace.Values[layer.Output].AsSpan(0, length);
            var derivative = layer.Activation is null or OpKind.Identity ? default : workspace.Derivatives[layer.Output].AsSpan(0, length);
            var error = workspace.Adjoints[layer.PreActivationId].AsSpan(0, length);
            // e = m (h − t) ⊙ f′; the MatVec's cotangent is the same error when a BiasAdd follows it.
            TensorPrimitives.Subtract<T>(h, target.AsSpan(0, length), error);
            TensorPrimitives.Multiply<T>(error, multiplier, error);
            if (!derivative.IsEmpty) TensorPrimitives.Multiply<T>(error, derivative, error);
            if (layer.MatVecId != layer.PreActivationId) error.CopyTo(workspace.Adjoints[layer.MatVecId]);
            if (graph.Nodes[layer.Input].Role == NodeRole.Input) break;
            var z = next.AsSpan(0, length);
            if (Gamma is not null)
            {
                // z = h + γ f′² (t − h), then m ← m / γ.
                TensorPrimitives.Subtract<T>(target.AsSpan(0, length), h, z);
                if (!derivative.IsEmpty)
                {
                    TensorPrimitives.Multiply<T>(z, derivative, z);
                    TensorPrimitives.Multiply<T>(z, derivative, z);
                }
                TensorPrimitives.MultiplyAdd<T>(z, gamma, h, z);
                multiplier /= gamma;
            }
            else
            {
                target.AsSpan(0, length).CopyTo(z);
            }
            Invert(graph, layer, parameters, layout, z, batch);
            (target, next) = (next, target);
        }
        return workspace.Adjoints;
    }

    // z (batch × n) ← W⁻¹ (f⁻¹(z) − b) per sample, with the step's factors.
    private void Invert(ComputationGraph graph, InvertibleLayer layer, ParameterArrays<T> parameters, GraphLayout layout, Span<T> z, int batch)
    {
        int n = layer.Width;
        if (layer.Activation is { } op && op != OpKind.Identity)
        {
            for (int k = 0; k < z.Length; k++) z[k] = T.CreateChecked(Activation.Inverse(op, layer.Alpha, double.CreateChecked(z[k])));
        }
        if (layer.Bias is { } bias)
        {
            var b = parameters.Arrays[layout.ParameterIndexOf(bias.Name)].AsSpan(0, n);
            for (int s = 0; s < batch; s++) TensorPrimitives.Subtract<T>(z.Slice(s * n, n), b, z.Slice(s * n, n));
        }
        if (!TensorPrimitives.IsFiniteAll<T>(z))
        {
            throw new ArithmeticException("Layer '" + graph.Nodes[layer.Output].Name + "': a target lies outside the range of its " + layer.Activation + ", so f⁻¹ of it is not finite; the parameters were left unchanged.");
        }
        var (lu, pivots) = Inverses.Factors[layer.Output];
        LuDecomposition.SolveRows<T>(lu, pivots, n, z, batch);
    }
}
