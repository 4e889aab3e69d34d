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
/// plus batch size × λ × 4 D W for every weight (D = W Wᵀ off its diagonal, or W Wᵀ − I; two GEMMs per weight), then the
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
        totalRows = weights.Sum(w => w.Rows);
    }

    private readonly int totalRows;

    public override LearningRule Rule => rule;

    public override int MaxBatch => inner.MaxBatch;

    public override int Threads => inner.Threads;

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
    // The pool's threads share the weights' rows, not whole weights: the five 784² weights of GAIT-prop's square
    // network split 3/2 by weight left one thread idle a fifth of the time. Rows [r0, r1) of W Wᵀ need all of W but
    // only those rows of D, and give rows [r0, r1) of the gradient, so a thread's rows need no other thread's result.
    private void AddPenalty(ParameterArrays<T> parameters, int batch, T[][] destination)
    {
        stepParameters = parameters;
        stepDestination = destination;
        stepScale = T.CreateChecked(4.0 * batch * rule.Lambda);
        try
        {
            if (inner.Pool is { } pool) pool.Run(totalRows, this, static (self, start, count) => self.Penalty(start, count), grain: 8);
            else Penalty(0, totalRows);
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

    // Rows [start, start + count) of the weights' rows laid end to end.
    private void Penalty(int start, int count)
    {
        int end = start + count, first = 0;
        foreach (var (index, rows, cols, gram) in weights)
        {
            int low = Math.Max(start, first), high = Math.Min(end, first + rows);
            if (low < high)
            {
                int r0 = low - first, n = high - low;
                var w = stepParameters!.Arrays[index];
                Gemm.MatMulNT<T>(w.AsSpan(r0 * cols), cols, w, cols, gram.AsSpan(r0 * rows), rows, n, rows, cols, T.One, false);
                for (int r = r0; r < r0 + n; r++)
                {
                    if (rule.Form == OrthogonalityPenalty.OffDiagonal) gram[r * rows + r] = T.Zero;
                    else gram[r * rows + r] -= T.One;
                }
                Gemm.MatMulNN<T>(gram.AsSpan(r0 * rows), rows, w, cols, stepDestination![index].AsSpan(r0 * cols), cols, n, cols, rows, stepScale, true);
            }
            first += rows;
        }
    }

    public override void Dispose() => inner.Dispose();
}
