using System;
using System.Collections.Generic;
using System.Numerics;
using Symbolic.Cli.CommandLine;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;

namespace Symbolic.Cli.Train;

/// <summary>Work that runs on one compiled graph in one precision (the graph and number types are type arguments, so it runs specialised).</summary>
public interface ICompiledGraphJob
{
    /// <summary>Runs on <typeparamref name="TGraph"/>; returns an exit code.</summary>
    int Run<TGraph, T>()
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>;
}

/// <summary>The declared models <c>symbolic train</c> can train, by name, and the dispatch to their generated code.</summary>
public static class TrainModels
{
    /// <summary>The AR paper's MLP, 784-300-300-100-10 with ReLU (examples/Models/PaperMlp.cs).</summary>
    public const string PaperMlp = "paper-mlp";

    /// <summary>Every model name.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { PaperMlp };

    /// <summary>Runs <paramref name="job"/> on the compiled code of <paramref name="model"/> in <paramref name="precision"/> (float32 or float64).</summary>
    public static int Dispatch(string model, string precision, ICompiledGraphJob job) => (model, precision) switch
    {
        (PaperMlp, "float32") => job.Run<Examples.PaperMlp.Float32, float>(),
        (PaperMlp, "float64") => job.Run<Examples.PaperMlp.Float64, double>(),
        _ => throw new UsageException($"no compiled code for model '{model}' in '{precision}'"),
    };
}

/// <summary>The learning rules <c>symbolic train</c> knows, by the name used in <c>--rule</c>, run folders and plots.</summary>
public static class TrainRules
{
    /// <summary>Backprop.</summary>
    public const string Backprop = "bp";

    /// <summary>Activation Relaxation with the run's eta, steps and schedule.</summary>
    public const string ActivationRelaxation = "ar";

    /// <summary>AR with learned backward weights ψ (AR v5 §4).</summary>
    public const string LearnedPsi = "ar-learned-psi";

    /// <summary>AR with fixed random backward weights ψ.</summary>
    public const string RandomPsi = "ar-random-psi";

    /// <summary>Feedback alignment.</summary>
    public const string FeedbackAlignment = "fa";

    /// <summary>AR without f′ in the relaxation, with it in the weight update (the AR authors' MLP code).</summary>
    public const string NoFPrime = "ar-no-fprime";

    /// <summary>Learned ψ and no f′ in the relaxation together.</summary>
    public const string LearnedPsiNoFPrime = "ar-learned-psi-no-fprime";

    /// <summary>Predictive coding with the fixed-prediction assumption.</summary>
    public const string PredictiveCoding = "pc";

    /// <summary>Direct feedback alignment.</summary>
    public const string DirectFeedbackAlignment = "dfa";

    /// <summary>Every rule name.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { ActivationRelaxation, Backprop, LearnedPsi, RandomPsi, NoFPrime, LearnedPsiNoFPrime, FeedbackAlignment, DirectFeedbackAlignment, PredictiveCoding };

    /// <summary>The rule named <paramref name="name"/> with the settings of <paramref name="config"/>, for the sub-run of <paramref name="seed"/>.</summary>
    public static LearningRule Create(string name, TrainConfig config, int seed) => name switch
    {
        Backprop => new BackpropRule(),
        ActivationRelaxation => new ActivationRelaxationRule(config.Relaxation),
        LearnedPsi => new ActivationRelaxationRule(config.Relaxation, BackwardWeights.Learned, FeedbackSeed(seed)),
        RandomPsi => new ActivationRelaxationRule(config.Relaxation, BackwardWeights.FixedRandom, FeedbackSeed(seed)),
        FeedbackAlignment => new FeedbackAlignmentRule(FeedbackSeed(seed)),
        NoFPrime => new ActivationRelaxationRule(config.Relaxation with { UseDerivative = false }),
        LearnedPsiNoFPrime => new ActivationRelaxationRule(config.Relaxation with { UseDerivative = false }, BackwardWeights.Learned, FeedbackSeed(seed)),
        PredictiveCoding => new PredictiveCodingRule(config.RelaxationSteps, config.Eta),
        DirectFeedbackAlignment => new DirectFeedbackAlignmentRule(FeedbackSeed(seed)),
        _ => throw new UsageException($"--rule: unknown rule '{name}'; rules are {string.Join(", ", Names)}"),
    };

    // The random backward matrices are drawn from a stream of their own derived from the sub-run's seed, so each seed
    // varies them too and they never coincide with the initial weights' draws.
    private static int FeedbackSeed(int seed) => unchecked(seed * 7919 + 104_729);

    /// <summary>What the rule is, in a few words, for summaries.</summary>
    public static string Describe(string name, TrainConfig config) => name switch
    {
        Backprop => "backprop",
        ActivationRelaxation => FormattableString.Invariant($"AR, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        LearnedPsi => FormattableString.Invariant($"AR with learned backward weights (psi from N(0, 0.05), moved by the transpose of W's update), eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        RandomPsi => FormattableString.Invariant($"AR with fixed random backward weights N(0, 0.05), eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        FeedbackAlignment => "feedback alignment, fixed random B uniform on +-1/sqrt(fan-out)",
        NoFPrime => FormattableString.Invariant($"AR without f' in the relaxation (kept in the weight update), eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        LearnedPsiNoFPrime => FormattableString.Invariant($"AR with learned psi and without f' in the relaxation, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        DirectFeedbackAlignment => "direct feedback alignment, the output error to each layer through fixed random B uniform on +-1/sqrt(layer size)",
        PredictiveCoding => FormattableString.Invariant($"predictive coding with the fixed-prediction assumption, errors on every node from zero, {config.RelaxationSteps} synchronous inference steps at rate {config.Eta}"),
        _ => name,
    };
}
