using System;
using System.Numerics;
using Symbolic.Graph;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// Caller-owned buffers of one compiled graph for batches of up to <see cref="MaxBatch"/> samples, by node id: every
/// node's value, the stored derivatives, backprop's adjoints, the relaxation units, the parameter gradients. Allocated
/// once from the layout; nothing is allocated per step. The output's adjoint and unit are both <see cref="LossGradient"/>.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Workspace<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Allocates the buffers of <paramref name="layout"/> for batches of up to <paramref name="maxBatch"/> samples.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> is below 1.</exception>
    public Workspace(GraphLayout layout, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "The batch size must be at least 1.");
        long largest = 1;
        foreach (int size in layout.Sizes) largest = Math.Max(largest, size);
        if ((long)maxBatch * largest > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "A workspace of graph '" + layout.Graph.Name + "' for " + maxBatch + " samples needs arrays of " + (long)maxBatch * largest +
                " values, more than an array holds (" + Array.MaxLength + "); the largest batch this graph allows is " + Array.MaxLength / largest + ".");
        }
        Layout = layout;
        MaxBatch = maxBatch;
        int count = layout.NodeCount;
        Values = new T[count][];
        Derivatives = new T[count][];
        Adjoints = new T[count][];
        Units = new T[count][];
        LossGradient = new T[checked(maxBatch * layout.OutputSize)];
        var nodes = layout.Graph.Nodes;
        for (int id = 0; id < count; id++)
        {
            if (nodes[id].Role == NodeRole.Parameter) continue;
            int length = checked(maxBatch * layout.Sizes[id]);
            Values[id] = new T[length];
            if (layout.StoresDerivative[id]) Derivatives[id] = new T[length];
            if (nodes[id].Role != NodeRole.Computed) continue;
            Adjoints[id] = id == layout.OutputId ? LossGradient : new T[length];
            Units[id] = id == layout.OutputId ? LossGradient : new T[length];
        }
        Scratch = new T[checked(maxBatch * layout.MaxFreeSize)];
        Gradients = new T[layout.ParameterSizes.Length][];
        for (int k = 0; k < Gradients.Length; k++) Gradients[k] = new T[layout.ParameterSizes[k]];
    }

    /// <summary>The layout the buffers were allocated for.</summary>
    public GraphLayout Layout { get; }

    /// <summary>The largest batch the workspace serves.</summary>
    public int MaxBatch { get; }

    /// <summary>The loss of the last forward pass with targets, summed over the batch.</summary>
    public T Loss { get; internal set; }

    /// <summary>The targets array of the last forward pass with targets (the batch's, not a copy), for rules that re-evaluate the loss.</summary>
    public T[]? Targets { get; internal set; }

    /// <summary>The first sample of <see cref="Targets"/> the last forward pass read.</summary>
    public int TargetsOffset { get; internal set; }

    /// <summary>The L2 norm of the last relaxation step's update over all units and samples.</summary>
    public double LastResidual { get; internal set; }

    /// <summary>The relaxation steps the last relaxation ran.</summary>
    public int LastIterations { get; internal set; }

    /// <summary>By node id: the values of inputs and computed nodes (null for parameters).</summary>
    public T[][] Values { get; }

    /// <summary>By node id: f' at the forward pass for nodes that store a derivative (the frozen Jacobian), else null.</summary>
    public T[][] Derivatives { get; }

    /// <summary>By node id: backprop's adjoint dL/dv of every computed node (the output's is <see cref="LossGradient"/>).</summary>
    public T[][] Adjoints { get; }

    /// <summary>By node id: the relaxation unit of every computed node (the output's, clamped, is <see cref="LossGradient"/>).</summary>
    public T[][] Units { get; }

    /// <summary>dL/d(output) of the last forward pass with targets.</summary>
    public T[] LossGradient { get; }

    /// <summary>Scratch space for relaxation drives.</summary>
    public T[] Scratch { get; }

    /// <summary>By parameter index: gradients or updates summed over the batch (written by the gradient passes).</summary>
    public T[][] Gradients { get; }

    /// <summary>A rule's own per-workspace buffers (e.g. the closed form's powers), allocated by the rule on first use.</summary>
    public object? RuleBuffers { get; set; }

    // The chunked relaxation's buffers (GraphPasses.Chunks.cs), apart from RuleBuffers so rules that keep their own there can relax in chunks.
    internal object? RelaxationChunks { get; set; }

    // The forward pass saved by phases that overwrite it (apart from RuleBuffers, which the closed form takes).
    internal object? StoredPassBuffers { get; set; }

    /// <summary>The value array of the node named <paramref name="name"/>.</summary>
    public T[] GetValue(string name) => Values[Id(name)] ?? throw new ArgumentException("'" + name + "' is a parameter; it has no per-sample value.", nameof(name));

    /// <summary>The adjoint array of the computed node named <paramref name="name"/>.</summary>
    public T[] GetAdjoint(string name) => Adjoints[Id(name)] ?? throw new ArgumentException("'" + name + "' is not a computed node; it has no adjoint.", nameof(name));

    /// <summary>The unit array of the computed node named <paramref name="name"/>.</summary>
    public T[] GetUnit(string name) => Units[Id(name)] ?? throw new ArgumentException("'" + name + "' is not a computed node; it has no unit.", nameof(name));

    /// <summary>The gradient array of the parameter named <paramref name="name"/>.</summary>
    public T[] GetGradient(string name) => Gradients[Layout.ParameterIndexOf(name)];

    /// <summary>Checks that <paramref name="batch"/> fits.</summary>
    internal void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch size must be between 1 and the workspace's MaxBatch (" + MaxBatch + ").");
    }

    private int Id(string name) => Layout.Graph[name].Id;
}

/// <summary>
/// A batch for compiled drivers: by input index (the graph's input order) one array per input, the targets, and the
/// samples [<paramref name="Offset"/>, Offset + <paramref name="Size"/>) of them (so a data set's arrays can be
/// stepped through without copying). Make the inputs array once, outside the training loop.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Inputs">By input index, row-major per sample.</param>
/// <param name="Targets">Row-major per sample, the output's length each.</param>
/// <param name="Size">The number of samples.</param>
/// <param name="Offset">The first sample.</param>
public readonly record struct CompiledBatch<T>(T[][] Inputs, T[] Targets, int Size, int Offset = 0) where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The same arrays, samples [Offset + start, Offset + start + count).</summary>
    public CompiledBatch<T> Slice(int start, int count) => new(Inputs, Targets, count, Offset + start);

    /// <summary>Checks the batch against a layout, naming what does not fit.</summary>
    /// <exception cref="ArgumentException">Wrong input count, or an array too short for the samples.</exception>
    public void Validate(GraphLayout layout)
    {
        if (Inputs is null) throw new ArgumentException("The batch has no inputs array.");
        if (Targets is null) throw new ArgumentException("The batch has no targets array.");
        if (Size < 1 || Offset < 0) throw new ArgumentOutOfRangeException(nameof(Size), "A batch needs at least one sample and a non-negative offset; got " + Size + " samples from " + Offset + ".");
        if (Inputs.Length != layout.InputIds.Length) throw new ArgumentException("Graph '" + layout.Graph.Name + "' has " + layout.InputIds.Length + " input(s) but the batch gives " + Inputs.Length + ".");
        for (int k = 0; k < Inputs.Length; k++)
        {
            long needed = (long)(Offset + Size) * layout.Sizes[layout.InputIds[k]];
            if (Inputs[k] is null) throw new ArgumentException("Input '" + InputName(layout, k) + "' of the batch is null.");
            if (Inputs[k].Length < needed) throw new ArgumentException("Input '" + InputName(layout, k) + "' holds " + Inputs[k].Length + " values; samples " + Offset + " to " + (Offset + Size) + " need " + needed + ".");
        }
        long targets = (long)(Offset + Size) * layout.OutputSize;
        if (Targets.Length < targets) throw new ArgumentException("The targets hold " + Targets.Length + " values; samples " + Offset + " to " + (Offset + Size) + " need " + targets + ".");
    }

    private static string InputName(GraphLayout layout, int k) => layout.Graph.Nodes[layout.InputIds[k]].Name;
}
