using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Symbolic.Cli.CommandLine;
using Symbolic.Cli.Plots;

namespace Symbolic.Cli.Train;

/// <summary>
/// The files of a run folder drawn from its records: <c>metrics.csv</c>, the plots (<c>accuracy.png</c>,
/// <c>loss.png</c>, <c>angles.png</c>, <c>residual.png</c>) and <c>summary.md</c>. Rewritten whole (atomically) after
/// every epoch, so they always match <c>metrics.jsonl</c>.
/// </summary>
public static class RunReport
{
    /// <summary>The plot of test and training accuracy per epoch.</summary>
    public const string AccuracyPlot = "accuracy.png";

    /// <summary>The plot of the training loss per epoch.</summary>
    public const string LossPlot = "loss.png";

    /// <summary>The plot of the angle to backprop per weight, by step.</summary>
    public const string AnglePlot = "angles.png";

    /// <summary>The plot of the relaxation residual by step.</summary>
    public const string ResidualPlot = "residual.png";

    /// <summary>
    /// Writes every report file of <paramref name="folder"/>; plots that cannot be drawn (no font installed) are left out.
    /// The CSV has an angle column per parameter; the angle plot and the summary's mean angles show the weights and
    /// kernels (<paramref name="matrixNames"/>), not the biases.
    /// </summary>
    /// <returns>Why no plots were drawn, or null when they were.</returns>
    public static string? Write(RunFolder folder, TrainConfig config, IReadOnlyList<MetricRecord> records, IReadOnlyList<string> parameterNames, IReadOnlyCollection<string> matrixNames)
    {
        OutputFile.WriteAllText(folder.Combine("metrics.csv"), Csv(records, parameterNames));
        string? problem = null;
        IReadOnlyList<string> plots;
        try
        {
            plots = WritePlots(folder, config, records, parameterNames.Where(matrixNames.Contains).ToArray());
        }
        catch (InvalidOperationException e)
        {
            // No font (or no raster surface): the metrics and the summary matter more than the pictures.
            plots = Array.Empty<string>();
            problem = e.Message;
        }
        OutputFile.WriteAllText(folder.Combine("summary.md"), Summary(folder, config, records, parameterNames.Where(matrixNames.Contains).ToArray(), plots));
        return problem;
    }

    /// <summary>Every record as a CSV row (one column per field, one angle column per parameter; empty where a field does not apply).</summary>
    public static string Csv(IReadOnlyList<MetricRecord> records, IReadOnlyList<string> parameterNames)
    {
        var text = new StringBuilder();
        text.Append("type,rule,seed,epoch,step,loss,train_loss,train_accuracy,test_loss,test_accuracy,seconds,evaluation_seconds,residual,iterations");
        foreach (var name in parameterNames) text.Append(",angle_").Append(name);
        text.Append('\n');
        foreach (var r in records)
        {
            text.Append(r.Type).Append(',').Append(r.Rule).Append(',').Append(Number(r.Seed)).Append(',').Append(Number(r.Epoch)).Append(',').Append(Number(r.Step));
            foreach (var value in new[] { r.Loss, r.TrainLoss, r.TrainAccuracy, r.TestLoss, r.TestAccuracy, r.Seconds, r.EvaluationSeconds, r.Residual, (double?)r.Iterations })
            {
                text.Append(',').Append(value is double v ? Number(v) : "");
            }
            foreach (var name in parameterNames)
            {
                text.Append(',').Append(r.Angles is not null && r.Angles.TryGetValue(name, out double a) ? Number(a) : "");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The epoch records of <paramref name="rule"/>, as (epoch, mean, min, max) over the seeds that reached the epoch.</summary>
    public static IReadOnlyList<(int Epoch, double Mean, double Min, double Max, int Seeds)> PerEpoch(IReadOnlyList<MetricRecord> records, string rule, Func<MetricRecord, double?> value) =>
        records.Where(r => r.Type == "epoch" && r.Rule == rule)
            .GroupBy(r => r.Epoch)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var xs = g.Select(value).OfType<double>().ToArray();
                return xs.Length == 0 ? (g.Key, double.NaN, double.NaN, double.NaN, 0) : (g.Key, xs.Average(), xs.Min(), xs.Max(), xs.Length);
            })
            .ToArray();

    private static IReadOnlyList<string> WritePlots(RunFolder folder, TrainConfig config, IReadOnlyList<MetricRecord> records, IReadOnlyList<string> parameterNames)
    {
        var written = new List<string>();
        if (!records.Any(r => r.Type == "epoch")) return written;
        string seeds = config.Seeds.Count == 1 ? "seed " + config.Seeds[0] : $"mean and range over {config.Seeds.Count} seeds";
        string title = $"{config.Model} on {config.Dataset}";
        PlotSeries EpochSeries(string rule, Func<MetricRecord, double?> value, double scale)
        {
            var points = PerEpoch(records, rule, value);
            bool band = config.Seeds.Count > 1;
            return new PlotSeries(rule, points.Select(p => (double)p.Epoch).ToArray(), points.Select(p => p.Mean * scale).ToArray(),
                band ? points.Select(p => p.Min * scale).ToArray() : null, band ? points.Select(p => p.Max * scale).ToArray() : null);
        }
        LinePlot.SaveStacked(new[]
        {
            new PlotSpec($"Test accuracy, {title} ({seeds})", "epoch", "test accuracy (%)", config.Rules.Select(r => EpochSeries(r, m => m.TestAccuracy, 100)).ToArray(), LegendLowerRight: true),
            new PlotSpec($"Training accuracy, {title} ({seeds})", "epoch", "training accuracy (%)", config.Rules.Select(r => EpochSeries(r, m => m.TrainAccuracy, 100)).ToArray(), LegendLowerRight: true),
        }, folder.Combine(AccuracyPlot));
        written.Add(AccuracyPlot);
        LinePlot.Save(new PlotSpec($"Training loss per sample, {title} ({seeds})", "epoch", "loss (log scale)",
            config.Rules.Select(r => EpochSeries(r, m => m.Loss, 1)).ToArray(), LogY: true), folder.Combine(LossPlot));
        written.Add(LossPlot);

        var probed = config.Rules.Where(rule => records.Any(r => r.Type == "step" && r.Rule == rule && r.Angles is not null)).ToArray();
        if (probed.Length > 0)
        {
            PlotSeries StepSeries(string rule, Func<MetricRecord, double?> value)
            {
                var points = records.Where(r => r.Type == "step" && r.Rule == rule)
                    .GroupBy(r => r.Step).OrderBy(g => g.Key)
                    .Select(g => (Step: (double)g.Key, Mean: g.Select(value).OfType<double>().DefaultIfEmpty(double.NaN).Average()))
                    .ToArray();
                return new PlotSeries(rule, points.Select(p => p.Step).ToArray(), points.Select(p => p.Mean).ToArray());
            }
            var panels = parameterNames.Select(name => new PlotSpec($"Angle between the update of {name} and backprop's gradient ({seeds}, mean)", "training step", "angle (degrees)",
                probed.Select(rule => StepSeries(rule, r => r.Angles is not null && r.Angles.TryGetValue(name, out double a) ? a : null)).ToArray())).ToArray();
            if (panels.Length > 0)
            {
                LinePlot.SaveStacked(panels, folder.Combine(AnglePlot));
                written.Add(AnglePlot);
            }
            var relaxing = probed.Where(rule => records.Any(r => r.Type == "step" && r.Rule == rule && r.Iterations > 0)).ToArray();
            if (relaxing.Length > 0)
            {
                LinePlot.Save(new PlotSpec($"Relaxation residual: norm of the last relaxation step's update ({seeds}, mean)", "training step", "residual (log scale)",
                    relaxing.Select(rule => StepSeries(rule, r => r.Residual)).ToArray(), LogY: true), folder.Combine(ResidualPlot));
                written.Add(ResidualPlot);
            }
        }
        return written;
    }

    /// <summary>The run's <c>summary.md</c>: settings, the command, a table per rule, test accuracy per epoch, mean angles of <paramref name="angled"/>, the plots.</summary>
    public static string Summary(RunFolder folder, TrainConfig config, IReadOnlyList<MetricRecord> records, IReadOnlyList<string> angled, IReadOnlyList<string> plots)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append("# Run ").Append(Path.GetFileName(folder.Path)).Append("\n\n");
        md.Append("Command: `").Append(config.Command).Append("`\n\n");
        md.Append(string.Create(inv, $"Model {config.Model}, {config.Dataset}, {config.Epochs} epochs of batch {config.BatchSize}, {config.Optimiser} lr {config.LearningRate} ")
            + (config.GradientClamp > 0 ? string.Create(inv, $"with gradients clamped to +-{config.GradientClamp} ") : "")
            + string.Create(inv, $"(on gradients summed over the batch), init {config.Initialiser}, pixels {(config.Pixels == "pm1" ? "[-1, 1]" : "[0, 1]")}, {config.Precision}, {config.Threads} thread(s), ")
            + $"seeds {string.Join(", ", config.Seeds)}. Rules: {string.Join("; ", config.Rules.Select(r => r + " = " + TrainRules.Describe(RuleSpec.Parse(r).Name, config.ForRule(r))))}.\n\n");

        md.Append("| rule | epochs done | final test accuracy | final train accuracy | best test accuracy | mean angle to BP per weight | s per epoch (train + eval) |\n");
        md.Append("|---|---|---|---|---|---|---|\n");
        foreach (var rule in config.Rules)
        {
            var test = PerEpoch(records, rule, r => r.TestAccuracy);
            var trainAcc = PerEpoch(records, rule, r => r.TrainAccuracy);
            var seconds = PerEpoch(records, rule, r => r.Seconds);
            var evaluation = PerEpoch(records, rule, r => r.EvaluationSeconds);
            if (test.Count == 0)
            {
                md.Append("| ").Append(rule).Append(" | 0 | | | | | |\n");
                continue;
            }
            var last = test[^1];
            var best = records.Where(r => r.Type == "epoch" && r.Rule == rule).GroupBy(r => r.Seed).Select(g => g.Max(r => r.TestAccuracy ?? double.NaN)).ToArray();
            var angles = records.Where(r => r.Type == "step" && r.Rule == rule && r.Angles is not null).ToArray();
            string angleText = angles.Length == 0 ? (RuleSpec.Parse(rule).Name == TrainRules.Backprop ? "0 (is BP)" : "") :
                string.Join(", ", angled.Select(n => MeanAngle(angles, n)));
            md.Append(string.Create(inv, $"| {rule} | {last.Epoch} | {Range(last, 100, "%")} | {Range(trainAcc[^1], 100, "%")} | {best.Average() * 100:F2}% | {angleText} | "))
                .Append(string.Create(inv, $"{seconds.Average(p => p.Mean):F1} + {evaluation.Average(p => p.Mean):F1} |\n"));
        }
        md.Append("\nAccuracies are mean [min, max] over the seeds that reached the epoch; the angle is averaged over the step records (every ")
            .Append(config.LogEvery.ToString(inv)).Append(" steps, on the step's batch before its update).\n\n");

        md.Append("## Test accuracy per epoch\n\n| epoch | ").Append(string.Join(" | ", config.Rules)).Append(" |\n|---|").Append(string.Concat(config.Rules.Select(_ => "---|"))).Append('\n');
        var tables = config.Rules.Select(r => PerEpoch(records, r, m => m.TestAccuracy).ToDictionary(p => p.Epoch)).ToArray();
        int epochs = tables.Select(t => t.Count == 0 ? 0 : t.Keys.Max()).DefaultIfEmpty(0).Max();
        for (int e = 1; e <= epochs; e++)
        {
            md.Append("| ").Append(e.ToString(inv));
            foreach (var t in tables) md.Append(" | ").Append(t.TryGetValue(e, out var p) ? Range(p, 100, "%") : "");
            md.Append(" |\n");
        }

        var ended = records.Where(r => r.Type is "failed" or "stopped").ToArray();
        if (ended.Length > 0)
        {
            md.Append("\n## Ended early\n\n");
            foreach (var r in ended) md.Append(string.Create(inv, $"- {r.Rule} seed {r.Seed}, step {r.Step}: {r.Type}: {r.Message}\n"));
        }
        if (plots.Count > 0)
        {
            md.Append("\n## Plots\n\n");
            foreach (var plot in plots) md.Append("![").Append(Path.GetFileNameWithoutExtension(plot)).Append("](").Append(plot).Append(")\n\n");
        }
        md.Append("Files: `config.json` (the run, for `--resume`), `metrics.jsonl` and `metrics.csv` (every record), `checkpoints/` (the last good state of each rule and seed).\n");
        return md.ToString();
    }

    // The mean over the probes where the angle is defined; how many were not (a zero update or gradient: dead units) is said.
    private static string MeanAngle(IReadOnlyList<MetricRecord> probes, string name)
    {
        var values = probes.Select(r => r.Angles!.TryGetValue(name, out double a) ? a : double.NaN).ToArray();
        var defined = values.Where(double.IsFinite).ToArray();
        string mean = defined.Length == 0 ? "undefined" : string.Create(CultureInfo.InvariantCulture, $"{defined.Average():F2}°");
        return name + " " + mean + (defined.Length < values.Length ? string.Create(CultureInfo.InvariantCulture, $" ({values.Length - defined.Length} of {values.Length} probes with a zero update or gradient)") : "");
    }

    private static string Range((int Epoch, double Mean, double Min, double Max, int Seeds) p, double scale, string unit) =>
        p.Seeds <= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Mean * scale:F2}{unit}")
            : string.Create(CultureInfo.InvariantCulture, $"{p.Mean * scale:F2}{unit} [{p.Min * scale:F2}, {p.Max * scale:F2}]");

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
