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
    }

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

    // destination[W] += batch · λ · 4 D W for every weight (the weights shared out over the pool's threads), then every
    // update checked finite before anything is applied.
    private void AddPenalty(ParameterArrays<T> parameters, int batch, T[][] destination)
    {
        stepParameters = parameters;
        stepDestination = destination;
        stepScale = T.CreateChecked(4.0 * batch * rule.Lambda);
        try
        {
            if (inner.Pool is { } pool) pool.Run(weights.Length, this, static (self, start, count) => self.Penalty(start, count));
            else Penalty(0, weights.Length);
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

    private void Penalty(int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            var (index, rows, cols, gram) = weights[i];
            var w = stepParameters!.Arrays[index];
            Gemm.MatMulNT<T>(w, w, gram, rows, rows, cols, false);
            for (int r = 0; r < rows; r++)
            {
                if (rule.Form == OrthogonalityPenalty.OffDiagonal) gram[r * rows + r] = T.Zero;
                else gram[r * rows + r] -= T.One;
            }
            Gemm.MatMulNN<T>(gram, rows, w, cols, stepDestination![index], cols, rows, cols, rows, stepScale, true);
        }
    }

    public override void Dispose() => inner.Dispose();
}
