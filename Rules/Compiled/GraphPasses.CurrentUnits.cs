using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Symbolic.Rules.Compiled;

public static partial class GraphPasses<TGraph, T>
{
    /// <summary>
    /// The forward pass at the current units (the unfrozen feedforward pass of arXiv 2010.06219, and strict predictive
    /// coding's predictions): every computed node in topological order from its parents' values in the workspace, each
    /// node with a unit under <paramref name="order"/> then taking its unit's value, so the nodes inside a layer and
    /// every stored f′ follow from the relaxing units below them. Overwrites the workspace's values and derivatives of
    /// computed nodes (inputs are kept).
    /// </summary>
    public static void CurrentPass(ParameterArrays<T> parameters, Workspace<T> workspace, int batch, UnitOrder order)
    {
        var layout = TGraph.Layout;
        var computed = layout.ComputedIds;
        var arrays = parameters.Arrays;
        var stores = layout.StoresDerivative;
        for (int i = 0; i < computed.Length; i++)
        {
            int id = computed[i];
            bool hasUnit = !order.IsInterior[id];
            // A node upstream of every unit keeps its forward value; a unit's own value is its unit, so it is computed
            // only for the f' it stores.
            if (order.FollowsUnits[id] && (!hasUnit || stores[id])) TGraph.ComputeNode(id, arrays, workspace.Values, workspace.Derivatives, batch);
            if (hasUnit) new ReadOnlySpan<T>(workspace.Units[id], 0, batch * layout.Sizes[id]).CopyTo(workspace.Values[id]);
        }
    }

    /// <summary>
    /// Strict predictive coding's inference (no fixed-prediction assumption; Whittington &amp; Bogacz 2017, arXiv
    /// 2006.04182 §2), as the reference <see cref="StrictPredictiveCoding.Infer"/> does it (call <see cref="Forward"/>
    /// first). Value nodes x start at the feedforward values; each step the predictions μ are recomputed from x, the
    /// errors are c = μ − x on the value nodes and dL/dμ at the output, and every x moves by rate (c − Σ_j J_jiᵀ c_j)
    /// with the Jacobians at x. Afterwards <see cref="Workspace{T}.Units"/> holds the errors at the final x (the nodes
    /// inside a layer their instant cotangents) and the values and derivatives the final predictions' pass, so the
    /// parameter products give −dF/dW.
    /// </summary>
    /// <returns>The steps run.</returns>
    public static int InferStrict(ParameterArrays<T> parameters, Workspace<T> workspace, int batch, int steps, double rate, UnitPlacement units)
    {
        Check(parameters, workspace, TGraph.Layout);
        workspace.CheckBatch(batch);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The inference steps must be non-negative.");
        if (!(rate > 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The inference rate must be in (0, 1].");
        var layout = TGraph.Layout;
        var order = layout.Units(units);
        if (workspace.RuleBuffers is not StrictBuffers<T> buffers || !ReferenceEquals(buffers.Order, order))
        {
            buffers = new StrictBuffers<T>(layout, order, workspace.MaxBatch);
            workspace.RuleBuffers = buffers;
        }
        if (workspace.Targets is null) throw new InvalidOperationException("Strict predictive coding needs the targets of a forward pass; call GraphPasses.Forward first.");
        var x = buffers.Values;
        foreach (int id in order.Free) new ReadOnlySpan<T>(workspace.Values[id], 0, batch * layout.Sizes[id]).CopyTo(x[id]);
        // Value nodes upstream of every other value node keep their forward prediction: kept, not recomputed.
        foreach (int id in order.Free)
        {
            if (!order.FollowsUnits[id]) new ReadOnlySpan<T>(workspace.Values[id], 0, batch * layout.Sizes[id]).CopyTo(buffers.Predictions[id]!);
        }
        T eta = T.CreateChecked(rate);
        double residual = 0;
        for (int step = 0; step < steps; step++)
        {
            Predict(parameters, workspace, batch, order, buffers);
            PropagateInterior<TransposeWithDerivative<T>>(parameters, null, workspace, batch, order);
            double squared = 0;
            foreach (int id in order.Free)
            {
                int n = batch * layout.Sizes[id];
                var drive = new Span<T>(workspace.Scratch, 0, n);
                Drive<TransposeWithDerivative<T>>(id, workspace.Units, drive, false, parameters, null, workspace, batch);
                // x += rate (c - drive): the descent on F = sum |x - mu|^2 / 2 + L, with c = mu - x.
                TensorPrimitives.Subtract<T>(new ReadOnlySpan<T>(workspace.Units[id], 0, n), drive, drive);
                TensorPrimitives.Multiply<T>(drive, eta, drive);
                squared += double.CreateTruncating(TensorPrimitives.Dot<T>(drive, drive));
                TensorPrimitives.Add<T>(new ReadOnlySpan<T>(x[id], 0, n), drive, new Span<T>(x[id], 0, n));
            }
            residual = Math.Sqrt(squared);
        }
        Predict(parameters, workspace, batch, order, buffers);
        PropagateInterior<TransposeWithDerivative<T>>(parameters, null, workspace, batch, order);
        workspace.LastResidual = residual;
        workspace.LastIterations = steps;
        return steps;
    }

    // The predictions from the value nodes x: every computed node from its parents; a value node's error mu - x into its
    // unit and x back as its value (for its children's predictions); the output's error dL/dmu at the batch's targets.
    private static void Predict(ParameterArrays<T> parameters, Workspace<T> workspace, int batch, UnitOrder order, StrictBuffers<T> buffers)
    {
        var layout = TGraph.Layout;
        var computed = layout.ComputedIds;
        var arrays = parameters.Arrays;
        var x = buffers.Values;
        for (int i = 0; i < computed.Length; i++)
        {
            int id = computed[i], n = batch * layout.Sizes[id];
            if (!order.FollowsUnits[id] && id != layout.OutputId)
            {
                if (order.IsInterior[id]) continue;   // its forward value and f' stand
                // A value node with a fixed prediction: its error from the kept prediction.
                TensorPrimitives.Subtract<T>(new ReadOnlySpan<T>(buffers.Predictions[id]!, 0, n), new ReadOnlySpan<T>(x[id], 0, n), new Span<T>(workspace.Units[id], 0, n));
                new ReadOnlySpan<T>(x[id], 0, n).CopyTo(workspace.Values[id]);
                continue;
            }
            TGraph.ComputeNode(id, arrays, workspace.Values, workspace.Derivatives, batch);
            if (id == layout.OutputId)
            {
                int outputs = layout.OutputSize;
                Loss(layout.Graph.Loss, new ReadOnlySpan<T>(workspace.Values[id], 0, n),
                    new ReadOnlySpan<T>(workspace.Targets!, workspace.TargetsOffset * outputs, n), new Span<T>(workspace.LossGradient, 0, n), batch, outputs);
                continue;
            }
            if (order.IsInterior[id]) continue;
            var value = new Span<T>(workspace.Values[id], 0, n);
            TensorPrimitives.Subtract<T>(value, new ReadOnlySpan<T>(x[id], 0, n), new Span<T>(workspace.Units[id], 0, n));
            new ReadOnlySpan<T>(x[id], 0, n).CopyTo(value);
        }
    }
}

/// <summary>Strict predictive coding's value nodes by node id (the free units of its placement), per workspace.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class StrictBuffers<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public StrictBuffers(GraphLayout layout, UnitOrder order, int maxBatch)
    {
        Order = order;
        Values = new T[layout.NodeCount][];
        Predictions = new T[layout.NodeCount][];
        foreach (int id in order.Free)
        {
            Values[id] = new T[maxBatch * layout.Sizes[id]];
            if (!order.FollowsUnits[id]) Predictions[id] = new T[maxBatch * layout.Sizes[id]];
        }
    }

    /// <summary>The kept predictions of value nodes upstream of every other (null for the rest).</summary>
    public T[]?[] Predictions { get; }

    public UnitOrder Order { get; }

    public T[][] Values { get; }
}

/// <summary>A copy of the forward pass's values and derivatives of computed nodes, per workspace, for phases that overwrite them.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class StoredPass<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly GraphLayout layout;
    private readonly T[][] values;
    private readonly T[]?[] derivatives;

    private StoredPass(GraphLayout layout, int maxBatch)
    {
        this.layout = layout;
        values = new T[layout.NodeCount][];
        derivatives = new T[layout.NodeCount][];
        foreach (int id in layout.ComputedIds)
        {
            values[id] = new T[maxBatch * layout.Sizes[id]];
            if (layout.StoresDerivative[id]) derivatives[id] = new T[maxBatch * layout.Sizes[id]];
        }
    }

    /// <summary>The workspace's copy, allocated on first use.</summary>
    public static StoredPass<T> Of(Workspace<T> workspace)
    {
        if (workspace.StoredPassBuffers is StoredPass<T> saved) return saved;
        saved = new StoredPass<T>(workspace.Layout, workspace.MaxBatch);
        workspace.StoredPassBuffers = saved;
        return saved;
    }

    /// <summary>Copies the workspace's values and derivatives of the first <paramref name="batch"/> samples.</summary>
    public void Save(Workspace<T> workspace, int batch) => Copy(workspace.Values, workspace.Derivatives, values, derivatives, batch, true);

    /// <summary>Puts the saved values back (and the derivatives when <paramref name="withDerivatives"/>).</summary>
    public void Restore(Workspace<T> workspace, int batch, bool withDerivatives) => Copy(values, derivatives, workspace.Values, workspace.Derivatives, batch, withDerivatives);

    private void Copy(T[][] fromValues, T[]?[] fromDerivatives, T[][] toValues, T[]?[] toDerivatives, int batch, bool withDerivatives)
    {
        foreach (int id in layout.ComputedIds)
        {
            int n = batch * layout.Sizes[id];
            new ReadOnlySpan<T>(fromValues[id], 0, n).CopyTo(toValues[id]);
            if (withDerivatives && fromDerivatives[id] is { } d) new ReadOnlySpan<T>(d, 0, n).CopyTo(toDerivatives[id]);
        }
    }
}
