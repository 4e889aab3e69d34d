using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Symbolic.Cli;
using Symbolic.Cli.CommandLine;
using Symbolic.Cli.Train;
using Symbolic.PropertyTests.Training;
using Symbolic.Rules;
using Symbolic.Rules.Checkpoints;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Cli;

/// <summary>
/// Per-rule settings in <c>--rules</c> (<c>tp:lr=1e-5:ortho-lambda=1000</c>): a rule's overrides reach its rule and
/// optimiser and nothing else, the sub-runs still share the seed's weights and batches, resume keeps them, and a
/// malformed item is a usage error naming it.
/// </summary>
public sealed class RuleSpecTests() : RunFolderTests("symbolic-rulespec-")
{
    private static readonly Dataset Train = SyntheticImages.Create(96, seed: 21, "train");
    private static readonly Dataset Test = SyntheticImages.Create(40, seed: 22, "test");
    private static TrainConfig Config(params string[] rules) => new()
    {
        Rules = rules,
        Seeds = new[] { 5 },
        Epochs = 2,
        BatchSize = 20,
        RelaxationSteps = 15,
        Threads = 1,
        LogEvery = 1,
        LearningRate = 5e-3,
        Command = "test",
    };

    private RunFolder Run(TrainConfig config, long maxSteps = long.MaxValue, RunFolder? resume = null)
    {
        var (folder, code, output) = Execute(config, Train, Test, maxSteps, resume);
        Assert.True(code == Program.Success, output);
        return folder;
    }

    private static byte[][] Parameters(RunFolder folder, string rule) =>
        Checkpoint.Load(folder.CheckpointPath(rule, 5), Examples.PaperMlp.Float32.Layout).Parameters.Select(t => t.Data.ToArray()).ToArray();

    [Fact]
    public void An_override_trains_as_a_run_with_that_setting_and_changes_nothing_else()
    {
        var mixed = Run(Config("bp", "bp:lr=2e-3", "ar:eta=1:steps=3", "bp:lr=5e-3"));
        var fast = Run(Config("bp") with { LearningRate = 2e-3 });
        var exact = Run(Config("ar") with { Eta = 1, RelaxationSteps = 3 });

        Assert.Equal(Parameters(fast, "bp"), Parameters(mixed, "bp:lr=2e-3"));
        Assert.Equal(Parameters(exact, "ar"), Parameters(mixed, "ar:eta=1:steps=3"));
        // An override equal to the run's setting is the plain rule; a different one is not.
        Assert.Equal(Parameters(mixed, "bp"), Parameters(mixed, "bp:lr=5e-3"));
        Assert.NotEqual(Parameters(mixed, "bp"), Parameters(mixed, "bp:lr=2e-3"));

        var records = mixed.ReadRecords(new List<string>());
        Assert.Single(records.Where(r => r.Type == "step" && r.Step == 1).Select(r => r.Loss).Distinct());
        foreach (var rule in Config("bp", "bp:lr=2e-3", "ar:eta=1:steps=3", "bp:lr=5e-3").Rules) Assert.Contains(records, r => r.Type == "epoch" && r.Rule == rule && r.Epoch == 2);
        // The exact AR (eta 1, as many steps as its units) is backprop's update: its angle to it is rounding.
        Assert.All(records.Where(r => r.Type == "step" && r.Rule == "ar:eta=1:steps=3"), r => Assert.All(r.Angles!.Values, a => Assert.True(a < 0.1, $"angle {a}")));
        string summary = File.ReadAllText(mixed.Combine("summary.md"));
        Assert.Contains("ar:eta=1:steps=3 = AR, eta 1, 3 topdown steps", summary);
        Assert.Contains("| bp:lr=2e-3 | 2 |", summary);
        Assert.DoesNotContain(':', Path.GetFileName(mixed.CheckpointPath("bp:lr=2e-3", 5)));
        Assert.DoesNotContain(':', Path.GetFileName(mixed.Path));
    }

    [Fact]
    public void A_resumed_run_keeps_each_rules_settings()
    {
        var config = Config("bp", "bp:lr=2e-3:clamp-gradients=0.01");
        var whole = Run(config);
        var part = Run(config, maxSteps: 7);
        var resumed = Run(config, resume: part);
        foreach (var rule in config.Rules) Assert.Equal(Parameters(whole, rule), Parameters(resumed, rule));
    }

    [Fact]
    public void A_rules_penalty_and_learning_rate_reach_its_rule_and_optimiser_only()
    {
        var config = new TrainConfig { Model = TrainModels.GaitSquare, Rules = new[] { "bp", "gait:ortho-lambda=0.1", "tp:lr=1e-5:ortho-lambda=1000" }, LearningRate = 1e-4, Optimiser = "adam-uncorrected" };
        config.Validate();
        var tp = config.ForRule("tp:lr=1e-5:ortho-lambda=1000");
        Assert.Equal((1e-5, 1000.0), (tp.LearningRate, tp.OrthogonalityLambda));
        Assert.Equal(new[] { "tp" }, tp.Rules);
        var regularised = Assert.IsType<OrthogonalityRegularised>(TrainRules.Create("tp", tp, 1));
        Assert.Equal(1000, regularised.Lambda);
        Assert.IsType<BackpropRule>(TrainRules.Create("bp", config.ForRule("bp"), 1));
        Assert.Equal(1e-4, config.ForRule("gait:ortho-lambda=0.1").LearningRate);
        Assert.Equal(new[] { "bp", "gait", "tp" }, config.RuleSpecs().Select(s => s.Name));
    }

    [Fact]
    public void A_malformed_item_is_a_usage_error_naming_it()
    {
        var cases = new (string Rules, string Message)[]
        {
            ("ar:eta", "--rule 'ar:eta': 'eta' has no value; give eta=VALUE"),
            ("ar:speed=1", "'speed=1' is not a setting a rule can override; give KEY=VALUE with KEY one of lr, clamp-gradients, ortho-lambda, gamma, eta, steps"),
            ("ar:eta=fast", "--rule 'ar:eta=fast': eta needs a number, not 'fast'"),
            ("ar:eta=2", "--rule 'ar:eta=2': --eta must be in (0, 1], not 2"),
            ("bp:lr=-1", "--rule 'bp:lr=-1': --lr must be a positive number"),
            ("ar:steps=2.5", "--rule 'ar:steps=2.5': steps must be a whole number of at least 1, not 2.5"),
            ("ar:eta=1:eta=0.5", "--rule 'ar:eta=1:eta=0.5' sets eta twice"),
            ("xx:lr=1", "--rule 'xx:lr=1': unknown rule 'xx'"),
            ("bp:lr=1,bp:lr=1", "names 'bp:lr=1' twice"),
            ("gait:gamma=0.5", "--rule gait needs an invertible model"),
        };
        foreach (var (rules, message) in cases)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = Program.Run(new[] { "train", "--rule", rules, "--out", Root }, stdout, stderr);
            Assert.True(code == Program.UsageError, rules + ": exit " + code + ", " + stderr);
            Assert.Contains(message, stderr.ToString());
        }
        Assert.Empty(Directory.GetDirectories(Root));
    }
}
