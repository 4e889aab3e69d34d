using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Symbolic.Rules.Kernels;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// A rule's backward phase on one shard, after the forward pass: fills the cotangents that the parameter update reads
/// (backprop's adjoints, AR's relaxed units, …). A struct, so the training run is specialised to it.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Runs the phase; returns the cotangents by node id that the parameter-update products take.</summary>
    T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>;
}

/// <summary>
/// The compiled state of one rule on one graph: its workspaces, its worker pool, its own buffers and the optimiser's
/// moments. Made by <see cref="LearningRule.CreateState{TGraph, T}"/>; a step allocates nothing.
/// </summary>
/// <typeparam name="TGraph">The generated graph struct.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
public abstract class CompiledRuleState<TGraph, T> : IDisposable
    where TGraph : struct, ICompiledGraph<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The rule the state belongs to.</summary>
    public abstract LearningRule Rule { get; }

    /// <summary>The largest batch a step accepts.</summary>
    public abstract int MaxBatch { get; }

    /// <summary>The threads that share a step, the caller included.</summary>
    public abstract int Threads { get; }

    /// <summary>The first shard's workspace (the whole batch's on one thread): values, cotangents and units of the last step.</summary>
    public abstract Workspace<T> Workspace { get; }

    /// <summary>The step's worker pool (null on one thread), for a rule's work outside the shards (factorisations, penalties).</summary>
    internal virtual WorkerPool? Pool => null;

    /// <summary>One training step in place; returns the loss before the update, summed over the batch.</summary>
    public abstract T Step(ParameterArrays<T> parameters, CompiledBatch<T> batch, Optimiser optimiser);

    /// <summary>
    /// The rule's update direction on <paramref name="batch"/> without applying it: what plain SGD at learning rate 1
    /// would subtract from each parameter (backprop's gradient for backprop), written into <paramref name="destination"/>
    /// by parameter index. The parameters and the optimiser's moments are left as they are; the workspaces hold the
    /// batch's forward pass and backward phase afterwards (e.g. <see cref="Workspace{T}.LastResidual"/>).
    /// </summary>
    /// <returns>The loss of the batch, summed over its samples.</returns>
    /// <exception cref="ArgumentException">The batch or parameters do not fit, or <paramref name="destination"/> does not hold one array of each parameter's size.</exception>
    /// <exception cref="ArithmeticException">The loss or the update is not finite.</exception>
    public abstract T ComputeUpdates(ParameterArrays<T> parameters, CompiledBatch<T> batch, T[][] destination);

    /// <summary>
    /// The optimiser's moments and step count, as a checkpoint saves them: null before the first step with an optimiser
    /// that keeps moments, and always null for plain SGD (fused, no buffers).
    /// </summary>
    public abstract OptimiserBuffers<T>? OptimiserBuffers { get; }

    /// <summary>
    /// Installs <paramref name="buffers"/> (e.g. from <see cref="Checkpoints.Checkpoint.CreateBuffers{T}"/>) as the moments
    /// of <paramref name="optimiser"/>'s kind, so the next step continues where the saved run stopped.
    /// </summary>
    /// <exception cref="ArgumentException">The buffers keep another number of moments than <paramref name="optimiser"/>, or do not fit the graph's parameters.</exception>
    public abstract void RestoreOptimiserBuffers(Optimiser optimiser, OptimiserBuffers<T> buffers);

    /// <summary>The rule's own state a checkpoint saves (backward matrices, learned ψ's offsets): name, shape, values. Empty for rules without.</summary>
    public virtual IReadOnlyList<(string Name, int[] Shape, T[] Values)> RuleTensors() => Array.Empty<(string, int[], T[])>();

    /// <summary>Restores what <see cref="RuleTensors"/> saved; <paramref name="values"/> finds a tensor by name (null when absent).</summary>
    /// <exception cref="ArgumentException">A saved tensor does not fit.</exception>
    public virtual void RestoreRuleTensors(Func<string, T[]?> values)
    {
    }

    /// <inheritdoc/>
    public abstract void Dispose();
}

/// <summary>
/// The data-parallel training step shared by every rule: the batch is cut into shards (one per thread, at most
/// <see cref="ShardSamples"/> samples each), each runs the forward pass and the rule's backward phase in a workspace of
/// its own; then every thread updates its own rows of every parameter from all shards' cotangents (plain SGD fused
/// into the products; any other optimiser through gradient rows and its own update). Samples are independent, so a
/// step equals the single-threaded step up to the rounding of the sum. One thread: one shard, no pool.
/// </summary>
/// <typeparam name="TGraph">The generated graph struct.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TPhase">The rule's backward phase.</typeparam>
public sealed class TrainingRun<TGraph, T, TPhase> : CompiledRuleState<TGraph, T>
    where TGraph : struct, ICompiledGraph<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
    where TPhase : struct, IBackwardPhase<T>
{
    /// <summary>The most samples a shard takes when several threads share a step: a shard's activations stay in the core's L2.</summary>
    public const int ShardSamples = 128;

    private readonly LearningRule rule;
    private readonly TPhase phase;
    private readonly WorkerPool? pool;
    private readonly Workspace<T>[] shards;
    private readonly T[][][] cotangents;
    private readonly T[] losses;
    private readonly int capacity;
    private readonly T[][] gradients;
    private readonly int maxBatch;
    private readonly IRuleBuffers<T>? own;
    private readonly PackedOperandCache<T> packs = new();
    private T[]?[] steady = Array.Empty<T[]?>();
    private OptimiserBuffers<T>? moments;
    private Type? momentsOwner;

    // The step in flight, read by the pool's workers.
    private ParameterArrays<T>? stepParameters;
    private CompiledBatch<T> stepBatch;
    private Optimiser? stepOptimiser;
    private T[][]? stepGradients;
    private int active;

    /// <summary>Allocates the workspaces (and starts the worker threads when <paramref name="threads"/> &gt; 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">threads or maxBatch below 1.</exception>
    /// <param name="rule">The rule the state belongs to.</param>
    /// <param name="phase">The rule's backward phase.</param>
    /// <param name="maxBatch">The largest batch a step accepts.</param>
    /// <param name="threads">The threads of a step.</param>
    /// <param name="own">The rule's own buffers (the same object the phase reads: backward matrices, LU factors), or null.</param>
    public TrainingRun(LearningRule rule, TPhase phase, int maxBatch, int threads, IRuleBuffers<T>? own = null)
    {
        this.own = own;
        ArgumentNullException.ThrowIfNull(rule);
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "At least one thread is needed.");
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "The batch size must be at least 1.");
        this.rule = rule;
        this.phase = phase;
        this.maxBatch = maxBatch;
        var layout = TGraph.Layout;
        int count = threads == 1 ? 1 : Math.Max(threads, (maxBatch + ShardSamples - 1) / ShardSamples);
        capacity = (maxBatch + count - 1) / count;
        shards = new Workspace<T>[count];
        for (int i = 0; i < count; i++) shards[i] = new Workspace<T>(layout, capacity);
        cotangents = new T[count][][];
        losses = new T[count];
        gradients = new T[layout.ParameterSizes.Length][];
        for (int k = 0; k < gradients.Length; k++) gradients[k] = new T[layout.ParameterSizes[k]];
        if (threads > 1) pool = new WorkerPool(threads);
    }

    /// <inheritdoc/>
    public override LearningRule Rule => rule;

    /// <inheritdoc/>
    public override int MaxBatch => maxBatch;

    /// <inheritdoc/>
    public override int Threads => pool?.ThreadCount ?? 1;

    /// <inheritdoc/>
    public override Workspace<T> Workspace => shards[0];

    /// <inheritdoc/>
    internal override WorkerPool? Pool => pool;

    /// <inheritdoc/>
    public override OptimiserBuffers<T>? OptimiserBuffers => moments;

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, int[] Shape, T[] Values)> RuleTensors() => own?.Tensors() ?? base.RuleTensors();

    /// <inheritdoc/>
    public override void RestoreRuleTensors(Func<string, T[]?> values) => own?.Restore(values);

    /// <inheritdoc/>
    public override void RestoreOptimiserBuffers(Optimiser optimiser, OptimiserBuffers<T> buffers)
    {
        ArgumentNullException.ThrowIfNull(optimiser);
        ArgumentNullException.ThrowIfNull(buffers);
        var sizes = TGraph.Layout.ParameterSizes;
        if (buffers.MomentCount != optimiser.MomentCount)
        {
            throw new ArgumentException("The buffers keep " + buffers.MomentCount + " moment(s) per parameter but " + optimiser.GetType().Name + " keeps " + optimiser.MomentCount + ".", nameof(buffers));
        }
        if (buffers.ParameterCount != sizes.Length || Enumerable.Range(0, sizes.Length).Any(k => buffers.Sizes[k] != sizes[k]))
        {
            throw new ArgumentException("The buffers' sizes [" + string.Join(", ", buffers.Sizes) + "] are not the parameter sizes of graph '" + TGraph.Layout.Graph.Name + "' [" + string.Join(", ", sizes) + "].", nameof(buffers));
        }
        moments = buffers;
        momentsOwner = optimiser.GetType();
    }

    /// <inheritdoc/>
    public override T Step(ParameterArrays<T> parameters, CompiledBatch<T> batch, Optimiser optimiser)
    {
        ArgumentNullException.ThrowIfNull(optimiser);
        Validate(parameters, batch);
        var layout = TGraph.Layout;
        bool fused = optimiser is Sgd sgd && sgd.IsPlainSgd;
        if (!fused) PrepareMoments(optimiser);
        own?.BeginStep(parameters);
        stepParameters = parameters;
        stepBatch = batch;
        stepOptimiser = optimiser;
        try
        {
            T loss = RunShards();
            T learningRate = T.CreateChecked(optimiser.LearningRate);
            if (fused)
            {
                if (active == 1) GraphPasses<TGraph, T>.ParameterProducts(cotangents[0], shards[0], batch.Size, parameters.Arrays, -learningRate, true, 0, 1);
                else pool!.Run(Threads, this, static (self, start, count) => { for (int i = start; i < start + count; i++) self.FusedRows(i); });
                own?.EndStep();
                return loss;
            }
            Gradients(gradients);
            optimiser.BeginStep(moments!);
            if (pool is null) ApplyRows(0);
            else pool.Run(Threads, this, static (self, start, count) => { for (int i = start; i < start + count; i++) self.ApplyRows(i); });
            own?.EndStep();
            return loss;
        }
        finally
        {
            stepParameters = null;
            stepOptimiser = null;
            stepGradients = null;
        }
    }

    /// <inheritdoc/>
    public override T ComputeUpdates(ParameterArrays<T> parameters, CompiledBatch<T> batch, T[][] destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Validate(parameters, batch);
        var sizes = TGraph.Layout.ParameterSizes;
        bool fits = destination.Length == sizes.Length;
        // A loop, not LINQ: a step through ComputeUpdates (the regulariser's) must not allocate.
        for (int k = 0; fits && k < sizes.Length; k++) fits = destination[k] is not null && destination[k].Length == sizes[k];
        if (!fits)
        {
            throw new ArgumentException("The destination must hold one array per parameter of sizes [" + string.Join(", ", sizes) + "].", nameof(destination));
        }
        own?.BeginStep(parameters);
        stepParameters = parameters;
        stepBatch = batch;
        try
        {
            T loss = RunShards();
            Gradients(destination);
            return loss;
        }
        finally
        {
            stepParameters = null;
            stepGradients = null;
        }
    }

    private void Validate(ParameterArrays<T> parameters, CompiledBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var layout = TGraph.Layout;
        if (!ReferenceEquals(parameters.Layout, layout) && !parameters.Layout.Graph.Equals(layout.Graph))
        {
            throw new ArgumentException("The parameters belong to graph '" + parameters.Layout.Graph.Name + "', not '" + layout.Graph.Name + "'.", nameof(parameters));
        }
        if (batch.Size < 1 || batch.Size > maxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch.Size, "The batch size must be between 1 and the state's MaxBatch (" + maxBatch + ").");
        batch.Validate(layout);
        StepChecks.Batch(batch, layout);
    }

    // The forward pass and the backward phase of every shard; returns the batch's loss.
    private T RunShards()
    {
        int size = stepBatch.Size;
        // The parameters do not change until the update: their packed panels are shared by every shard's products.
        packs.BeginStep(SteadyMatrices(stepParameters!.Arrays));
        active = pool is null ? 1 : Math.Min(shards.Length, Math.Max(Math.Min(Threads, size), (size + capacity - 1) / capacity));
        if (active == 1) RunShard(0);
        else pool!.Run(active, this, static (self, start, count) => { for (int i = start; i < start + count; i++) self.RunShard(i); });
        T loss = losses[0];
        for (int i = 1; i < active; i++) loss += losses[i];
        for (int i = 0; i < active; i++) CheckFinite(losses[i]);
        CheckFinite(loss);
        return loss;
    }

    // Every shard's parameter products summed into target, then checked finite.
    private void Gradients(T[][] target)
    {
        var layout = TGraph.Layout;
        stepGradients = target;
        if (active == 1) GraphPasses<TGraph, T>.ParameterProducts(cotangents[0], shards[0], stepBatch.Size, target, T.One, false, 0, 1);
        else pool!.Run(Threads, this, static (self, start, count) => { for (int i = start; i < start + count; i++) self.GradientRows(i); });
        for (int k = 0; k < target.Length; k++)
        {
            if (!Optimiser.AllFinite<T>(target[k]))
            {
                throw new ArithmeticException("The update of parameter '" + layout.Graph.Nodes[layout.ParameterIds[k]].Name + "' holds a NaN or an infinity; the parameters were left unchanged.");
            }
        }
    }

    // The parameters and the rule's steady matrices, in one reused array (a step allocates nothing).
    private T[]?[] SteadyMatrices(T[][] parameters)
    {
        var extra = own?.SteadyMatrices ?? Array.Empty<T[]?>();
        if (extra.Length == 0) return parameters;
        if (steady.Length != parameters.Length + extra.Length) steady = new T[]?[parameters.Length + extra.Length];
        parameters.CopyTo(steady, 0);
        extra.CopyTo(steady, parameters.Length);
        return steady;
    }

    private void PrepareMoments(Optimiser optimiser)
    {
        if (moments is not null && momentsOwner == optimiser.GetType()) return;
        if (moments is not null)
        {
            throw new InvalidOperationException("This state holds the moments of a " + momentsOwner!.Name + " optimiser; make a new state (rule.CreateState) to train with " + optimiser.GetType().Name + ".");
        }
        moments = optimiser.CreateBuffers<T>(TGraph.Layout.ParameterSizes);
        momentsOwner = optimiser.GetType();
    }

    private static void CheckFinite(T loss)
    {
        if (!T.IsFinite(loss))
        {
            throw new ArithmeticException("The loss of this training step is " + loss + ": the inputs, the targets or the parameters hold a NaN or an infinity, or training diverged (lower the learning rate). The parameters were left unchanged.");
        }
    }

    private void RunShard(int index)
    {
        var (start, count) = active == 1 ? (0, stepBatch.Size) : WorkerPool.Chunk(stepBatch.Size, active, index);
        var workspace = shards[index];
        var parameters = stepParameters!;
        using var shared = packs.Enter();
        losses[index] = GraphPasses<TGraph, T>.Forward(parameters, stepBatch.Slice(start, count), workspace);
        StepChecks.Values(workspace, count);
        var result = phase.Run<TGraph>(parameters, workspace, count);
        StepChecks.Cotangents(result, TGraph.Layout, count, "cotangent");
        cotangents[index] = result;
    }

    private void FusedRows(int part)
    {
        T scale = -T.CreateChecked(stepOptimiser!.LearningRate);
        var targets = stepParameters!.Arrays;
        for (int j = 0; j < active; j++)
        {
            GraphPasses<TGraph, T>.ParameterProducts(cotangents[j], shards[j], WorkerPool.Chunk(stepBatch.Size, active, j).Count, targets, scale, true, part, Threads);
        }
    }

    private void GradientRows(int part)
    {
        for (int j = 0; j < active; j++)
        {
            GraphPasses<TGraph, T>.ParameterProducts(cotangents[j], shards[j], WorkerPool.Chunk(stepBatch.Size, active, j).Count, stepGradients!, T.One, j > 0, part, Threads);
        }
    }

    private void ApplyRows(int part)
    {
        var layout = TGraph.Layout;
        var parameters = stepParameters!.Arrays;
        var optimiser = stepOptimiser!;
        for (int k = 0; k < parameters.Length; k++)
        {
            int rows = layout.ParameterRows[k], cols = layout.ParameterSizes[k] / rows;
            var (rowStart, rowCount) = WorkerPool.Chunk(rows, Threads, part);
            if (rowCount > 0) optimiser.Apply<T>(k, parameters[k], gradients[k], moments!, rowStart * cols, rowCount * cols);
        }
    }

    /// <summary>Stops the worker threads.</summary>
    public override void Dispose() => pool?.Dispose();
}

/// <summary>Backprop's backward phase: every computed node's adjoint (the forward weights' transpose, f').</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct BackpropPhase<T> : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        GraphPasses<TGraph, T>.BackpropCotangents<TransposeWithDerivative<T>>(parameters, null, workspace, batch);
        return workspace.Adjoints;
    }
}

/// <summary>
/// Activation Relaxation's backward phase: the units relaxed with the given options (through f′ or not, as
/// <see cref="RelaxationOptions.UseDerivative"/> says); when <paramref name="DerivativeInUpdate"/> differs, the nodes
/// inside each layer are recomputed from the relaxed units with (or without) f′ for the weight update.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Options">The relaxation settings.</param>
/// <param name="DerivativeInUpdate">Whether the weight update takes f′ (the layer interiors' cotangents).</param>
public readonly record struct RelaxationPhase<T>(RelaxationOptions Options, bool DerivativeInUpdate = true) : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        if (Options.UseDerivative) GraphPasses<TGraph, T>.Relax<TransposeWithDerivative<T>>(parameters, null, workspace, batch, Options);
        else GraphPasses<TGraph, T>.Relax<TransposeWithoutDerivative<T>>(parameters, null, workspace, batch, Options);
        if (DerivativeInUpdate != Options.UseDerivative)
        {
            var order = TGraph.Layout.Units(Options.Units);
            if (DerivativeInUpdate) GraphPasses<TGraph, T>.PropagateInterior<TransposeWithDerivative<T>>(parameters, null, workspace, batch, order);
            else GraphPasses<TGraph, T>.PropagateInterior<TransposeWithoutDerivative<T>>(parameters, null, workspace, batch, order);
        }
        return workspace.Units;
    }
}

/// <summary>Feedback alignment's backward phase: backprop's sweep with the rule's fixed matrices in place of the forward weights.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Own">The rule's matrices.</param>
public readonly record struct FeedbackPhase<T>(BackwardBuffers<T> Own) : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        GraphPasses<TGraph, T>.BackpropCotangents<OwnMatricesWithDerivative<T>>(parameters, Own.Matrices!, workspace, batch);
        return workspace.Adjoints;
    }
}

/// <summary>AR's backward phase with the rule's own backward matrices (learned or fixed random ψ) in place of the forward weights' transpose; f′ as in <see cref="RelaxationPhase{T}"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Options">The relaxation settings.</param>
/// <param name="Own">The rule's matrices.</param>
/// <param name="DerivativeInUpdate">Whether the weight update takes f′.</param>
public readonly record struct OwnRelaxationPhase<T>(RelaxationOptions Options, BackwardBuffers<T> Own, bool DerivativeInUpdate = true) : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        T[][] matrices = Own.Matrices!;
        if (Options.UseDerivative) GraphPasses<TGraph, T>.Relax<OwnMatricesWithDerivative<T>>(parameters, matrices, workspace, batch, Options);
        else GraphPasses<TGraph, T>.Relax<OwnMatricesWithoutDerivative<T>>(parameters, matrices, workspace, batch, Options);
        if (DerivativeInUpdate != Options.UseDerivative)
        {
            var order = TGraph.Layout.Units(Options.Units);
            if (DerivativeInUpdate) GraphPasses<TGraph, T>.PropagateInterior<OwnMatricesWithDerivative<T>>(parameters, matrices, workspace, batch, order);
            else GraphPasses<TGraph, T>.PropagateInterior<OwnMatricesWithoutDerivative<T>>(parameters, matrices, workspace, batch, order);
        }
        return workspace.Units;
    }
}
