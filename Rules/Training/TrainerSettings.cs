using System;

namespace Symbolic.Rules.Training;

/// <summary>
/// How a <see cref="Trainer{TGraph, T}"/> runs: the number of epochs, the training batch size, the seed of the batch
/// order, the threads a step uses, whether the incomplete last batch of an epoch is dropped, and the batch size of the
/// evaluation passes. Every setting is validated whenever it is set (constructor or <c>with</c>); an invalid one is an
/// <see cref="ArgumentException"/> whose parameter name and message name the setting.
/// </summary>
/// <param name="Epochs">The epochs to train; at least 1.</param>
/// <param name="BatchSize">The samples of a training step; at least 1.</param>
/// <param name="Seed">The seed of <see cref="Data.BatchOrder"/>; any value.</param>
/// <param name="Threads">The threads that share a training step (the caller included); 1 to 1024.</param>
/// <param name="DropLast">
/// True: an epoch takes only full batches (the AR authors' setting, torch's <c>drop_last=True</c>). False (the default):
/// the samples left over make a shorter final batch, so every sample is visited once per epoch.
/// </param>
/// <param name="EvaluationBatchSize">The samples of one forward pass of the evaluation; at least 1.</param>
public sealed record TrainerSettings(int Epochs, int BatchSize, long Seed = 1, int Threads = 1, bool DropLast = false, int EvaluationBatchSize = 500)
{
    /// <summary>The most threads a setting accepts.</summary>
    public const int MaxThreads = 1024;

    /// <summary>The epochs to train; at least 1.</summary>
    public int Epochs { get; init => field = AtLeastOne(value, nameof(Epochs)); } = AtLeastOne(Epochs, nameof(Epochs));

    /// <summary>The samples of a training step; at least 1.</summary>
    public int BatchSize { get; init => field = AtLeastOne(value, nameof(BatchSize)); } = AtLeastOne(BatchSize, nameof(BatchSize));

    /// <summary>The threads that share a training step (the caller included); 1 to <see cref="MaxThreads"/>.</summary>
    public int Threads { get; init => field = RequireThreads(value); } = RequireThreads(Threads);

    /// <summary>The samples of one forward pass of the evaluation; at least 1.</summary>
    public int EvaluationBatchSize { get; init => field = AtLeastOne(value, nameof(EvaluationBatchSize)); } = AtLeastOne(EvaluationBatchSize, nameof(EvaluationBatchSize));

    /// <summary>
    /// The training steps of an epoch over <paramref name="samples"/> samples: samples / BatchSize with
    /// <see cref="DropLast"/>, else that rounded up.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is negative.</exception>
    public int StepsPerEpoch(int samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        return DropLast ? samples / BatchSize : (int)(((long)samples + BatchSize - 1) / BatchSize);
    }

    /// <summary>The size of step <paramref name="step"/> of an epoch over <paramref name="samples"/> samples (the last may be shorter unless <see cref="DropLast"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is not a step of such an epoch.</exception>
    public int BatchSizeOfStep(int samples, int step)
    {
        int steps = StepsPerEpoch(samples);
        if ((uint)step >= (uint)steps) throw new ArgumentOutOfRangeException(nameof(step), step, "An epoch over " + samples + " samples has " + steps + " steps (0 to " + (steps - 1) + ").");
        return Math.Min(BatchSize, samples - step * BatchSize);
    }

    private static int AtLeastOne(int value, string setting) =>
        value >= 1 ? value : throw new ArgumentException("TrainerSettings." + setting + " must be at least 1; got " + value + ".", setting);

    private static int RequireThreads(int value) =>
        value is >= 1 and <= MaxThreads ? value : throw new ArgumentException("TrainerSettings.Threads must be between 1 and " + MaxThreads + "; got " + value + ".", nameof(Threads));
}
