using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Symbolic.Cli.CommandLine;
using Symbolic.Cli.Data;
using Symbolic.Rules.Data;

namespace Symbolic.Cli.Train;

/// <summary>
/// <c>symbolic train</c>: trains the declared model with one or more rules on MNIST or Fashion-MNIST, every rule from the
/// same initial parameters and batch order per seed, into a run folder (see <see cref="RunFolder"/>); <c>--resume</c>
/// continues a stopped run exactly. With no command, <c>symbolic</c> runs this with its defaults: a short AR-against-BP
/// run on MNIST.
/// </summary>
public static class TrainCommand
{
    /// <summary>The default parent of run folders.</summary>
    public const string DefaultOut = "runs";

    /// <summary>The options of <c>train</c> (the root command gets its own instances, with the same names and defaults).</summary>
    public sealed class Options
    {
        private static readonly TrainConfig Defaults = new();
        private readonly IReadOnlyList<string> defaultRules;

        /// <summary>The options of <c>train</c> (rules ar,bp by default) or, with <paramref name="defaultRules"/>, of <c>compare</c>.</summary>
        public Options(IReadOnlyList<string>? defaultRules = null)
        {
            this.defaultRules = defaultRules ?? Defaults.Rules;
            Rule = CliOptions.Text("--rule", "LIST", $"Rules to train, comma-separated: {string.Join(", ", TrainRules.Names)} (default: {string.Join(",", this.defaultRules)}). A rule may override the run's {string.Join(", ", RuleSpec.Keys)} as in tp:lr=1e-5:ortho-lambda=1000");
            Rule.Aliases.Add("--rules");
        }

        /// <summary>--rule LIST (also --rules).</summary>
        public Option<string?> Rule { get; }

        /// <summary>--dataset.</summary>
        public Option<string> Dataset { get; } = CliOptions.Choice("--dataset", "The data set (mnist and fashion-mnist are fetched into the cache on first use; kmnist and cifar10 are read from --data DIR or the cache, see docs/data.md)", Defaults.Dataset, DataStore.DatasetNames.ToArray());

        /// <summary>--data DIR.</summary>
        public Option<string?> Data { get; } = CliOptions.Text("--data", "DIR", "Read your own copy of the data set's four IDX files (raw or .gz) from DIR instead of the cache");

        /// <summary>--model.</summary>
        public Option<string> Model { get; } = CliOptions.Choice("--model", "The declared model (examples/Models)", Defaults.Model, TrainModels.Names.ToArray());

        /// <summary>--epochs N.</summary>
        public Option<int> Epochs { get; } = CliOptions.Integer("--epochs", "N", "Epochs per rule and seed (with --resume: the new total)", Defaults.Epochs, v => v >= 1, "at least 1");

        /// <summary>--batch N.</summary>
        public Option<int> Batch { get; } = CliOptions.Integer("--batch", "N", "Samples per training step", Defaults.BatchSize, v => v >= 1, "at least 1");

        /// <summary>--lr X.</summary>
        public Option<double> LearningRate { get; } = CliOptions.Number("--lr", "X", "Learning rate, on gradients summed over the batch (the AR authors' 5e-4)", Defaults.LearningRate, v => v > 0, "positive");

        /// <summary>--optimiser.</summary>
        public Option<string> Optimiser { get; } = CliOptions.Choice("--optimiser", "sgd (plain, fused into the update), momentum, adam (bias-corrected, beta 0.9/0.999), or adam-uncorrected (no bias correction, beta 0.9/0.99, eps 1e-8: the GAIT-prop authors')", Defaults.Optimiser, "sgd", "momentum", "adam", "adam-uncorrected");

        /// <summary>--gamma X.</summary>
        public Option<double> Gamma { get; } = CliOptions.Number("--gamma", "X", "GAIT-prop: the increment of each layer's target towards the one above", Defaults.Gamma, v => v > 0 && v <= 1, "in (0, 1]");

        /// <summary>--ortho-lambda X.</summary>
        public Option<double> OrthoLambda { get; } = CliOptions.Number("--ortho-lambda", "X", "Add X times the orthogonality penalty's gradient (times the batch size) to every weight's update, any rule (GAIT-prop's authors: 0.1 for gait, 1000 for tp); 0 adds none", Defaults.OrthogonalityLambda, v => v >= 0 && double.IsFinite(v), "0 or more");

        /// <summary>--ortho-penalty.</summary>
        public Option<string> OrthoPenalty { get; } = CliOptions.Choice("--ortho-penalty", "The orthogonality penalty: off-diagonal (sum over i != j of (W W^T)_ij^2, the authors') or frobenius (||W W^T - I||^2)", Defaults.OrthogonalityPenalty, "off-diagonal", "frobenius");

        /// <summary>--clamp-gradients X.</summary>
        public Option<double> Clamp { get; } = CliOptions.Number("--clamp-gradients", "X", "Clamp every gradient (or AR update) element to [-X, X] before the optimiser's step, as the AR authors' CNN code does with 50; 0 clamps nothing", Defaults.GradientClamp, v => v >= 0 && double.IsFinite(v), "0 or more");

        /// <summary>--momentum X.</summary>
        public Option<double> Momentum { get; } = CliOptions.Number("--momentum", "X", "Momentum coefficient with --optimiser momentum", Defaults.Momentum, v => v >= 0 && v < 1, "in [0, 1)");

        /// <summary>--eta X.</summary>
        public Option<double> Eta { get; } = CliOptions.Number("--eta", "X", "AR: relaxation rate", Defaults.Eta, v => v > 0 && v <= 1, "in (0, 1]");

        /// <summary>--steps N.</summary>
        public Option<int> Steps { get; } = CliOptions.Integer("--steps", "N", "AR: relaxation steps per training step", Defaults.RelaxationSteps, v => v >= 1, "at least 1");

        /// <summary>--schedule.</summary>
        public Option<string> Schedule { get; } = CliOptions.Choice("--schedule", "AR: top-down sweeps (the authors' code), synchronous steps, or the synchronous steps' closed form", Defaults.Schedule, "topdown", "synchronous", "closed-form");

        /// <summary>--init.</summary>
        public Option<string> Init { get; } = CliOptions.Choice("--init", "Weight initialiser (biases zero); normal005 is the AR authors' N(0, 0.05), xavier-normal the GAIT-prop authors' N(0, 2 / (fan_in + fan_out))", Defaults.Initialiser, "normal005", "xavier", "xavier-normal", "he", "orthogonal");

        /// <summary>--feedback-init.</summary>
        public Option<string> FeedbackInit { get; } = CliOptions.Choice("--feedback-init", "Random backward matrices of fa, dfa and the psi rules: rule (each rule's default: N(0, 0.05) for psi and fa, uniform on +-1/sqrt(fan-out) for dfa), normal005, or uniform-fan-out", Defaults.FeedbackInit, "rule", "normal005", "uniform-fan-out");

        /// <summary>--pixels.</summary>
        public Option<string> Pixels { get; } = CliOptions.Choice("--pixels", "Pixel scale: 01 is [0, 1] (the AR paper), pm1 is [-1, 1]", Defaults.Pixels, "01", "pm1");

        /// <summary>--precision.</summary>
        public Option<string> Precision { get; } = CliOptions.Choice("--precision", "Numbers of the compiled code", Defaults.Precision, "float32", "float64");

        /// <summary>--seed LIST.</summary>
        public Option<string?> Seed { get; } = CliOptions.Text("--seed", "LIST", "Seeds, comma-separated (each draws the initial parameters and the batch order; several give mean and range) (default: 1)");

        /// <summary>--threads N.</summary>
        public Option<int> Threads { get; } = CliOptions.Integer("--threads", "N", "Threads per training step (results are bit-identical for the same seed and threads)", Math.Clamp(Environment.ProcessorCount, 1, 8), v => v >= 1 && v <= 1024, "between 1 and 1024");

        /// <summary>--drop-last.</summary>
        public Option<bool> DropLast { get; } = CliOptions.Flag("--drop-last", "Drop the incomplete last batch of every epoch (torch's drop_last)");

        /// <summary>--log-every N.</summary>
        public Option<int> LogEvery { get; } = CliOptions.Integer("--log-every", "N", "Record the step loss, and for rules other than bp the angle to backprop per parameter and the relaxation residual, every N steps", Defaults.LogEvery, v => v >= 1, "at least 1");

        /// <summary>--out DIR.</summary>
        public Option<string?> Out { get; } = CliOptions.Text("--out", "DIR", $"Parent of the new run folder (default: {DefaultOut})");

        /// <summary>--resume RUN.</summary>
        public Option<string?> Resume { get; } = CliOptions.Text("--resume", "RUN", "Continue the run folder RUN from its checkpoints, bit-exactly, with its own settings (only --epochs to extend it, --max-steps and --data may be given with it)");

        /// <summary>--max-steps N.</summary>
        public Option<int> MaxSteps { get; } = CliOptions.Integer("--max-steps", "N", "Stop after N training steps in this invocation, saving checkpoints (continue with --resume)", int.MaxValue, v => v >= 1, "at least 1");

        /// <summary>All options, in help order.</summary>
        public IEnumerable<Option> All => new Option[] { Rule, Dataset, Data, Model, Epochs, Batch, LearningRate, Optimiser, Momentum, Clamp, Eta, Steps, Schedule, Gamma, OrthoLambda, OrthoPenalty, Init, FeedbackInit, Pixels, Precision, Seed, Threads, DropLast, LogEvery, Out, Resume, MaxSteps };

        /// <summary>Adds the options to <paramref name="command"/> and makes it train.</summary>
        public void AttachTo(Command command)
        {
            foreach (var option in All) command.Add(option);
            command.SetAction(parse => Run(this, parse));
        }

        /// <summary>The run's configuration from the command line (defaults for options not given).</summary>
        public TrainConfig Read(ParseResult parse) => new()
        {
            Model = parse.GetValue(Model)!,
            Dataset = parse.GetValue(Dataset)!,
            Data = parse.GetValue(Data),
            Rules = SplitList(parse.GetValue(Rule), "--rule") ?? (ReferenceEquals(defaultRules, TrainRules.ArFamily) && TrainModels.Invertible.Contains(parse.GetValue(Model)!) ? TrainRules.TargetFamily : defaultRules),
            Seeds = SplitList(parse.GetValue(Seed), "--seed")?.Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"--seed needs integers (32-bit), not '{s}'")).ToArray() ?? Defaults.Seeds,
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(Batch),
            LearningRate = parse.GetValue(LearningRate),
            Optimiser = parse.GetValue(Optimiser)!,
            Momentum = parse.GetValue(Momentum),
            GradientClamp = parse.GetValue(Clamp),
            Eta = parse.GetValue(Eta),
            RelaxationSteps = parse.GetValue(Steps),
            Schedule = parse.GetValue(Schedule)!,
            Gamma = parse.GetValue(Gamma),
            OrthogonalityLambda = parse.GetValue(OrthoLambda),
            OrthogonalityPenalty = parse.GetValue(OrthoPenalty)!,
            Initialiser = parse.GetValue(Init)!,
            FeedbackInit = parse.GetValue(FeedbackInit)!,
            Pixels = parse.GetValue(Pixels)!,
            Precision = parse.GetValue(Precision)!,
            Threads = parse.GetValue(Threads),
            DropLast = parse.GetValue(DropLast),
            LogEvery = parse.GetValue(LogEvery),
            Command = "symbolic " + string.Join(" ", parse.Tokens.Select(t => t.Value.Contains(' ') ? "\"" + t.Value + "\"" : t.Value)),
        };

        /// <summary>The options given explicitly on the command line.</summary>
        public IEnumerable<Option> Given(ParseResult parse) => All.Where(o => parse.GetResult(o) is { Implicit: false });
    }

    /// <summary>
    /// The <c>compare</c> command: <c>train</c> with every rule by default (<c>--rules</c> to choose), all from the same
    /// initial weights and batch order into one run folder, with one table and one plot of each kind for all rules.
    /// </summary>
    public static Command CreateCompareCommand()
    {
        var command = new Command("compare",
            $"Train every rule ({string.Join(",", TrainRules.ArFamily)}; on {string.Join(" and ", TrainModels.Invertible)} {string.Join(",", TrainRules.TargetFamily)}; --rules to choose) from the same initial weights and batch order into one run folder: "
            + "one table, the test accuracy of all rules in one plot, the angle to backprop per layer, metrics and checkpoints (the options of 'train')");
        new Options(TrainRules.ArFamily).AttachTo(command);
        return command;
    }

    /// <summary>The <c>train</c> command.</summary>
    public static Command CreateCommand()
    {
        var command = new Command("train",
            "Train a declared model (--model) on a data set (--dataset) with several rules from the same initial parameters and batch order, into a run folder "
            + "(config.json, metrics.jsonl/csv, plots, summary.md, checkpoints); Ctrl+C or --max-steps stops with checkpoints, --resume continues exactly");
        new Options().AttachTo(command);
        return command;
    }

    private static int Run(Options options, ParseResult parse)
    {
        var output = parse.InvocationConfiguration.Output;
        string? resume = parse.GetValue(options.Resume);
        TrainConfig config;
        RunFolder folder;
        List<MetricRecord> records;
        LoadedDataset loaded;
        if (resume != null)
        {
            var allowed = new Option[] { options.Resume, options.Epochs, options.MaxSteps, options.Data };
            var extra = options.Given(parse).Where(o => !allowed.Contains(o)).Select(o => o.Name).ToArray();
            if (extra.Length > 0) throw new UsageException($"--resume continues the run with its own settings; {string.Join(", ", extra)} cannot change them (only --epochs, --max-steps and --data can be given)");
            folder = RunFolder.Open(resume);
            int? epochs = parse.GetResult(options.Epochs) is { Implicit: false } ? parse.GetValue(options.Epochs) : null;
            var warnings = new List<string>();
            (config, records) = PrepareResume(folder, epochs, warnings);
            foreach (var warning in warnings) output.WriteLine("symbolic: warning: " + warning);
            if (parse.GetResult(options.Data) is { Implicit: false }) config = config with { Data = parse.GetValue(options.Data) };
            loaded = LoadData(config, output);
        }
        else
        {
            config = options.Read(parse);
            config.Validate();
            // The data first: a missing or unusable data set stops the run before its folder exists.
            loaded = LoadData(config, output);
            folder = RunFolder.Create(parse.GetValue(options.Out) ?? DefaultOut, config, DateTime.Now);
            records = new List<MetricRecord>();
        }

        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        bool console = ReferenceEquals(output, Console.Out);
        bool live = console && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        if (console) Console.CancelKeyPress += onCancel;
        try
        {
            return Execute(config, folder, records, loaded.Train, loaded.Test, output, parse.GetValue(options.MaxSteps), live, stop.Token);
        }
        finally
        {
            if (console) Console.CancelKeyPress -= onCancel;
        }
    }

    private static LoadedDataset LoadData(TrainConfig config, TextWriter output)
    {
        var store = config.Data != null ? DataStore.WithoutCache(output) : new DataStore(DataStore.DefaultCacheRoot(), output);
        var loaded = store.LoadByName(config.Dataset, config.Data);
        output.WriteLine(DataCommand.Summary(loaded));
        return loaded;
    }

    /// <summary>
    /// Trains every sub-run of <paramref name="config"/> that is not finished into <paramref name="folder"/> (the shell
    /// of <c>symbolic train</c> after the command line and the data: tests call it with data sets of their own).
    /// </summary>
    /// <param name="config">The run.</param>
    /// <param name="folder">Its folder (new, or opened for a resume).</param>
    /// <param name="records">The records so far (empty for a new run; from <see cref="PrepareResume"/> for a resume); appended to.</param>
    /// <param name="train">The training set (any pixel scale: the run's is applied).</param>
    /// <param name="test">The test set.</param>
    /// <param name="output">Where progress and the closing lines go.</param>
    /// <param name="maxSteps">The most training steps to take in this call.</param>
    /// <param name="live">A live progress display (a terminal) instead of plain lines.</param>
    /// <param name="stop">Stops before the next step, saving checkpoints.</param>
    /// <returns>The exit code: success, or failure when a sub-run stopped on a failed step.</returns>
    public static int Execute(TrainConfig config, RunFolder folder, List<MetricRecord> records, Dataset train, Dataset test, TextWriter output, long maxSteps, bool live, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(folder);
        config.Validate();
        train = train.WithScale(config.PixelScale);
        test = test.WithScale(config.PixelScale);
        output.WriteLine($"run folder: {folder.Path}");
        var (code, result) = live
            ? LiveProgress.Run(output, progress => RunSession(config, folder, train, test, progress, records, maxSteps, stop))
            : RunSession(config, folder, train, test, new PlainProgress(output), records, maxSteps, stop);
        if (result.PlotProblem != null) output.WriteLine("symbolic: warning: no plots: " + result.PlotProblem);
        output.WriteLine($"summary: {folder.Combine("summary.md")}");
        var plots = new[] { RunReport.AccuracyPlot, RunReport.LossPlot, RunReport.AnglePlot, RunReport.ResidualPlot }.Where(p => File.Exists(folder.Combine(p))).ToArray();
        if (plots.Length > 0) output.WriteLine($"plots: {string.Join(", ", plots.Select(folder.Combine))}");
        if (!result.Completed && !result.Failed) output.WriteLine($"stopped; continue with: symbolic train --resume \"{folder.Path}\"");
        return code;
    }

    /// <summary>
    /// Opens a run for <c>--resume</c>: its configuration (with <paramref name="epochs"/> as the new total when given,
    /// saved back) and its records up to each sub-run's checkpoint.
    /// </summary>
    /// <exception cref="UsageException">The folder's configuration or records are damaged, or <paramref name="epochs"/> is fewer than the run's.</exception>
    public static (TrainConfig Config, List<MetricRecord> Records) PrepareResume(RunFolder folder, int? epochs, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var config = TrainConfig.Load(folder.ConfigPath);
        if (epochs is int total && total != config.Epochs)
        {
            if (total < config.Epochs) throw new UsageException($"--epochs {total} is fewer than the run's {config.Epochs}; a resumed run can only be extended");
            config = config with { Epochs = total };
            OutputFile.WriteAllText(folder.ConfigPath, config.ToJson() + "\n");
        }
        return (config, KeepUpToCheckpoints(folder, folder.ReadRecords(warnings)));
    }

    private static (int, SessionResult) RunSession(TrainConfig config, RunFolder folder, Dataset train, Dataset test, ITrainingProgress progress, List<MetricRecord> records, long maxSteps, CancellationToken stop)
    {
        var session = new TrainSession(config, folder, train, test, progress, records, maxSteps, stop);
        int code = TrainModels.Dispatch(config.Model, config.Precision, session);
        return (code, session.Result!);
    }

    /// <summary>
    /// Before a resume: the records of every sub-run up to its checkpoint (what the resumed run would otherwise write a
    /// second time is dropped; a sub-run without a checkpoint starts again, so all its records go), written back atomically.
    /// </summary>
    private static List<MetricRecord> KeepUpToCheckpoints(RunFolder folder, List<MetricRecord> records)
    {
        var positions = new Dictionary<(string, long), (long Step, long Epochs)?>();
        (long Step, long Epochs)? PositionOf(MetricRecord r)
        {
            if (!positions.TryGetValue((r.Rule, r.Seed), out var position))
            {
                string path = folder.CheckpointPath(r.Rule, r.Seed);
                positions[(r.Rule, r.Seed)] = position = File.Exists(path) ? CheckpointPosition(path) : null;
            }
            return position;
        }
        var kept = records.Where(r => PositionOf(r) is { } at && r.Type switch
        {
            "step" => r.Step <= at.Step,
            "epoch" => r.Epoch <= at.Epochs,
            _ => false,
        }).ToList();
        folder.WriteRecords(kept);
        return kept;
    }

    private static (long Step, long Epochs) CheckpointPosition(string path)
    {
        var metadata = Symbolic.Rules.Checkpoints.SafeTensors.Read(File.ReadAllBytes(path), path).Metadata;
        long Get(string key) => metadata.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n
            : throw new UsageException($"checkpoint '{path}' has no valid '{key}' in its metadata");
        return (Get("step"), Get("epoch"));
    }

    private static IReadOnlyList<string>? SplitList(string? text, string option)
    {
        if (text is null) return null;
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(i => i.Length == 0)) throw new UsageException($"{option} '{text}' has an empty item; give a comma-separated list");
        return items;
    }
}
