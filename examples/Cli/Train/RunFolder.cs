using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Symbolic.Cli.CommandLine;

namespace Symbolic.Cli.Train;

/// <summary>
/// One line of <c>metrics.jsonl</c>. <c>step</c> records come every <see cref="TrainConfig.LogEvery"/> steps (the
/// batch's loss before the update and, for a rule other than backprop, its angle to backprop's gradient per parameter
/// and its relaxation residual on that batch); <c>epoch</c> records after every epoch (the running training loss and
/// the evaluation of both sets); <c>stopped</c> and <c>failed</c> when a sub-run ends early. Epochs and steps count
/// from 1: epoch 3 is the third epoch, step 100 the hundredth step of the sub-run.
/// </summary>
public sealed record MetricRecord
{
    /// <summary>step, epoch, stopped or failed.</summary>
    public string Type { get; init; } = "";

    /// <summary>The rule's name.</summary>
    public string Rule { get; init; } = "";

    /// <summary>The seed of the sub-run.</summary>
    public long Seed { get; init; }

    /// <summary>The epoch (from 1).</summary>
    public int Epoch { get; init; }

    /// <summary>The steps of the sub-run done so far (from 1).</summary>
    public long Step { get; init; }

    /// <summary>Step records: the batch's loss per sample. Epoch records: the running training loss of the epoch per sample.</summary>
    public double? Loss { get; init; }

    /// <summary>The training set's loss per sample after the epoch.</summary>
    public double? TrainLoss { get; init; }

    /// <summary>The training set's accuracy after the epoch.</summary>
    public double? TrainAccuracy { get; init; }

    /// <summary>The test set's loss per sample after the epoch.</summary>
    public double? TestLoss { get; init; }

    /// <summary>The test set's accuracy after the epoch.</summary>
    public double? TestAccuracy { get; init; }

    /// <summary>The seconds of the epoch's training steps.</summary>
    public double? Seconds { get; init; }

    /// <summary>The seconds of the epoch's evaluation.</summary>
    public double? EvaluationSeconds { get; init; }

    /// <summary>Per parameter: the angle in degrees between the rule's update and backprop's gradient on the step's batch.</summary>
    public SortedDictionary<string, double>? Angles { get; init; }

    /// <summary>The L2 norm of the last relaxation step's update, over the batch.</summary>
    public double? Residual { get; init; }

    /// <summary>The relaxation steps run.</summary>
    public int? Iterations { get; init; }

    /// <summary>Why a sub-run stopped or failed.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// A run folder: <c>config.json</c>, <c>metrics.jsonl</c> (appended as the run goes), <c>metrics.csv</c>, the plots,
/// <c>summary.md</c> and <c>checkpoints/RULE-seedN.safetensors</c> (the last good state of every sub-run).
/// </summary>
public sealed class RunFolder
{
    /// <summary>The metrics file, one JSON record per line.</summary>
    public const string MetricsFileName = "metrics.jsonl";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private RunFolder(string path) => Path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>The configuration file.</summary>
    public string ConfigPath => Combine(TrainConfig.FileName);

    /// <summary>The metrics file.</summary>
    public string MetricsPath => Combine(MetricsFileName);

    /// <summary>The checkpoint folder.</summary>
    public string CheckpointFolder => Combine("checkpoints");

    /// <summary>A file of the folder.</summary>
    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The last good checkpoint of the sub-run (<paramref name="rule"/>, <paramref name="seed"/>).</summary>
    public string CheckpointPath(string rule, long seed) => System.IO.Path.Combine(CheckpointFolder, string.Create(CultureInfo.InvariantCulture, $"{RuleSpec.FileSafe(rule)}-seed{seed}.safetensors"));

    /// <summary>
    /// Makes a new run folder under <paramref name="root"/> named by the time, the data set and the rules (numbered if it
    /// exists) and writes <paramref name="config"/> into it.
    /// </summary>
    public static RunFolder Create(string root, TrainConfig config, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(config);
        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new UsageException($"--out '{root}': cannot create the folder: {OutputFile.OneLine(e.Message)}");
        }
        string stem = string.Create(CultureInfo.InvariantCulture, $"{now:yyyyMMdd-HHmmss}-{config.Dataset}-{RuleSpec.FileSafe(string.Join("+", config.Rules))}");
        string path = System.IO.Path.Combine(root, stem);
        for (int n = 2; Directory.Exists(path) || File.Exists(path); n++) path = System.IO.Path.Combine(root, stem + "-" + n.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path);
        var folder = new RunFolder(path);
        Directory.CreateDirectory(folder.CheckpointFolder);
        OutputFile.WriteAllText(folder.ConfigPath, config.ToJson() + "\n");
        return folder;
    }

    /// <summary>Opens an existing run folder (for <c>--resume</c>); it must hold <c>config.json</c>.</summary>
    public static RunFolder Open(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException("--resume needs a run folder");
        if (!Directory.Exists(path)) throw new UsageException($"--resume '{path}': no such folder");
        var folder = new RunFolder(path);
        if (!File.Exists(folder.ConfigPath)) throw new UsageException($"--resume '{path}' is not a run folder: it has no {TrainConfig.FileName}");
        Directory.CreateDirectory(folder.CheckpointFolder);
        return folder;
    }

    /// <summary>Appends <paramref name="record"/> as one line and flushes it to disk.</summary>
    public void Append(MetricRecord record)
    {
        using var stream = new FileStream(MetricsPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        var bytes = Encoding.UTF8.GetBytes(Serialize(record) + "\n");
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>One record as a JSON line.</summary>
    public static string Serialize(MetricRecord record) => JsonSerializer.Serialize(record, Json);

    /// <summary>
    /// Reads <c>metrics.jsonl</c> (none: empty). A final line cut short by an interrupted write is left out, with a
    /// warning in <paramref name="warnings"/>; a damaged line before it is an error naming the file and line.
    /// </summary>
    public List<MetricRecord> ReadRecords(List<string> warnings)
    {
        var records = new List<MetricRecord>();
        if (!File.Exists(MetricsPath)) return records;
        var lines = File.ReadAllLines(MetricsPath);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<MetricRecord>(lines[i], Json) ?? throw new JsonException("empty record"));
            }
            catch (JsonException e)
            {
                if (i == lines.Length - 1)
                {
                    warnings.Add($"{MetricsPath}: left out its last line, cut short by an interrupted write");
                    break;
                }
                throw new UsageException($"{MetricsPath}, line {i + 1}: not a metrics record ({OutputFile.OneLine(e.Message)})");
            }
        }
        return records;
    }

    /// <summary>Replaces <c>metrics.jsonl</c> with <paramref name="records"/>, atomically.</summary>
    public void WriteRecords(IEnumerable<MetricRecord> records) =>
        OutputFile.WriteAllText(MetricsPath, string.Concat(records.Select(r => Serialize(r) + "\n")));
}
