using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Symbolic.Cli;
using Symbolic.Cli.CommandLine;
using Symbolic.Cli.Train;
using Symbolic.PropertyTests.Training;
using Symbolic.Rules.Checkpoints;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Cli;

/// <summary>
/// <c>symbolic train</c> after the command line: run folders, records, reports, checkpoints, resume, failure, on small
/// synthetic 28x28 sets (tests never download); and the command line's own checks through <see cref="Program.Run"/>.
/// </summary>
public sealed class TrainCommandTests() : RunFolderTests("symbolic-train-")
{
    private static readonly Dataset Train = SyntheticImages.Create(96, seed: 11, "train");
    private static readonly Dataset Test = SyntheticImages.Create(40, seed: 12, "test");
    private static TrainConfig Config(string optimiser = "sgd", double lr = 5e-3) => new()
    {
        Rules = new[] { "ar", "bp" },
        Seeds = new[] { 3, 4 },
        Epochs = 2,
        BatchSize = 20,
        RelaxationSteps = 15,
        Threads = 1,
        LogEvery = 2,
        Optimiser = optimiser,
        LearningRate = lr,
        Command = "test",
    };

    private (RunFolder Folder, int Code, string Output) Run(TrainConfig config, long maxSteps = long.MaxValue, RunFolder? resume = null) =>
        Execute(config, Train, Test, maxSteps, resume);

    private static MetricRecord[] Records(RunFolder folder) => folder.ReadRecords(new List<string>()).ToArray();

    private static MetricRecord WithoutTimes(MetricRecord r) => r with { Seconds = null, EvaluationSeconds = null, Message = null };

    [Fact]
    public void A_run_writes_its_folder_records_reports_and_checkpoints()
    {
        var (folder, code, output) = Run(Config());

        Assert.Equal(Program.Success, code);
        Assert.Contains("run folder: " + folder.Path, output);
        Assert.Contains("ar seed 3 epoch 2/2", output);
        foreach (var file in new[] { "config.json", "metrics.jsonl", "metrics.csv", "summary.md", "accuracy.png", "loss.png", "angles.png", "residual.png" })
        {
            Assert.True(File.Exists(folder.Combine(file)), file + " is missing");
        }
        foreach (var file in new[] { "accuracy.png", "loss.png", "angles.png" })
        {
            Assert.Equal(0x89, File.ReadAllBytes(folder.Combine(file))[0]);
        }
        var records = Records(folder);
        // 96 samples in batches of 20: 5 steps per epoch; a step record every 2 steps of each sub-run.
        Assert.Equal(8, records.Count(r => r.Type == "epoch"));
        Assert.Equal(4 * 5, records.Count(r => r.Type == "step"));
        Assert.All(records.Where(r => r.Type == "step" && r.Rule == "ar"), r =>
        {
            Assert.Equal(new[] { "b1", "b2", "b3", "b4", "w1", "w2", "w3", "w4" }, r.Angles!.Keys);
            Assert.All(r.Angles.Values, a => Assert.InRange(a, 0, 180));
            Assert.InRange(r.Angles["w4"], 0, 5);   // the output layer's unit is relaxed first; the deepest may still be far off after 15 steps
            Assert.Equal(15, r.Iterations);
            Assert.True(r.Residual > 0);
        });
        Assert.All(records.Where(r => r.Type == "step" && r.Rule == "bp"), r => Assert.Null(r.Angles));
        Assert.All(records.Where(r => r.Type == "epoch"), r => Assert.InRange(r.TestAccuracy!.Value, 0, 1));

        // Same seed, same initial parameters and batch order: the first step's loss is the same for every rule.
        var firstLoss = records.Where(r => r.Type == "epoch" && r.Epoch == 1 && r.Seed == 3).Select(r => r.Loss).ToArray();
        Assert.Equal(2, firstLoss.Length);

        string csv = File.ReadAllText(folder.Combine("metrics.csv"));
        Assert.StartsWith("type,rule,seed,epoch,step,loss,train_loss,train_accuracy,test_loss,test_accuracy,seconds,evaluation_seconds,residual,iterations,angle_w1,", csv);
        Assert.Equal(records.Length + 1, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        string summary = File.ReadAllText(folder.Combine("summary.md"));
        Assert.Contains("| ar | 2 |", summary);
        Assert.Contains("| bp | 2 |", summary);
        Assert.Contains("![accuracy](accuracy.png)", summary);

        foreach (var (rule, seed) in new[] { ("ar", 3), ("ar", 4), ("bp", 3), ("bp", 4) })
        {
            var checkpoint = Checkpoint.Load(folder.CheckpointPath(rule, seed), Examples.PaperMlp.Float32.Layout);
            Assert.Equal(10, checkpoint.Step);
            Assert.Equal(2, checkpoint.Epoch);
            Assert.Equal(rule, checkpoint.Configuration["rule"]);
        }
    }

    [Theory]
    [InlineData("sgd", 3, "ar,bp")]
    [InlineData("adam", 7, "ar,bp")]
    [InlineData("sgd", 7, "ar-learned-psi,fa")]
    public void Stopping_after_k_steps_and_resuming_equals_the_uninterrupted_run(string optimiser, int k, string rules)
    {
        var config = Config(optimiser, optimiser == "adam" ? 1e-3 : 5e-3) with { Rules = rules.Split(',') };
        var (whole, _, _) = Run(config);
        var (part, code, output) = Run(config, maxSteps: k);
        Assert.Equal(Program.Success, code);
        Assert.Contains("stopped; continue with: symbolic train --resume", output);
        var (resumed, resumedCode, _) = Run(config, resume: part);
        Assert.Equal(Program.Success, resumedCode);

        foreach (var (rule, seed) in config.Rules.SelectMany(r => new[] { (r, 3), (r, 4) }))
        {
            var a = Checkpoint.Load(whole.CheckpointPath(rule, seed), Examples.PaperMlp.Float32.Layout);
            var b = Checkpoint.Load(resumed.CheckpointPath(rule, seed), Examples.PaperMlp.Float32.Layout);
            Assert.Equal(a.Parameters.Select(t => t.Data.ToArray()), b.Parameters.Select(t => t.Data.ToArray()));
            Assert.Equal(a.Moments.SelectMany(m => m).Select(t => t.Data.ToArray()), b.Moments.SelectMany(m => m).Select(t => t.Data.ToArray()));
            Assert.Equal(a.OptimiserStepCount, b.OptimiserStepCount);
            Assert.Equal(a.RuleState.Select(t => t.Name), b.RuleState.Select(t => t.Name));
            Assert.Equal(a.RuleState.Select(t => t.Data.ToArray()), b.RuleState.Select(t => t.Data.ToArray()));
            if (rule == "ar-learned-psi") Assert.Equal(4, a.RuleState.Length);
        }
        var expected = Records(whole).Select(WithoutTimes).ToArray();
        var actual = Records(resumed).Where(r => r.Type != "stopped").Select(WithoutTimes).ToArray();
        Assert.Equal(expected.Select(RunFolder.Serialize), actual.OrderBy(r => Array.FindIndex(expected, e => e.Rule == r.Rule && e.Seed == r.Seed && e.Type == r.Type && e.Step == r.Step)).Select(RunFolder.Serialize));
    }

    [Fact]
    public void A_diverging_run_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint()
    {
        var config = Config() with { Rules = new[] { "bp" }, Seeds = new[] { 1 } };
        var (folder, _, _) = Run(config, maxSteps: 5);   // exactly one epoch: its checkpoint is the last good state
        string path = folder.CheckpointPath("bp", 1);
        var good = File.ReadAllBytes(path);
        File.WriteAllText(folder.ConfigPath, (config with { LearningRate = 1e30 }).ToJson());

        var (_, code, output) = Run(config, resume: folder);

        Assert.Equal(Program.Failure, code);
        Assert.Contains("bp seed 1 stopped: Training step", output);
        Assert.Contains("NaN or an infinity", output);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Contains(Records(folder), r => r.Type == "failed" && r.Rule == "bp");
        Assert.Contains("failed", File.ReadAllText(folder.Combine("summary.md")));
    }

    [Fact]
    public void Every_model_trains_and_the_models_differ()
    {
        var losses = new List<double>();
        foreach (var model in TrainModels.Names)
        {
            if (model == TrainModels.PaperCnnColour)
            {
                // 32x32 colour images: grey 28x28 data is refused before training, naming both sizes.
                var refused = Assert.ThrowsAny<Exception>(() => Run(Config() with { Model = model, Seeds = new[] { 2 }, Epochs = 1 }));
                Assert.Contains("takes 3072 values", refused.Message);
                continue;
            }
            // The GAIT-prop tower trains its own rules (in float64, where GAIT-prop's 1/gamma per layer leaves digits), regularised;
            // the square network (four 784-wide LU factorisations a step) only backprop, to keep the suite short.
            var config = model == TrainModels.GaitTower
                ? Config() with { Model = model, Seeds = new[] { 2 }, Epochs = 1, Rules = TrainRules.TargetFamily.ToArray(), Precision = "float64", Optimiser = "adam-uncorrected", LearningRate = 1e-4, OrthogonalityLambda = 0.1, Initialiser = "orthogonal" }
                : Config() with { Model = model, Seeds = new[] { 2 }, Epochs = 1 };
            var (folder, code, _) = Run(config);
            Assert.Equal(Program.Success, code);
            Assert.Contains("Model " + model + ",", File.ReadAllText(folder.Combine("summary.md")));
            if (model == TrainModels.GaitTower)
            {
                foreach (var rule in TrainRules.TargetFamily) Assert.Contains(Records(folder), r => r.Type == "epoch" && r.Rule == rule && r.TestAccuracy is not null);
                Assert.Contains("GAIT-prop, gamma 0.001", File.ReadAllText(folder.Combine("summary.md")));
            }
            losses.Add(Records(folder).First(r => r.Type == "step" && r.Rule == "bp").Loss!.Value);
        }
        // Same seed, same weights and batch: only the activation differs, so the first losses must too.
        Assert.Equal(losses.Count, losses.Distinct().Count());
    }

    [Fact]
    public void A_gradient_clamp_reaches_the_optimiser_and_the_summary()
    {
        var config = Config() with { Rules = new[] { "bp" }, Seeds = new[] { 2 }, Epochs = 1, GradientClamp = 50 };
        Assert.Equal(50, config.CreateOptimiser().GradientClamp);
        Assert.False(Config().CreateOptimiser().Clamps);
        var (folder, code, _) = Run(config);
        Assert.Equal(Program.Success, code);
        Assert.Contains("with gradients clamped to +-50", File.ReadAllText(folder.Combine("summary.md")));
        Assert.Throws<UsageException>(() => (Config() with { GradientClamp = -1 }).Validate());
    }

    [Fact]
    public void Compare_trains_every_rule_into_one_folder()
    {
        var config = Config() with { Rules = TrainRules.ArFamily.ToArray(), Seeds = new[] { 2 }, Epochs = 1, LogEvery = 1 };
        var (folder, code, _) = Run(config);
        Assert.Equal(Program.Success, code);
        var records = Records(folder);
        string summary = File.ReadAllText(folder.Combine("summary.md"));
        foreach (var rule in TrainRules.ArFamily)
        {
            Assert.Contains(records, r => r.Type == "epoch" && r.Rule == rule);
            Assert.Contains($"| {rule} | 1 |", summary);
            if (rule != "bp") Assert.Contains(records, r => r.Type == "step" && r.Rule == rule && r.Angles is not null);
        }
        // Every rule starts from the seed's weights and the same first batch: the first step's loss (before its update) is the same.
        var firstLosses = records.Where(r => r.Type == "step" && r.Step == 1).Select(r => r.Loss).ToArray();
        Assert.Equal(TrainRules.ArFamily.Count, firstLosses.Length);
        Assert.Single(firstLosses.Distinct());
        var stdout = new StringWriter();
        Assert.Equal(Program.Success, Program.Run(new[] { "compare", "--help" }, stdout, new StringWriter()));
        Assert.Contains("--rules", stdout.ToString());
    }

    [Fact]
    public void Damaged_run_folders_are_clear_errors()
    {
        var config = Config() with { Rules = new[] { "bp" }, Seeds = new[] { 1 }, Epochs = 1 };
        var (folder, _, _) = Run(config, maxSteps: 2);
        File.AppendAllText(folder.MetricsPath, "{\"type\":\"ste");   // an interrupted append: dropped with a warning
        var warnings = new List<string>();
        TrainCommand.PrepareResume(folder, null, warnings);
        Assert.Contains(warnings, w => w.Contains("cut short"));

        File.WriteAllText(folder.ConfigPath, "{ \"rules\": [\"nope\"] }");
        var e = Assert.Throws<Symbolic.Cli.CommandLine.UsageException>(() => TrainCommand.PrepareResume(folder, null, new List<string>()));
        Assert.Contains("unknown rule 'nope'", e.Message);
        Assert.Contains(TrainConfig.FileName, e.Message);
    }

    [Fact]
    public void The_command_line_checks_its_options_before_any_work()
    {
        var cases = new (string[] Args, string Message)[]
        {
            (new[] { "train", "--rule", "ar,xx" }, "unknown rule 'xx'"),
            (new[] { "train", "--rule", "ar,ar" }, "names 'ar' twice"),
            (new[] { "train", "--rule", "ar,," }, "empty item"),
            (new[] { "train", "--seed", "1,x" }, "--seed needs integers"),
            (new[] { "train", "--epochs", "0" }, "--epochs must be at least 1"),
            (new[] { "train", "--eta", "2" }, "--eta must be in (0, 1]"),
            (new[] { "train", "--dataset", "cifar" }, "--dataset must be mnist or fashion-mnist or kmnist or cifar10"),
            (new[] { "train", "--model", "paper-cnn-colour" }, "--model paper-cnn-colour takes 3072 values per image but mnist's images are 28x28 (784); train paper-mlp or paper-mlp-tanh or paper-cnn or gait-square or gait-tower on mnist"),
            (new[] { "train", "--model", "paper-cnn", "--dataset", "cifar10" }, "--model paper-cnn takes 784 values per image but cifar10's images are 3x32x32 (3072); train paper-cnn-colour on cifar10"),
            (new[] { "train", "--rule", "bp,gait" }, "--rule gait needs an invertible model"),
            (new[] { "train", "--model", "gait-square", "--rule", "gait", "--gamma", "0" }, "--gamma"),
            (new[] { "train", "--ortho-lambda", "-1" }, "--ortho-lambda"),
            (new[] { "train", "--resume", Path.Combine(Root, "missing") }, "no such folder"),
            (new[] { "train", "--resume", Root }, "has no config.json"),
            (new[] { "train", "--resume", Root, "--lr", "1" }, "--lr cannot change them"),
        };
        foreach (var (args, message) in cases)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = Program.Run(args, stdout, stderr);
            Assert.True(code == Program.UsageError, string.Join(" ", args) + ": exit " + code + ", " + stderr);
            Assert.Contains(message, stderr.ToString());
            Assert.Single(stderr.ToString().Trim().Split('\n'));
        }
    }

    [Fact]
    public void Help_documents_every_option()
    {
        var stdout = new StringWriter();
        Assert.Equal(Program.Success, Program.Run(new[] { "train", "--help" }, stdout, new StringWriter()));
        foreach (var option in new TrainCommand.Options().All) Assert.Contains(option.Name, stdout.ToString());
        Assert.Contains("ar, bp", stdout.ToString());
    }
}
