using System;
using System.Threading;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Data;

namespace Symbolic.Rules.Training;

/// <summary>
/// <see cref="Trainer{TGraph, T}"/>'s twin for a graph built at run time (no generated code): the same epochs, batch order
/// (<see cref="BatchOrder"/>), evaluation and resume positions, through the float64 reference engine
/// (<see cref="LearningRule.Compute(ComputationGraph, ParameterSet, Batch, RuleState)"/> then the optimiser's reference
/// step). Slower by far, but exact: on a declared graph it reproduces the compiled float64 trainer to rounding.
/// The parameters, the rule's state and the optimiser's state are immutable values replaced at every step.
/// </summary>
public sealed class ReferenceTrainer
{
    private readonly int[] order;

    /// <summary>A trainer of <paramref name="graph"/> from <paramref name="initial"/>.</summary>
    /// <exception cref="ArgumentException">The graph does not fit the data sets (one input of the image size, an output per class), the parameters do not fit the graph, or an epoch would have no step.</exception>
    public ReferenceTrainer(LearningRule rule, Optimiser optimiser, ComputationGraph graph, ParameterSet initial, Dataset train, Dataset test, TrainerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(optimiser);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        initial.Validate(graph);
        CheckFits(graph, train, nameof(train));
        CheckFits(graph, test, nameof(test));
        StepsPerEpoch = settings.StepsPerEpoch(train.Count);
        if (StepsPerEpoch == 0) throw new ArgumentException("An epoch of " + train.Count + " samples in batches of " + settings.BatchSize + " with DropLast has no step.", nameof(settings));
        Rule = rule;
        Optimiser = optimiser;
        Graph = graph;
        Parameters = initial;
        TrainSet = train;
        TestSet = test;
        Settings = settings;
        RuleState = rule.InitialState(graph, initial);
        OptimiserState = optimiser.InitialState(initial);
        order = new int[train.Count];
    }

    /// <summary>The rule.</summary>
    public LearningRule Rule { get; }

    /// <summary>The optimiser.</summary>
    public Optimiser Optimiser { get; }

    /// <summary>The graph.</summary>
    public ComputationGraph Graph { get; }

    /// <summary>The current parameters.</summary>
    public ParameterSet Parameters { get; private set; }

    /// <summary>The rule's current state.</summary>
    public RuleState RuleState { get; private set; }

    /// <summary>The optimiser's current state.</summary>
    public OptimiserState OptimiserState { get; private set; }

    /// <summary>The training set.</summary>
    public Dataset TrainSet { get; }

    /// <summary>The test set.</summary>
    public Dataset TestSet { get; }

    /// <summary>The settings (<see cref="TrainerSettings.Threads"/> is not used: the reference engine runs on one thread).</summary>
    public TrainerSettings Settings { get; }

    /// <summary>The training steps of an epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>As <see cref="Trainer{TGraph, T}.Run"/>: trains from <paramref name="start"/> until the epochs are done, <paramref name="maxSteps"/> steps were taken, or <paramref name="stop"/> is cancelled.</summary>
    /// <exception cref="TrainingStepException">A step's loss or update is not finite; the parameters are as before it.</exception>
    public TrainingResult Run(TrainingPosition start = default, int maxSteps = int.MaxValue, Action<StepReport>? onStep = null, Action<EpochMetrics>? onEpoch = null, CancellationToken stop = default)
    {
        if (maxSteps < 0) throw new ArgumentException("maxSteps must be at least 0; got " + maxSteps + ".", nameof(maxSteps));
        return EpochRunner.Run(Settings, TrainSet.Count, StepsPerEpoch, order, start, maxSteps, onStep, onEpoch, stop, TrainStep, () => (Evaluate(TrainSet), Evaluate(TestSet)));
    }

    /// <summary>The loss per sample and the accuracy (argmax, the first on a tie) of the current parameters on <paramref name="data"/>, in batches of <see cref="TrainerSettings.EvaluationBatchSize"/>.</summary>
    public EvaluationResult Evaluate(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFits(Graph, data, nameof(data));
        if (data.Count == 0) return new EvaluationResult(double.NaN, double.NaN, 0, 0);
        double lossSum = 0;
        int correct = 0;
        for (int first = 0; first < data.Count; first += Settings.EvaluationBatchSize)
        {
            int n = Math.Min(Settings.EvaluationBatchSize, data.Count - first);
            var samples = new int[n];
            for (int k = 0; k < n; k++) samples[k] = first + k;
            var record = Forward.Run(Graph, Parameters, ToBatch(data, samples));
            lossSum += record.LossValue;
            for (int s = 0; s < n; s++)
            {
                var column = record.Output.Column(s);
                int best = -1;
                for (int i = 0; i < column.Count; i++)
                {
                    if (!double.IsNaN(column[i]) && (best < 0 || column[i] > column[best])) best = i;
                }
                if (best == data.Label(samples[s])) correct++;
            }
        }
        return new EvaluationResult(lossSum / data.Count, (double)correct / data.Count, correct, data.Count);
    }

    private double TrainStep(TrainingPosition position, ReadOnlySpan<int> samples)
    {
        var batch = ToBatch(TrainSet, samples.ToArray());
        try
        {
            var update = Rule.Compute(Graph, Parameters, batch, RuleState);
            if (!double.IsFinite(update.Forward.LossValue)) throw new ArithmeticException("The loss of this training step is " + update.Forward.LossValue + "; the parameters were left unchanged.");
            foreach (var name in update.Updates.Names)
            {
                foreach (var v in update.Updates[name].Enumerate())
                {
                    if (!double.IsFinite(v)) throw new ArithmeticException("The update of parameter '" + name + "' holds a NaN or an infinity; the parameters were left unchanged.");
                }
            }
            var (parameters, state) = Optimiser.Step(Parameters, update.Updates, OptimiserState);
            Parameters = parameters;
            OptimiserState = state;
            RuleState = update.State;
            return update.Forward.LossValue;
        }
        catch (Exception e) when (e is ArgumentException or ArithmeticException)
        {
            throw new TrainingStepException(position, samples.Length, e);
        }
    }

    private Batch ToBatch(Dataset data, int[] samples)
    {
        int pixels = data.PixelsPerImage, classes = data.ClassCount;
        var x = new double[samples.Length * pixels];
        var y = new double[samples.Length * classes];
        data.GatherImages<double>(samples, x);
        data.OneHot<double>(samples, y);
        var input = Matrix<double>.Build.Dense(pixels, samples.Length, (i, s) => x[s * pixels + i]);
        var targets = Matrix<double>.Build.Dense(classes, samples.Length, (c, s) => y[s * classes + c]);
        return Batch.Single(Graph.Nodes[Graph.InputIds[0]].Name, input, targets);
    }

    private static void CheckFits(ComputationGraph graph, Dataset data, string parameter)
    {
        if (graph.InputIds.Count != 1) throw new ArgumentException("Graph '" + graph.Name + "' has " + graph.InputIds.Count + " inputs; a trainer on images needs exactly one.", parameter);
        var input = graph.Nodes[graph.InputIds[0]];
        if (input.Size != data.PixelsPerImage) throw new ArgumentException("Input '" + input.Name + "' of graph '" + graph.Name + "' takes " + input.Size + " values but the images of '" + data.Name + "' have " + data.PixelsPerImage + " pixels.", parameter);
        if (graph.Output.Size != data.ClassCount) throw new ArgumentException("The output of graph '" + graph.Name + "' has " + graph.Output.Size + " values but '" + data.Name + "' has " + data.ClassCount + " classes.", parameter);
    }
}
