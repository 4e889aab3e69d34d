using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Threading;
using Symbolic.Rules;
using Symbolic.Rules.Checkpoints;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Data;
using Symbolic.Rules.Training;

namespace Symbolic.Cli.Train;

/// <summary>What a training session did.</summary>
/// <param name="Completed">Every sub-run finished all its epochs.</param>
/// <param name="Failed">A sub-run stopped on a failed step (a NaN, a divergence).</param>
/// <param name="Steps">The training steps taken in this session.</param>
/// <param name="PlotProblem">Why the final report has no plots (no font installed), or null.</param>
public sealed record SessionResult(bool Completed, bool Failed, long Steps, string? PlotProblem);

/// <summary>
/// The imperative loop of <c>symbolic train</c> on one compiled graph: for every seed and rule, a <see cref="Trainer{TGraph, T}"/>
/// from the seed's initial parameters (or from the sub-run's checkpoint), a step record every
/// <see cref="TrainConfig.LogEvery"/> steps (with an <see cref="UpdateProbe{TGraph, T}"/> for rules other than backprop),
/// an epoch record, a checkpoint and a fresh report after every epoch, and a checkpoint where the session stops early.
/// </summary>
public sealed class TrainSession(TrainConfig config, RunFolder folder, Dataset train, Dataset test, ITrainingProgress progress,
    List<MetricRecord> records, long maxSteps, CancellationToken stop) : ICompiledGraphJob
{
    /// <summary>The outcome, once <see cref="Run{TGraph, T}"/> returned.</summary>
    public SessionResult? Result { get; private set; }

    /// <inheritdoc/>
    public int Run<TGraph, T>()
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var layout = TGraph.Layout;
        var names = layout.ParameterIds.Select(id => layout.Graph.Nodes[id].Name).ToArray();
        // The weights and kernels: the angle plot and the summary's mean angles leave the biases out.
        var matrices = layout.ParameterIds.Select(id => layout.Graph.Nodes[id]).Where(n => n.Op != Symbolic.Graph.OpKind.Bias).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        long taken = 0;
        bool completed = true, failed = false;
        foreach (int seed in config.Seeds)
        {
            foreach (string ruleName in config.Rules)
            {
                // The rule's own settings (an item like tp:lr=1e-5) build its rule and optimiser; the batches and the
                // initial parameters are the run's, shared by every rule of the seed.
                var ruleConfig = config.ForRule(ruleName);
                var rule = TrainRules.Create(RuleSpec.Parse(ruleName).Name, ruleConfig, seed);
                var optimiser = ruleConfig.CreateOptimiser();
                var settings = config.TrainerSettings(seed);
                var parameters = new ParameterArrays<T>(layout);
                parameters.CopyFrom(ParameterSet.Initialise(layout.Graph, seed, config.CreateInitialiser()));
                using var state = rule.CreateState<TGraph, T>(settings.BatchSize, settings.Threads);
                var start = Restore(folder.CheckpointPath(ruleName, seed), layout, parameters, state, optimiser);
                using var trainer = new Trainer<TGraph, T>(rule, optimiser, parameters, train, test, settings, state);
                int stepsPerEpoch = trainer.StepsPerEpoch;
                long total = (long)stepsPerEpoch * settings.Epochs;
                long done = (long)start.Epoch * stepsPerEpoch + start.Step;
                string label = string.Create(CultureInfo.InvariantCulture, $"{ruleName} seed {seed}");
                if (start.Epoch == settings.Epochs) continue;
                if (taken >= maxSteps || stop.IsCancellationRequested)
                {
                    completed = false;
                    continue;
                }

                using var probe = rule is BackpropRule ? null : new UpdateProbe<TGraph, T>(rule, settings.BatchSize);
                ProbeResult? pending = null;
                double lastTest = double.NaN;
                progress.Begin(label, total, done);
                void BeforeStep(TrainingPosition at, CompiledBatch<T> batch)
                {
                    long global = (long)at.Epoch * stepsPerEpoch + at.Step + 1;
                    pending = probe is not null && global % config.LogEvery == 0 ? probe.Measure(parameters, batch, state) : null;
                }
                void OnStep(StepReport report)
                {
                    long global = (long)report.Epoch * stepsPerEpoch + report.Step + 1;
                    if (global % config.LogEvery == 0)
                    {
                        Append(new MetricRecord
                        {
                            Type = "step", Rule = ruleName, Seed = seed, Epoch = report.Epoch + 1, Step = global, Loss = report.MeanLoss,
                            Angles = pending is null ? null : new SortedDictionary<string, double>(names.Select((n, k) => (n, pending.Angles[k])).ToDictionary(p => p.n, p => p.Item2), StringComparer.Ordinal),
                            Residual = pending?.Residual,
                            Iterations = pending?.Iterations,
                        });
                        pending = null;
                    }
                    progress.Advance(global, string.Create(CultureInfo.InvariantCulture, $"epoch {report.Epoch + 1}/{settings.Epochs}  loss {report.EpochLoss:F4}")
                        + (double.IsNaN(lastTest) ? "" : string.Create(CultureInfo.InvariantCulture, $"  test {lastTest * 100:F2}%")));
                }
                void OnEpoch(EpochMetrics m)
                {
                    lastTest = m.TestAccuracy;
                    long global = (long)(m.Epoch + 1) * stepsPerEpoch;
                    Append(new MetricRecord
                    {
                        Type = "epoch", Rule = ruleName, Seed = seed, Epoch = m.Epoch + 1, Step = global, Loss = m.TrainLoss,
                        TrainLoss = m.Train.Loss, TrainAccuracy = m.TrainAccuracy, TestLoss = m.TestLoss, TestAccuracy = m.TestAccuracy,
                        Seconds = m.Seconds, EvaluationSeconds = m.EvaluationSeconds,
                    });
                    Save(folder.CheckpointPath(ruleName, seed), parameters, state, new TrainingPosition(m.Epoch + 1, 0), global, ruleName, seed);
                    progress.Line(string.Create(CultureInfo.InvariantCulture,
                        $"{label} epoch {m.Epoch + 1}/{settings.Epochs}: loss {m.TrainLoss:F4}, train {m.TrainAccuracy * 100:F2}%, test {m.TestAccuracy * 100:F2}% ({m.Seconds:F1} s + {m.EvaluationSeconds:F1} s evaluation)"));
                    RunReport.Write(folder, config, records, names, matrices);
                }

                TrainingResult result;
                try
                {
                    long budget = maxSteps - taken;
                    result = trainer.Run(start, (int)Math.Min(int.MaxValue, budget), OnStep, OnEpoch, stop, BeforeStep);
                }
                catch (TrainingStepException e)
                {
                    progress.End();
                    failed = true;
                    completed = false;
                    long at = (long)e.Position.Epoch * stepsPerEpoch + e.Position.Step + 1;
                    Append(new MetricRecord { Type = "failed", Rule = ruleName, Seed = seed, Epoch = e.Position.Epoch + 1, Step = at, Message = e.Message });
                    progress.Line($"{label} stopped: {e.Message} Its last good checkpoint (the end of its last complete epoch, if any) is kept in '{folder.CheckpointFolder}'.");
                    RunReport.Write(folder, config, records, names, matrices);
                    continue;
                }
                taken += result.Steps;
                progress.End();
                if (!result.Completed)
                {
                    completed = false;
                    var next = result.Next;
                    long global = (long)next.Epoch * stepsPerEpoch + next.Step;
                    Save(folder.CheckpointPath(ruleName, seed), parameters, state, next, global, ruleName, seed);
                    Append(new MetricRecord { Type = "stopped", Rule = ruleName, Seed = seed, Epoch = next.Epoch + 1, Step = global, Message = "stopped at step " + global + " of " + total });
                    progress.Line(string.Create(CultureInfo.InvariantCulture, $"{label} stopped at step {global} of {total}; checkpoint saved"));
                }
            }
        }
        string? plotProblem = RunReport.Write(folder, config, records, names, matrices);
        Result = new SessionResult(completed, failed, taken, plotProblem);
        return failed ? Program.Failure : Program.Success;
    }

    private const string PositionEpoch = "position.epoch";
    private const string PositionStep = "position.step";
    private const string PositionLossSum = "position.lossSum";
    private const string PositionSamples = "position.samples";

    /// <summary>
    /// Loads the sub-run's checkpoint, if it has one, into the parameters and the state (the optimiser's moments) and
    /// returns where it stood; without one, the start.
    /// </summary>
    private static TrainingPosition Restore<TGraph, T>(string path, GraphLayout layout, ParameterArrays<T> parameters, CompiledRuleState<TGraph, T> state, Optimiser optimiser)
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!File.Exists(path)) return TrainingPosition.Start;
        var checkpoint = Checkpoint.Load(path, layout);
        if (checkpoint.DType != Checkpoint.DTypeOf<T>())
        {
            throw new Symbolic.Cli.CommandLine.UsageException($"checkpoint '{path}' holds {checkpoint.DType} values but the run trains in {Checkpoint.DTypeOf<T>()}");
        }
        checkpoint.Restore(parameters);
        if (checkpoint.MomentCount > 0) state.RestoreOptimiserBuffers(optimiser, checkpoint.CreateBuffers<T>(optimiser, layout));
        state.RestoreRuleTensors(checkpoint.RuleStateValues<T>);
        var c = checkpoint.Configuration;
        try
        {
            return new TrainingPosition(
                int.Parse(c[PositionEpoch], CultureInfo.InvariantCulture),
                int.Parse(c[PositionStep], CultureInfo.InvariantCulture),
                double.Parse(c[PositionLossSum], CultureInfo.InvariantCulture),
                long.Parse(c[PositionSamples], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException)
        {
            throw new Symbolic.Cli.CommandLine.UsageException($"checkpoint '{path}' does not say where its run stood ({PositionEpoch}, {PositionStep}, {PositionLossSum}, {PositionSamples} in its metadata): {e.Message}");
        }
    }

    private void Append(MetricRecord record)
    {
        records.Add(record);
        folder.Append(record);
    }

    private void Save<TGraph, T>(string path, ParameterArrays<T> parameters, CompiledRuleState<TGraph, T> state, TrainingPosition position, long global, string rule, int seed)
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var metadata = new Dictionary<string, string>
        {
            ["rule"] = rule,
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["run"] = config.ToJson(),
            [PositionEpoch] = position.Epoch.ToString(CultureInfo.InvariantCulture),
            [PositionStep] = position.Step.ToString(CultureInfo.InvariantCulture),
            [PositionLossSum] = position.EpochLossSum.ToString("R", CultureInfo.InvariantCulture),
            [PositionSamples] = position.EpochSamples.ToString(CultureInfo.InvariantCulture),
        };
        Checkpoint.Capture(parameters, state.OptimiserBuffers, global, position.Epoch, metadata, state.RuleTensors()).Save(path);
    }
}
