using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Kernels;

namespace Symbolic.Rules;

public sealed partial record OrthogonalityRegularised
{
    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1) =>
        new RegularisedRun<TGraph, T>(this, Rule.CreateState<TGraph, T>(maxBatch, threads));
}

/// <summary>
/// The compiled regulariser: the inner rule's update direction (its <see cref="CompiledRuleState{TGraph, T}.ComputeUpdates"/>),
/// plus batch size × λ × 4 D W for every weight (D = W Wᵀ off its diagonal, or W Wᵀ − I; W Wᵀ by <see cref="Gram"/>'s
/// blocks, then one GEMM per weight), then the
/// optimiser's update of every parameter. Never fused with SGD: the penalty's gradient needs the step's W first.
/// </summary>
/// <typeparam name="TGraph">The generated graph struct.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class RegularisedRun<TGraph, T> : CompiledRuleState<TGraph, T>
    where TGraph : struct, ICompiledGraph<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly OrthogonalityRegularised rule;
    private readonly CompiledRuleState<TGraph, T> inner;
    private readonly T[][] gradients;
    private readonly (int Index, int Rows, int Cols, T[] Gram)[] weights;
    // Gram blocks (weight slot, first row, rows), in order; and phase 1's blocks dealt to one bin per thread.
    private readonly (int Slot, int Start, int Count)[] blocks;
    private readonly (int Slot, int Start, int Count)[][] bins;
    private OptimiserBuffers<T>? moments;
    private Type? momentsOwner;

    public RegularisedRun(OrthogonalityRegularised rule, CompiledRuleState<TGraph, T> inner)
    {
        this.rule = rule;
        this.inner = inner;
        var layout = TGraph.Layout;
        gradients = layout.ParameterSizes.Select(size => new T[size]).ToArray();
        weights = layout.ParameterIds.Select((id, k) => (Node: layout.Graph.Nodes[id], Index: k)).Where(p => p.Node.Op == OpKind.Weight)
            .Select(p => (p.Index, p.Node.Shape.Dims[0], p.Node.Shape.Dims[1], new T[p.Node.Shape.Dims[0] * p.Node.Shape.Dims[0]])).ToArray();
        blocks = weights.SelectMany((w, slot) =>
        {
            int size = Gram.BlockRows(w.Rows);
            return Enumerable.Range(0, (w.Rows + size - 1) / size).Select(b => (slot, b * size, Math.Min(size, w.Rows - b * size)));
        }).ToArray();
        bins = DealByWork(blocks, inner.Threads);
    }

    // Phase 1's block rows cost count x (rows - start) x cols: largest first, each to the bin with the least work so far.
    private (int Slot, int Start, int Count)[][] DealByWork((int Slot, int Start, int Count)[] all, int threads)
    {
        var lists = Enumerable.Range(0, Math.Max(1, Math.Min(threads, all.Length))).Select(_ => new List<(int, int, int)>()).ToArray();
        var work = new double[lists.Length];
        foreach (var block in all.OrderByDescending(b => (double)b.Count * (weights[b.Slot].Rows - b.Start) * weights[b.Slot].Cols))
        {
            int bin = Array.IndexOf(work, work.Min());
            lists[bin].Add(block);
            work[bin] += (double)block.Count * (weights[block.Slot].Rows - block.Start) * weights[block.Slot].Cols;
        }
        return lists.Select(l => l.ToArray()).ToArray();
    }

    public override LearningRule Rule => rule;

    public override int MaxBatch => inner.MaxBatch;

    public override int Threads => inner.Threads;

    // The inner rule's pool runs the penalty's phases and, through the trainer, the evaluation's batches.
    internal override WorkerPool? Pool => inner.Pool;

    public override Workspace<T> Workspace => inner.Workspace;

    public override OptimiserBuffers<T>? OptimiserBuffers => moments;

    public override IReadOnlyList<(string Name, int[] Shape, T[] Values)> RuleTensors() => inner.RuleTensors();

    public override void RestoreRuleTensors(Func<string, T[]?> values) => inner.RestoreRuleTensors(values);

    public override void RestoreOptimiserBuffers(Optimiser optimiser, OptimiserBuffers<T> buffers)
    {
        ArgumentNullException.ThrowIfNull(optimiser);
        ArgumentNullException.ThrowIfNull(buffers);
        var sizes = TGraph.Layout.ParameterSizes;
        if (buffers.MomentCount != optimiser.MomentCount || buffers.ParameterCount != sizes.Length || Enumerable.Range(0, sizes.Length).Any(k => buffers.Sizes[k] != sizes[k]))
        {
            throw new ArgumentException("The buffers (" + buffers.MomentCount + " moment(s), sizes [" + string.Join(", ", buffers.Sizes) + "]) do not fit " + optimiser.GetType().Name + " on graph '" + TGraph.Layout.Graph.Name + "' [" + string.Join(", ", sizes) + "].", nameof(buffers));
        }
        moments = buffers;
        momentsOwner = optimiser.GetType();
    }

    public override T ComputeUpdates(ParameterArrays<T> parameters, CompiledBatch<T> batch, T[][] destination)
    {
        T loss = inner.ComputeUpdates(parameters, batch, destination);
        AddPenalty(parameters, batch.Size, destination);
        return loss;
    }

    public override T Step(ParameterArrays<T> parameters, CompiledBatch<T> batch, Optimiser optimiser)
    {
        ArgumentNullException.ThrowIfNull(optimiser);
        T loss = ComputeUpdates(parameters, batch, gradients);
        if (moments is null || momentsOwner != optimiser.GetType())
        {
            if (moments is not null) throw new InvalidOperationException("This state holds the moments of a " + momentsOwner!.Name + " optimiser; make a new state (rule.CreateState) to train with " + optimiser.GetType().Name + ".");
            moments = optimiser.CreateBuffers<T>(TGraph.Layout.ParameterSizes);
            momentsOwner = optimiser.GetType();
        }
        optimiser.BeginStep(moments);
        for (int k = 0; k < gradients.Length; k++) optimiser.Apply<T>(k, parameters.Arrays[k], gradients[k], moments, 0, gradients[k].Length);
        return loss;
    }

    // destination[W] += batch · λ · 4 D W for every weight, then every update checked finite before anything is applied.
    // W Wᵀ is symmetric: phase 1 multiplies only the tiles on and right of the diagonal, block rows dealt to the
    // threads by their work; phase 2, once every tile is there, mirrors the rest and multiplies D W by the same
    // blocks, split evenly (each block's rows of the gradient need only its rows of D).
    private void AddPenalty(ParameterArrays<T> parameters, int batch, T[][] destination)
    {
        stepParameters = parameters;
        stepDestination = destination;
        stepScale = T.CreateChecked(4.0 * batch * rule.Lambda);
        try
        {
            if (inner.Pool is { } pool)
            {
                pool.Run(bins.Length, this, static (self, start, count) => self.UpperTiles(start, count));
                pool.Run(blocks.Length, this, static (self, start, count) => self.MirrorAndMultiply(start, count));
            }
            else
            {
                UpperTiles(0, bins.Length);
                MirrorAndMultiply(0, blocks.Length);
            }
        }
        finally
        {
            stepParameters = null;
            stepDestination = null;
        }
        var layout = TGraph.Layout;
        for (int k = 0; k < destination.Length; k++)
        {
            if (!Optimiser.AllFinite<T>(destination[k]))
            {
                throw new ArithmeticException("The update of parameter '" + layout.Graph.Nodes[layout.ParameterIds[k]].Name + "' holds a NaN or an infinity; the parameters were left unchanged.");
            }
        }
    }

    private ParameterArrays<T>? stepParameters;
    private T[][]? stepDestination;
    private T stepScale;

    // Phase 1 for bins [start, start + count).
    private void UpperTiles(int start, int count)
    {
        for (int b = start; b < start + count; b++)
        {
            foreach (var (slot, first, rows) in bins[b])
            {
                var (index, size, cols, gram) = weights[slot];
                Gram.UpperBlockRow<T>(stepParameters!.Arrays[index], size, cols, gram, first, rows);
            }
        }
    }

    // Phase 2 for blocks [start, start + count): each block's rows of D, then D W for each weight's run of those blocks at once.
    private void MirrorAndMultiply(int start, int count)
    {
        int end = start + count;
        for (int b = start; b < end;)
        {
            int slot = blocks[b].Slot, r0 = blocks[b].Start, r1 = r0;
            var (index, rows, cols, gram) = weights[slot];
            for (; b < end && blocks[b].Slot == slot; b++)
            {
                var (_, first, n) = blocks[b];
                Gram.MirrorBlockRow<T>(gram, rows, first, n);
                for (int r = first; r < first + n; r++)
                {
                    if (rule.Form == OrthogonalityPenalty.OffDiagonal) gram[r * rows + r] = T.Zero;
                    else gram[r * rows + r] -= T.One;
                }
                r1 = first + n;
            }
            var w = stepParameters!.Arrays[index];
            Gemm.MatMulNN<T>(gram.AsSpan(r0 * rows), rows, w, cols, stepDestination![index].AsSpan(r0 * cols), cols, r1 - r0, cols, rows, stepScale, true);
        }
    }

    public override void Dispose() => inner.Dispose();
}
