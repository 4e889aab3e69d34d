using System;

namespace Symbolic.Rules.Training;

/// <summary>
/// Where a training run stands: the epoch and the next step in it, with the running loss of the steps already taken in
/// that epoch (so that a run stopped after k steps and resumed from its <see cref="TrainingResult.Next"/> reports the
/// same epoch metrics as an uninterrupted one). The batch order needs no other state: it is a function of (seed, epoch).
/// </summary>
/// <param name="Epoch">The epoch, from 0.</param>
/// <param name="Step">The next step in the epoch, from 0 (equal to the epoch's step count: only its evaluation is left).</param>
/// <param name="EpochLossSum">The training loss summed over the samples of the epoch's steps before <paramref name="Step"/>.</param>
/// <param name="EpochSamples">The samples of those steps.</param>
public readonly record struct TrainingPosition(int Epoch, int Step, double EpochLossSum = 0, long EpochSamples = 0)
{
    /// <summary>The start of a run: epoch 0, step 0.</summary>
    public static TrainingPosition Start => default;
}

/// <summary>One training step, as the step callback sees it (after the parameters were updated).</summary>
/// <param name="Epoch">The epoch, from 0.</param>
/// <param name="Step">The step in the epoch, from 0.</param>
/// <param name="StepsInEpoch">The steps of the epoch.</param>
/// <param name="BatchSize">The samples of this step.</param>
/// <param name="Loss">The loss of the step's batch before the update, summed over its samples.</param>
/// <param name="EpochLoss">The running training loss of the epoch so far, per sample (the steps up to this one).</param>
public readonly record struct StepReport(int Epoch, int Step, int StepsInEpoch, int BatchSize, double Loss, double EpochLoss)
{
    /// <summary>The step's loss per sample.</summary>
    public double MeanLoss => Loss / BatchSize;
}

/// <summary>A forward-only evaluation of the parameters over a data set.</summary>
/// <param name="Loss">The loss summed over the samples, divided by <paramref name="Count"/>.</param>
/// <param name="Accuracy">The fraction of samples whose output's argmax (the first on a tie) is the label.</param>
/// <param name="Correct">The samples classified correctly.</param>
/// <param name="Count">The samples evaluated.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, int Correct, int Count);

/// <summary>The metrics of one trained epoch, evaluated after its last step.</summary>
/// <param name="Epoch">The epoch, from 0.</param>
/// <param name="TrainLoss">The running training loss during the epoch per sample: each step's loss before its update, summed, over the samples trained.</param>
/// <param name="Train">The evaluation over the training set after the epoch.</param>
/// <param name="Test">The evaluation over the test set after the epoch.</param>
/// <param name="Steps">The steps of the epoch.</param>
/// <param name="Seconds">The wall-clock seconds of the epoch's training steps run in this call (a resumed epoch counts only the part after the resume).</param>
/// <param name="EvaluationSeconds">The wall-clock seconds of the two evaluation passes.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, EvaluationResult Train, EvaluationResult Test, int Steps, double Seconds, double EvaluationSeconds)
{
    /// <summary>The training set's evaluation loss per sample.</summary>
    public double TrainEvaluationLoss => Train.Loss;

    /// <summary>The training set's accuracy.</summary>
    public double TrainAccuracy => Train.Accuracy;

    /// <summary>The test set's loss per sample.</summary>
    public double TestLoss => Test.Loss;

    /// <summary>The test set's accuracy.</summary>
    public double TestAccuracy => Test.Accuracy;

    /// <summary>These metrics with both times zero (for comparing runs, whose times differ).</summary>
    public EpochMetrics WithoutTimes() => this with { Seconds = 0, EvaluationSeconds = 0 };
}

/// <summary>What a call of <see cref="Trainer{TGraph, T}.Run"/> did.</summary>
/// <param name="Epochs">The metrics of every epoch completed in the call, in order.</param>
/// <param name="Next">Where to resume: the first step not taken (with the running loss of its epoch).</param>
/// <param name="Steps">The training steps taken in the call.</param>
/// <param name="Completed">True when every epoch of the settings is done.</param>
public sealed record TrainingResult(System.Collections.Generic.IReadOnlyList<EpochMetrics> Epochs, TrainingPosition Next, int Steps, bool Completed);

/// <summary>
/// A training step failed: its inner exception is the step's own (a non-finite input, target, forward value, loss or
/// update, naming it). The step changed no parameter; <see cref="Position"/> is where the run stood, so it can be
/// resumed from there once the cause is fixed.
/// </summary>
public sealed class TrainingStepException : Exception
{
    /// <summary>Wraps <paramref name="inner"/>, the exception of the step at <paramref name="position"/>.</summary>
    public TrainingStepException(TrainingPosition position, int batchSize, Exception inner)
        : base("Training step " + position.Step + " of epoch " + position.Epoch + " (" + batchSize + " samples) failed: " + inner?.Message, inner)
    {
        Position = position;
        BatchSize = batchSize;
    }

    /// <summary>The step that failed (its epoch's running loss excludes it).</summary>
    public TrainingPosition Position { get; }

    /// <summary>The samples of the failed step.</summary>
    public int BatchSize { get; }
}
