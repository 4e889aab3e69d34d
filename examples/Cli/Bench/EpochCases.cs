using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Symbolic.Cli.Data;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Data;
using Symbolic.Rules.Training;

namespace Symbolic.Cli.Bench;

/// <summary>One end-to-end epoch: data loading (read and SHA-256 check), the training steps and the evaluation of both sets.</summary>
/// <param name="Rule">bp or ar (100 top-down steps, eta 0.1: the authors' settings).</param>
/// <param name="Threads">The threads of a training step.</param>
/// <param name="LoadSeconds">Reading and verifying the four IDX files.</param>
/// <param name="TrainSeconds">The epoch's 938 training steps (batch 64), gathering the batches included.</param>
/// <param name="EvaluationSeconds">Forward passes over the 60,000 training and 10,000 test images.</param>
/// <param name="TestAccuracy">The test accuracy after the epoch (a check that it trained).</param>
public sealed record EpochResult(string Rule, int Threads, double LoadSeconds, double TrainSeconds, double EvaluationSeconds, double TestAccuracy)
{
    /// <summary>Everything: loading, training, evaluation.</summary>
    public double TotalSeconds => LoadSeconds + TrainSeconds + EvaluationSeconds;

    /// <summary>Training samples per second of the steps alone (comparable with the step-only cases' samples/s).</summary>
    public double TrainSamplesPerSecond => 60_000 / TrainSeconds;
}

/// <summary>
/// The bench's end-to-end cases: one epoch of MNIST with the AR paper's MLP and settings (batch 64, SGD 5e-4), with BP
/// and with AR, on 1 and 2 threads, through the same <see cref="Trainer{TGraph, T}"/> as <c>symbolic train</c>. MNIST
/// comes from the data cache (fetched on first use).
/// </summary>
public static class EpochCases
{
    /// <summary>Runs the epochs and prints a table; returns the results.</summary>
    public static IReadOnlyList<EpochResult> Run(TextWriter output, IReadOnlyList<CaseResult> stepCases)
    {
        var store = new DataStore(DataStore.DefaultCacheRoot(), output);
        store.Load(KnownDatasets.Mnist);   // fetch outside the timing when the cache is empty
        var results = new List<EpochResult>();
        output.WriteLine();
        output.WriteLine("end-to-end epoch, MNIST, paper MLP, batch 64, SGD 5e-4 (data loading and evaluation included)");
        output.WriteLine($"{"rule",-12} {"threads",7} {"load s",7} {"train s",8} {"eval s",7} {"total s",8} {"train samples/s",16} {"step-only samples/s",20} {"test acc",9}");
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (var (name, rule) in new (string, LearningRule)[] { ("bp", new BackpropRule()), ("ar-topdown", new ActivationRelaxationRule(new RelaxationOptions(0.1, 100, 0, RelaxationSchedule.TopDown))) })
            {
                var clock = Stopwatch.StartNew();
                var loaded = store.Load(KnownDatasets.Mnist);
                double load = clock.Elapsed.TotalSeconds;
                var p = PaperMlp.Float32.Parameters.Initialise(1);
                using var trainer = new Trainer<PaperMlp.Float32, float>(rule, new Sgd(5e-4), p, loaded.Train, loaded.Test, new TrainerSettings(1, 64, 1, threads));
                var metrics = trainer.Run().Epochs[0];
                var r = new EpochResult(name, threads, load, metrics.Seconds, metrics.EvaluationSeconds, metrics.TestAccuracy);
                results.Add(r);
                var step = stepCases.FirstOrDefault(c => c.Case.Path == "generated" && c.Case.Rule == name && c.Case.Batch == 64 && c.Case.Threads == threads);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-12} {threads,7} {r.LoadSeconds,7:F2} {r.TrainSeconds,8:F2} {r.EvaluationSeconds,7:F2} {r.TotalSeconds,8:F2} {r.TrainSamplesPerSecond,16:N0} {(step is null ? "-" : step.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture)),20} {r.TestAccuracy * 100,8:F2}%"));
            }
        }
        return results;
    }
}
