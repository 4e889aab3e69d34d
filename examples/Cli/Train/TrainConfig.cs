using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using Symbolic.Cli.CommandLine;
using Symbolic.Rules;
using Symbolic.Cli.Data;
using Symbolic.Rules.Data;
using Symbolic.Rules.Training;

namespace Symbolic.Cli.Train;

/// <summary>
/// Everything a <c>symbolic train</c> run is: what <c>config.json</c> in its run folder holds, so <c>--resume</c> can
/// continue it exactly. Every (rule, seed) pair is one sub-run; all sub-runs of a seed start from the same parameters
/// and visit the samples in the same order.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>The file name of the configuration in a run folder.</summary>
    public const string FileName = "config.json";

    /// <summary>The declared model (see <see cref="TrainModels"/>).</summary>
    public string Model { get; init; } = TrainModels.PaperMlp;

    /// <summary>mnist or fashion-mnist.</summary>
    public string Dataset { get; init; } = KnownDatasets.Mnist.Name;

    /// <summary>The user's folder of IDX files, or null for the cache.</summary>
    public string? Data { get; init; }

    /// <summary>The rules, by name (see <see cref="TrainRules"/>), in the order they train.</summary>
    public IReadOnlyList<string> Rules { get; init; } = new[] { "ar", "bp" };

    /// <summary>The seeds: each draws the initial parameters and the batch order.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = new[] { 1 };

    /// <summary>The epochs of every sub-run.</summary>
    public int Epochs { get; init; } = 2;

    /// <summary>The samples of a training step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The optimiser: sgd, momentum or adam.</summary>
    public string Optimiser { get; init; } = "sgd";

    /// <summary>The learning rate (on gradients summed over the batch, as the AR authors).</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>Every gradient element clamped to ±this before the optimiser's step (the AR authors' CNN: 50); 0 clamps nothing.</summary>
    public double GradientClamp { get; init; }

    /// <summary>Momentum's coefficient (with <c>--optimiser momentum</c>).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>GAIT-prop's increment γ (the authors' 1e-3).</summary>
    public double Gamma { get; init; } = 1e-3;

    /// <summary>λ of the orthogonality regulariser added to every rule's weight updates; 0 for none (GAIT-prop's authors: 0.1 for GAIT, 1000 for TP).</summary>
    public double OrthogonalityLambda { get; init; }

    /// <summary>The penalty: off-diagonal (Σ_{i≠j} ((W Wᵀ)_ij)², the authors') or frobenius (‖W Wᵀ − I‖²).</summary>
    public string OrthogonalityPenalty { get; init; } = "off-diagonal";

    /// <summary>AR's relaxation rate.</summary>
    public double Eta { get; init; } = 0.1;

    /// <summary>AR's relaxation steps per training step.</summary>
    public int RelaxationSteps { get; init; } = 100;

    /// <summary>AR's schedule: topdown, synchronous or closed-form.</summary>
    public string Schedule { get; init; } = "topdown";

    /// <summary>The initialiser: normal005, xavier, he or orthogonal.</summary>
    public string Initialiser { get; init; } = "normal005";

    /// <summary>
    /// The distribution of the random backward matrices of fa, dfa and the psi rules: rule (each rule's default, see
    /// <see cref="TrainRules.FeedbackInitOf"/>), normal005 (N(0, 0.05), the AR authors' psi) or uniform-fan-out (uniform on
    /// ±1/sqrt(fan-out), Nøkland's DFA code).
    /// </summary>
    public string FeedbackInit { get; init; } = "rule";

    /// <summary>Pixel scale: 01 ([0, 1]) or pm1 ([-1, 1]).</summary>
    public string Pixels { get; init; } = "01";

    /// <summary>float32 or float64.</summary>
    public string Precision { get; init; } = "float32";

    /// <summary>The threads of a training step.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Drop the incomplete last batch of an epoch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Every this many steps a step record: the batch's loss and, for a rule other than backprop, its angle to backprop's gradient per parameter and its relaxation residual.</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>The command line that started the run (for the summary).</summary>
    public string Command { get; init; } = "";

    /// <summary>The trainer settings of the sub-runs with seed <paramref name="seed"/>.</summary>
    public TrainerSettings TrainerSettings(int seed) => new(Epochs, BatchSize, seed, Threads, DropLast);

    /// <summary>The optimiser.</summary>
    public Optimiser CreateOptimiser()
    {
        Optimiser optimiser = Optimiser switch
        {
            "sgd" => new Sgd(LearningRate),
            "momentum" => new Momentum(LearningRate, Momentum),
            "adam" => new Adam(LearningRate),
            "adam-uncorrected" => Adam.GaitProp(LearningRate),
            _ => throw new UsageException($"--optimiser must be sgd, momentum, adam or adam-uncorrected, not '{Optimiser}'"),
        };
        return GradientClamp > 0 ? optimiser with { GradientClamp = GradientClamp } : optimiser;
    }

    /// <summary>The initialiser.</summary>
    public Initialiser CreateInitialiser() => Initialiser switch
    {
        "normal005" => Symbolic.Rules.Initialiser.Normal005,
        "xavier" => Symbolic.Rules.Initialiser.Xavier,
        "he" => Symbolic.Rules.Initialiser.He,
        "orthogonal" => Symbolic.Rules.Initialiser.Orthogonal,
        "xavier-normal" => Symbolic.Rules.Initialiser.XavierNormal,
        _ => throw new UsageException($"--init must be normal005, xavier, xavier-normal, he or orthogonal, not '{Initialiser}'"),
    };

    /// <summary>The pixel scale.</summary>
    public PixelScale PixelScale => Pixels == "pm1" ? Symbolic.Rules.Data.PixelScale.MinusOneToOne : Symbolic.Rules.Data.PixelScale.ZeroToOne;

    /// <summary>The relaxation options of AR.</summary>
    public RelaxationOptions Relaxation => new(Eta, RelaxationSteps, 0.0, Schedule switch
    {
        "synchronous" => RelaxationSchedule.Synchronous,
        "closed-form" => RelaxationSchedule.SynchronousClosedForm,
        _ => RelaxationSchedule.TopDown,
    });

    /// <summary>The rules as parsed items of <c>--rules</c> (a name and the settings it overrides), in the order they train.</summary>
    public IReadOnlyList<RuleSpec> RuleSpecs() => Rules.Select(RuleSpec.Parse).ToArray();

    /// <summary>The configuration the sub-runs of <paramref name="rule"/> (an item of <see cref="Rules"/>) train with: the run's settings with the rule's overrides.</summary>
    public TrainConfig ForRule(string rule) => RuleSpec.Parse(rule).Apply(this);

    /// <summary>Checks every setting; throws <see cref="UsageException"/> naming the option.</summary>
    public void Validate()
    {
        if (!TrainModels.Names.Contains(Model)) throw new UsageException($"--model must be {string.Join(" or ", TrainModels.Names)}, not '{Model}'");
        if (DataStore.ImageShape(Dataset) is not var (channels, rows, cols)) throw new UsageException($"--dataset must be {string.Join(" or ", DataStore.DatasetNames)}, not '{Dataset}'");
        int inputSize = TrainModels.InputSize(Model);
        if (inputSize != channels * rows * cols)
        {
            string fits = string.Join(" or ", TrainModels.Names.Where(m => TrainModels.InputSize(m) == channels * rows * cols));
            throw new UsageException($"--model {Model} takes {inputSize} values per image but {Dataset}'s images are {(channels > 1 ? channels + "x" : "")}{rows}x{cols} ({channels * rows * cols}); "
                + (fits.Length > 0 ? $"train {fits} on {Dataset}" : $"no model here takes {Dataset}'s images"));
        }
        if (Rules.Count == 0) throw new UsageException("--rule needs at least one rule");
        var specs = RuleSpecs();
        var twice = specs.GroupBy(r => r.Text, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new UsageException($"--rule names '{twice.Key}' twice");
        var sameFile = specs.GroupBy(r => RuleSpec.FileSafe(r.Text), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (sameFile != null) throw new UsageException($"--rule: '{string.Join("' and '", sameFile.Select(r => r.Text))}' would share a checkpoint file ('{sameFile.Key}'); write them differently");
        if (specs.FirstOrDefault(r => TrainRules.NeedInvertible.Contains(r.Name)) is { } inverting && !TrainModels.Invertible.Contains(Model))
        {
            throw new UsageException($"--rule {inverting.Name} needs an invertible model (square layers, invertible activations): {string.Join(" or ", TrainModels.Invertible)}, not '{Model}'");
        }
        ValidateSettings();
        foreach (var spec in specs.Where(s => s.Overrides.Count > 0))
        {
            try
            {
                spec.Apply(this).ValidateSettings();
            }
            catch (UsageException e)
            {
                throw new UsageException($"--rule '{spec.Text}': {e.Message}");
            }
        }
    }

    // The settings a rule may override are checked once for the run and once more for every rule that overrides any.
    private void ValidateSettings()
    {
        if (!(Gamma > 0 && Gamma <= 1)) throw new UsageException($"--gamma must be in (0, 1], not {Gamma.ToString(CultureInfo.InvariantCulture)}");
        if (!(OrthogonalityLambda >= 0 && double.IsFinite(OrthogonalityLambda))) throw new UsageException($"--ortho-lambda must be 0 (none) or a positive number, not {OrthogonalityLambda.ToString(CultureInfo.InvariantCulture)}");
        if (OrthogonalityPenalty is not ("off-diagonal" or "frobenius")) throw new UsageException($"--ortho-penalty must be off-diagonal or frobenius, not '{OrthogonalityPenalty}'");
        if (Seeds.Count == 0) throw new UsageException("--seed needs at least one seed");
        if (Seeds.Distinct().Count() != Seeds.Count) throw new UsageException("--seed names a seed twice");
        if (Epochs < 1) throw new UsageException($"--epochs must be at least 1, not {Epochs}");
        if (BatchSize < 1) throw new UsageException($"--batch must be at least 1, not {BatchSize}");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new UsageException($"--lr must be a positive number, not {LearningRate.ToString(CultureInfo.InvariantCulture)}");
        if (!(GradientClamp >= 0 && double.IsFinite(GradientClamp))) throw new UsageException($"--clamp-gradients must be 0 (no clamp) or a positive number, not {GradientClamp.ToString(CultureInfo.InvariantCulture)}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new UsageException($"--momentum must be in [0, 1), not {Momentum.ToString(CultureInfo.InvariantCulture)}");
        if (!(Eta > 0 && Eta <= 1)) throw new UsageException($"--eta must be in (0, 1], not {Eta.ToString(CultureInfo.InvariantCulture)}");
        if (RelaxationSteps < 1) throw new UsageException($"--steps must be at least 1, not {RelaxationSteps}");
        if (Schedule is not ("topdown" or "synchronous" or "closed-form")) throw new UsageException($"--schedule must be topdown, synchronous or closed-form, not '{Schedule}'");
        if (Schedule == "closed-form" && Rules.Select(r => RuleSpec.Parse(r).Name).FirstOrDefault(r => r.Contains("no-fprime", StringComparison.Ordinal) || r.Contains("current-fprime", StringComparison.Ordinal)) is { } open)
        {
            throw new UsageException($"--schedule closed-form computes backprop's fixed point, which needs f' frozen at the forward pass; '{open}' needs --schedule topdown or synchronous");
        }
        if (FeedbackInit is not ("rule" or "normal005" or "uniform-fan-out")) throw new UsageException($"--feedback-init must be rule, normal005 or uniform-fan-out, not '{FeedbackInit}'");
        if (Pixels is not ("01" or "pm1")) throw new UsageException($"--pixels must be 01 or pm1, not '{Pixels}'");
        if (Precision is not ("float32" or "float64")) throw new UsageException($"--precision must be float32 or float64, not '{Precision}'");
        if (Threads is < 1 or > Symbolic.Rules.Training.TrainerSettings.MaxThreads) throw new UsageException($"--threads must be between 1 and {Symbolic.Rules.Training.TrainerSettings.MaxThreads}, not {Threads}");
        if (LogEvery < 1) throw new UsageException($"--log-every must be at least 1, not {LogEvery}");
        CreateOptimiser();
        CreateInitialiser();
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The configuration as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <paramref name="path"/>; a missing, unreadable or invalid file is a <see cref="UsageException"/> naming it.</summary>
    public static TrainConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {OutputFile.OneLine(e.Message)}");
        }
        TrainConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<TrainConfig>(text, Json);
        }
        catch (JsonException e)
        {
            throw new UsageException($"'{path}' is not a run configuration: {OutputFile.OneLine(e.Message)}");
        }
        if (config is null) throw new UsageException($"'{path}' is not a run configuration (it is empty)");
        try
        {
            config.Validate();
        }
        catch (UsageException e)
        {
            throw new UsageException($"'{path}' holds an invalid setting: {e.Message}");
        }
        return config;
    }
}
