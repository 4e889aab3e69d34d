using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Symbolic.Rules.Data;

namespace Symbolic.Rules.Training;

/// <summary>
/// The epoch loop both trainers share: the batch order of each epoch from (seed, epoch), the steps from a position
/// with the running loss, the stop and step budget, and the evaluation after the epoch's last step.
/// </summary>
internal static class EpochRunner
{
    /// <summary>One training step on <paramref name="samples"/> (indices into the training set); returns the batch's summed loss.</summary>
    public delegate double Step(TrainingPosition position, ReadOnlySpan<int> samples);

    /// <summary>Runs from <paramref name="start"/> as <see cref="Trainer{TGraph, T}.Run"/> documents.</summary>
    public static TrainingResult Run(TrainerSettings settings, int trainCount, int stepsPerEpoch, int[] order, TrainingPosition start, int maxSteps,
        Action<StepReport>? onStep, Action<EpochMetrics>? onEpoch, CancellationToken stop, Step step, Func<(EvaluationResult Train, EvaluationResult Test)> evaluate)
    {
        var epochs = new List<EpochMetrics>();
        var position = start;
        int taken = 0;
        while (position.Epoch < settings.Epochs)
        {
            int epoch = position.Epoch;
            BatchOrder.Fill(settings.Seed, epoch, order);
            long begin = Stopwatch.GetTimestamp();
            double lossSum = position.EpochLossSum;
            long samples = position.EpochSamples;
            for (int s = position.Step; s < stepsPerEpoch; s++)
            {
                if (taken == maxSteps || stop.IsCancellationRequested)
                {
                    return new TrainingResult(epochs, new TrainingPosition(epoch, s, lossSum, samples), taken, false);
                }
                int size = settings.BatchSizeOfStep(trainCount, s);
                double loss = step(new TrainingPosition(epoch, s, lossSum, samples), order.AsSpan(s * settings.BatchSize, size));
                lossSum += loss;
                samples += size;
                taken++;
                onStep?.Invoke(new StepReport(epoch, s, stepsPerEpoch, size, loss, lossSum / samples));
            }
            double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            long evaluationBegin = Stopwatch.GetTimestamp();
            var (train, test) = evaluate();
            var metrics = new EpochMetrics(epoch, samples == 0 ? double.NaN : lossSum / samples, train, test, stepsPerEpoch, seconds, Stopwatch.GetElapsedTime(evaluationBegin).TotalSeconds);
            epochs.Add(metrics);
            onEpoch?.Invoke(metrics);
            position = new TrainingPosition(epoch + 1, 0);
        }
        return new TrainingResult(epochs, position, taken, true);
    }
}
