using System;
using System.Numerics;
using System.Threading;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Data;

namespace Symbolic.Rules.Training;

/// <summary>
/// Trains a compiled graph with a learning rule and an optimiser on a labelled image set, epoch by epoch, and
/// evaluates it after every epoch on the training and the test set. Pure apart from the parameters it updates in place
/// and the clock it reads for <see cref="EpochMetrics.Seconds"/>: no files, no console; progress goes to the
/// callbacks of <see cref="Run"/>.
/// <para>
/// Epoch e visits the training samples in the order <see cref="BatchOrder.Fill"/>(seed, e); step s takes the samples
/// [s * BatchSize, (s + 1) * BatchSize) of that order (the last batch shorter, or dropped with
/// <see cref="TrainerSettings.DropLast"/>), gathers them into arrays allocated once, and calls
/// <see cref="LearningRule.Step{TGraph, T}"/>. A step allocates nothing after the first. Since the order is a function
/// of (seed, epoch), a run stopped after k steps and resumed from its <see cref="TrainingResult.Next"/> takes exactly
/// the steps of an uninterrupted run; with an optimiser that keeps moments (momentum, Adam) the resumed run must also
/// be given the rule state that holds them (the constructor's <c>state</c>).
/// </para>
/// The graph must have one input of <see cref="Dataset.PixelsPerImage"/> values and an output of
/// <see cref="Dataset.ClassCount"/> values (trained against one-hot targets).
/// </summary>
/// <typeparam name="TGraph">The generated graph struct (e.g. <c>PaperMlp.Float32</c>).</typeparam>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Trainer<TGraph, T> : IDisposable
    where TGraph : struct, ICompiledGraph<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly bool ownsState;
    private readonly int[] order;
    private readonly T[][] inputs;
    private readonly T[] targets;
    private readonly EvaluationShard[] evaluationShards;
    private double[] batchLosses;
    private int[] batchCorrect;
    private Dataset? evaluating;
    private int evaluatingBatches;
    private bool disposed;

    /// <summary>A trainer; it updates <paramref name="parameters"/> in place.</summary>
    /// <param name="rule">The learning rule (it needs a compiled driver).</param>
    /// <param name="optimiser">The optimiser of every step.</param>
    /// <param name="parameters">The initial parameters of <typeparamref name="TGraph"/>, trained in place.</param>
    /// <param name="train">The training set.</param>
    /// <param name="test">The test set (same image size and classes).</param>
    /// <param name="settings">Epochs, batch size, seed, threads, drop-last, evaluation batch size.</param>
    /// <param name="state">
    /// An existing state of <paramref name="rule"/> (e.g. restored from a checkpoint, with the optimiser's moments) whose
    /// MaxBatch is at least the batch size; the caller keeps owning it. Null: the trainer makes one with
    /// <see cref="TrainerSettings.Threads"/> threads and disposes it.
    /// </param>
    /// <exception cref="ArgumentException">The graph does not fit the data sets, the parameters belong to another graph, the state to another rule or is too small, or an epoch would have no step.</exception>
    public Trainer(LearningRule rule, Optimiser optimiser, ParameterArrays<T> parameters, Dataset train, Dataset test, TrainerSettings settings, CompiledRuleState<TGraph, T>? state = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(optimiser);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        var layout = TGraph.Layout;
        if (!ReferenceEquals(parameters.Layout, layout) && !parameters.Layout.Graph.Equals(layout.Graph))
        {
            throw new ArgumentException("The parameters belong to graph '" + parameters.Layout.Graph.Name + "', not '" + layout.Graph.Name + "'.", nameof(parameters));
        }
        CheckFits(layout, train, nameof(train));
        CheckFits(layout, test, nameof(test));
        if (train.Count == 0) throw new ArgumentException("The training set '" + train.Name + "' has no samples.", nameof(train));
        if (test.Count == 0) throw new ArgumentException("The test set '" + test.Name + "' has no samples.", nameof(test));
        StepsPerEpoch = settings.StepsPerEpoch(train.Count);
        if (StepsPerEpoch == 0)
        {
            throw new ArgumentException("TrainerSettings.BatchSize (" + settings.BatchSize + ") exceeds the " + train.Count + " samples of the training set '" + train.Name +
                "' and TrainerSettings.DropLast is set: an epoch would have no step.", nameof(settings));
        }
        if (state is not null)
        {
            if (!ReferenceEquals(state.Rule, rule) && !state.Rule.Equals(rule)) throw new ArgumentException("The state was made by rule " + state.Rule + ", not by " + rule + ".", nameof(state));
            if (state.MaxBatch < settings.BatchSize) throw new ArgumentException("The state serves batches of up to " + state.MaxBatch + " samples; TrainerSettings.BatchSize is " + settings.BatchSize + ".", nameof(state));
        }

        Rule = rule;
        Optimiser = optimiser;
        Parameters = parameters;
        TrainSet = train;
        TestSet = test;
        Settings = settings;
        State = state ?? rule.CreateState<TGraph, T>(settings.BatchSize, settings.Threads);
        ownsState = state is null;

        int pixels = train.PixelsPerImage, classes = train.ClassCount;
        order = new int[train.Count];
        inputs = new[] { new T[checked(settings.BatchSize * pixels)] };
        targets = new T[checked(settings.BatchSize * classes)];
        int evaluationBatch = Math.Min(settings.EvaluationBatchSize, Math.Max(train.Count, test.Count));
        int batches = (Math.Max(train.Count, test.Count) + evaluationBatch - 1) / evaluationBatch;
        evaluationShards = new EvaluationShard[Math.Min(State.Pool?.ThreadCount ?? 1, batches)];
        for (int i = 0; i < evaluationShards.Length; i++) evaluationShards[i] = new EvaluationShard(layout, evaluationBatch, pixels, classes);
        batchLosses = new double[batches];
        batchCorrect = new int[batches];
    }

    /// <summary>The learning rule.</summary>
    public LearningRule Rule { get; }

    /// <summary>The optimiser.</summary>
    public Optimiser Optimiser { get; }

    /// <summary>The parameters being trained (updated in place by every step).</summary>
    public ParameterArrays<T> Parameters { get; }

    /// <summary>The training set.</summary>
    public Dataset TrainSet { get; }

    /// <summary>The test set.</summary>
    public Dataset TestSet { get; }

    /// <summary>The settings.</summary>
    public TrainerSettings Settings { get; }

    /// <summary>The rule's compiled state (workspaces, threads, the optimiser's moments): what a checkpoint saves besides the parameters.</summary>
    public CompiledRuleState<TGraph, T> State { get; }

    /// <summary>The training steps of an epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>The threads <see cref="Evaluate"/> shares its batches among: the state's threads, or fewer when the larger of the training and test sets has fewer batches of <see cref="TrainerSettings.EvaluationBatchSize"/> (a set of one batch is evaluated on the calling thread).</summary>
    public int EvaluationThreads => State.Pool is null ? 1 : evaluationShards.Length;

    /// <summary>
    /// Trains from <paramref name="start"/> until every epoch of the settings is done, <paramref name="maxSteps"/> steps
    /// were taken, or <paramref name="stop"/> is cancelled (checked before every step; the run then returns, it does not
    /// throw). An epoch whose last step is taken is evaluated on both sets before the next begins.
    /// </summary>
    /// <param name="start">Where to start: <see cref="TrainingPosition.Start"/>, or a <see cref="TrainingResult.Next"/> to resume.</param>
    /// <param name="maxSteps">The most steps to take in this call (&gt;= 0).</param>
    /// <param name="onStep">Called after every step (on the calling thread).</param>
    /// <param name="onEpoch">Called with every epoch's metrics as soon as they are known.</param>
    /// <param name="stop">Ends the run before the next step.</param>
    /// <param name="beforeStep">
    /// Called before every step with its position and batch (the arrays are the trainer's and are reused: read them
    /// during the call only), e.g. to measure the rule against backprop on the batch it is about to train on.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="start"/> is not a position of this run, or <paramref name="maxSteps"/> is negative.</exception>
    /// <exception cref="TrainingStepException">A step failed (its inner exception says why, naming the input or node); the parameters are as before that step.</exception>
    public TrainingResult Run(TrainingPosition start = default, int maxSteps = int.MaxValue, Action<StepReport>? onStep = null, Action<EpochMetrics>? onEpoch = null, CancellationToken stop = default,
        Action<TrainingPosition, CompiledBatch<T>>? beforeStep = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (maxSteps < 0) throw new ArgumentException("maxSteps must be at least 0; got " + maxSteps + ".", nameof(maxSteps));
        CheckStart(start);
        return EpochRunner.Run(Settings, TrainSet.Count, StepsPerEpoch, order, start, maxSteps, onStep, onEpoch, stop,
            (position, samples) => TrainStep(position, samples, beforeStep), () => (Evaluate(TrainSet), Evaluate(TestSet)));
    }

    /// <summary>
    /// Evaluates the current parameters on <paramref name="data"/> (forward passes only, in batches of
    /// <see cref="TrainerSettings.EvaluationBatchSize"/>, samples in their stored order): the loss summed over the
    /// samples divided by their count, and the fraction whose output's argmax (the first on a tie) is the label.
    /// The batches are shared among the threads of <see cref="State"/>, each with its own buffers, and their sums are
    /// added in batch order, so the result is the same on any number of threads. Allocates only the result (and,
    /// once, per-batch sums for a set larger than the training and test sets).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> does not fit the graph.</exception>
    public EvaluationResult Evaluate(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(disposed, this);
        var layout = TGraph.Layout;
        CheckFits(layout, data, nameof(data));
        if (data.Count == 0) return new EvaluationResult(double.NaN, double.NaN, 0, 0);
        int capacity = evaluationShards[0].Workspace.MaxBatch, batches = (data.Count + capacity - 1) / capacity;
        if (batches > batchLosses.Length)
        {
            batchLosses = new double[batches];
            batchCorrect = new int[batches];
        }
        evaluating = data;
        evaluatingBatches = batches;
        try
        {
            var pool = State.Pool;
            if (pool is null || evaluationShards.Length == 1 || batches == 1) EvaluateShard(0, 1);
            else pool.Run(evaluationShards.Length, this, static (self, start, count) =>
            {
                for (int shard = start; shard < start + count; shard++) self.EvaluateShard(shard, self.evaluationShards.Length);
            });
        }
        finally
        {
            evaluating = null;
        }
        // Summed in batch order, so the result is the same on any number of threads.
        double lossSum = 0;
        int correct = 0;
        for (int b = 0; b < batches; b++)
        {
            lossSum += batchLosses[b];
            correct += batchCorrect[b];
        }
        return new EvaluationResult(lossSum / data.Count, (double)correct / data.Count, correct, data.Count);
    }

    // Evaluates the batches shard, shard + stride, ... of the set being evaluated with that shard's buffers.
    private void EvaluateShard(int shard, int stride)
    {
        int batches = evaluatingBatches;
        var data = evaluating!;
        var buffers = evaluationShards[shard];
        var workspace = buffers.Workspace;
        int outputs = TGraph.Layout.OutputSize, outputId = TGraph.Layout.OutputId, capacity = workspace.MaxBatch;
        for (int b = shard; b < batches; b += stride)
        {
            int first = b * capacity, n = Math.Min(capacity, data.Count - first);
            var samples = buffers.Samples.AsSpan(0, n);
            for (int k = 0; k < n; k++) samples[k] = first + k;
            data.GatherImages<T>(samples, buffers.Inputs[0]);
            data.OneHot<T>(samples, buffers.Targets);
            data.GatherLabels(samples, buffers.Labels);
            batchLosses[b] = double.CreateChecked(GraphPasses<TGraph, T>.Forward(Parameters, new CompiledBatch<T>(buffers.Inputs, buffers.Targets, n), workspace));
            var output = workspace.Values[outputId];
            int correct = 0;
            for (int s = 0; s < n; s++)
            {
                if (ArgMax(new ReadOnlySpan<T>(output, s * outputs, outputs)) == buffers.Labels[s]) correct++;
            }
            batchCorrect[b] = correct;
        }
    }

    // One thread's evaluation buffers, allocated once.
    private sealed class EvaluationShard(GraphLayout layout, int batch, int pixels, int classes)
    {
        public Workspace<T> Workspace { get; } = new(layout, batch);
        public T[][] Inputs { get; } = [new T[checked(batch * pixels)]];
        public T[] Targets { get; } = new T[checked(batch * classes)];
        public int[] Samples { get; } = new int[batch];
        public int[] Labels { get; } = new int[batch];
    }

    /// <summary>The index of the largest value (the first of equal ones; a NaN is never the largest, and all-NaN gives -1).</summary>
    public static int ArgMax(ReadOnlySpan<T> values)
    {
        int best = -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (T.IsNaN(values[i])) continue;
            if (best < 0 || values[i] > values[best]) best = i;
        }
        return best;
    }

    /// <summary>Disposes the rule state if the trainer made it.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (ownsState) State.Dispose();
    }

    private double TrainStep(TrainingPosition position, ReadOnlySpan<int> samples, Action<TrainingPosition, CompiledBatch<T>>? beforeStep)
    {
        int size = samples.Length;
        TrainSet.GatherImages<T>(samples, inputs[0]);
        TrainSet.OneHot<T>(samples, targets);
        var batch = new CompiledBatch<T>(inputs, targets, size);
        beforeStep?.Invoke(position, batch);
        try
        {
            return double.CreateChecked(Rule.Step(Parameters, batch, Optimiser, State));
        }
        catch (Exception e) when (e is ArgumentException or ArithmeticException)
        {
            throw new TrainingStepException(position, size, e);
        }
    }

    private void CheckStart(TrainingPosition start)
    {
        if (start.Epoch < 0 || start.Epoch > Settings.Epochs)
        {
            throw new ArgumentException("The start epoch " + start.Epoch + " is not an epoch of this run (0 to " + Settings.Epochs + ").", nameof(start));
        }
        int steps = start.Epoch == Settings.Epochs ? 0 : StepsPerEpoch;
        if (start.Step < 0 || start.Step > steps)
        {
            throw new ArgumentException("The start step " + start.Step + " is not a step of epoch " + start.Epoch + " (0 to " + steps + ").", nameof(start));
        }
        long most = (long)start.Step * Settings.BatchSize;
        if (start.EpochSamples < 0 || start.EpochSamples > most || (start.Step == 0 && start.EpochSamples != 0) || !double.IsFinite(start.EpochLossSum))
        {
            throw new ArgumentException("The start position's running loss (" + start.EpochLossSum + " over " + start.EpochSamples + " samples) does not fit step " + start.Step +
                " (at most " + most + " samples, a finite sum).", nameof(start));
        }
    }

    private static void CheckFits(GraphLayout layout, Dataset data, string parameter)
    {
        if (layout.InputIds.Length != 1)
        {
            throw new ArgumentException("Graph '" + layout.Graph.Name + "' has " + layout.InputIds.Length + " inputs; a trainer on images needs exactly one.", parameter);
        }
        int pixels = layout.Sizes[layout.InputIds[0]];
        if (pixels != data.PixelsPerImage)
        {
            throw new ArgumentException("Input '" + layout.Graph.Nodes[layout.InputIds[0]].Name + "' of graph '" + layout.Graph.Name + "' takes " + pixels + " values but the images of '" + data.Name +
                "' have " + data.PixelsPerImage + " pixels (" + data.Rows + "x" + data.Cols + ").", parameter);
        }
        if (layout.OutputSize != data.ClassCount)
        {
            throw new ArgumentException("The output of graph '" + layout.Graph.Name + "' has " + layout.OutputSize + " values but '" + data.Name + "' has " + data.ClassCount + " classes.", parameter);
        }
    }
}
