using System;
using System.Collections.Generic;
using System.Linq;
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

    /// <summary>The same MLP with tanh hidden layers, as the AR follow-up's MLPs (examples/Models/PaperMlpTanh.cs).</summary>
    public const string PaperMlpTanh = "paper-mlp-tanh";

    /// <summary>The follow-up's CNN on 28×28 grey images (examples/Models/PaperCnn.cs): conv 5×5 1→6, max-pool 2, conv 5×5 6→16, dense 1024-120-120-10, tanh.</summary>
    public const string PaperCnn = "paper-cnn";

    /// <summary>The same CNN on 32×32 colour images (CIFAR-10's shape): conv 5×5 3→6, max-pool 2, conv 5×5 6→16, dense 1600-120-120-10.</summary>
    public const string PaperCnnColour = "paper-cnn-colour";

    /// <summary>The GAIT-prop paper's square network (examples/Models/GaitPropNetworks.cs): five 784-wide invertible leaky-ReLU layers, the classes in the output's first 10 units.</summary>
    public const string GaitSquare = "gait-square";

    /// <summary>The GAIT-prop paper's tower (784, 784, 500, 200, 10), the dropped units carried as auxiliaries.</summary>
    public const string GaitTower = "gait-tower";

    /// <summary>Every model name.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { PaperMlp, PaperMlpTanh, PaperCnn, PaperCnnColour, GaitSquare, GaitTower };

    /// <summary>The models that are invertible chains, which target propagation and GAIT-prop need.</summary>
    public static IReadOnlyList<string> Invertible { get; } = new[] { GaitSquare, GaitTower };

    /// <summary>The values one sample's input takes in <paramref name="model"/> (its declared input's size: 784 for the MNIST models, 3,072 for the colour CNN).</summary>
    /// <exception cref="UsageException">An unknown model.</exception>
    public static int InputSize(string model) => Dispatch(model, "float32", new InputSizeProbe());

    /// <summary>Reads the declared input's size from the compiled graph's layout (the "exit code" of the job is the size).</summary>
    private sealed class InputSizeProbe : ICompiledGraphJob
    {
        public int Run<TGraph, T>()
            where TGraph : struct, ICompiledGraph<T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T> => TGraph.Layout.Sizes[TGraph.Layout.InputIds[0]];
    }

    /// <summary>Runs <paramref name="job"/> on the compiled code of <paramref name="model"/> in <paramref name="precision"/> (float32 or float64).</summary>
    public static int Dispatch(string model, string precision, ICompiledGraphJob job) => (model, precision) switch
    {
        (PaperMlp, "float32") => job.Run<Examples.PaperMlp.Float32, float>(),
        (PaperMlp, "float64") => job.Run<Examples.PaperMlp.Float64, double>(),
        (PaperMlpTanh, "float32") => job.Run<Examples.PaperMlpTanh.Float32, float>(),
        (PaperMlpTanh, "float64") => job.Run<Examples.PaperMlpTanh.Float64, double>(),
        (PaperCnn, "float32") => job.Run<Examples.PaperCnn.Float32, float>(),
        (PaperCnn, "float64") => job.Run<Examples.PaperCnn.Float64, double>(),
        (PaperCnnColour, "float32") => job.Run<Examples.PaperCnnColour.Float32, float>(),
        (PaperCnnColour, "float64") => job.Run<Examples.PaperCnnColour.Float64, double>(),
        (GaitSquare, "float32") => job.Run<Examples.GaitSquare.Float32, float>(),
        (GaitSquare, "float64") => job.Run<Examples.GaitSquare.Float64, double>(),
        (GaitTower, "float32") => job.Run<Examples.GaitTower.Float32, float>(),
        (GaitTower, "float64") => job.Run<Examples.GaitTower.Float64, double>(),
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

    /// <summary>AR with the relaxation's f′ at the current units (the unfrozen feedforward pass of arXiv 2010.06219; the update's f′ stored).</summary>
    public const string CurrentFPrime = "ar-current-fprime";

    /// <summary>AR with f′ at the current units in the relaxation and in the weight update.</summary>
    public const string CurrentFPrimeBoth = "ar-current-fprime-both";

    /// <summary>AR with the relaxed units instead of the stored activations as the weight update's inputs (reported to fail).</summary>
    public const string CurrentInputs = "ar-current-inputs";

    /// <summary>Strict predictive coding (predictions recomputed from the value nodes at every step).</summary>
    public const string StrictPredictiveCoding = "pc-strict";

    /// <summary>Predictive coding with the fixed-prediction assumption.</summary>
    public const string PredictiveCoding = "pc";

    /// <summary>Direct feedback alignment.</summary>
    public const string DirectFeedbackAlignment = "dfa";

    /// <summary>GAIT-prop (invertible models only).</summary>
    public const string GaitProp = "gait";

    /// <summary>Target propagation with exact inverses (invertible models only).</summary>
    public const string TargetPropagation = "tp";

    /// <summary>The AR family and its relatives: what <c>compare</c> runs by default on the AR papers' models.</summary>
    public static IReadOnlyList<string> ArFamily { get; } = new[]
    {
        ActivationRelaxation, Backprop, LearnedPsi, RandomPsi, NoFPrime, LearnedPsiNoFPrime, CurrentFPrime, CurrentFPrimeBoth, CurrentInputs, FeedbackAlignment, DirectFeedbackAlignment, PredictiveCoding, StrictPredictiveCoding,
    };

    /// <summary>The rules that need an invertible model (see <see cref="TrainModels.Invertible"/>).</summary>
    public static IReadOnlyList<string> NeedInvertible { get; } = new[] { GaitProp, TargetPropagation };

    /// <summary>What <c>compare</c> runs by default on the GAIT-prop paper's models.</summary>
    public static IReadOnlyList<string> TargetFamily { get; } = new[] { Backprop, GaitProp, TargetPropagation };

    /// <summary>Every rule name.</summary>
    public static IReadOnlyList<string> Names { get; } = ArFamily.Concat(NeedInvertible).ToArray();

    /// <summary>The rule named <paramref name="name"/> with the settings of <paramref name="config"/>, for the sub-run of <paramref name="seed"/>.</summary>
    public static LearningRule Create(string name, TrainConfig config, int seed)
    {
        var rule = CreateUnregularised(name, config, seed);
        return config.OrthogonalityLambda > 0
            ? new OrthogonalityRegularised(rule, config.OrthogonalityLambda, config.OrthogonalityPenalty == "frobenius" ? Symbolic.Rules.OrthogonalityPenalty.Frobenius : Symbolic.Rules.OrthogonalityPenalty.OffDiagonal)
            : rule;
    }

    private static LearningRule CreateUnregularised(string name, TrainConfig config, int seed) => name switch
    {
        Backprop => new BackpropRule(),
        ActivationRelaxation => new ActivationRelaxationRule(config.Relaxation),
        LearnedPsi => new ActivationRelaxationRule(config.Relaxation, BackwardWeights.Learned, FeedbackSeed(seed), FeedbackInit: FeedbackInitOf(name, config)),
        RandomPsi => new ActivationRelaxationRule(config.Relaxation, BackwardWeights.FixedRandom, FeedbackSeed(seed), FeedbackInit: FeedbackInitOf(name, config)),
        FeedbackAlignment => new FeedbackAlignmentRule(FeedbackSeed(seed), FeedbackInitOf(name, config)),
        NoFPrime => new ActivationRelaxationRule(config.Relaxation with { UseDerivative = false }),
        LearnedPsiNoFPrime => new ActivationRelaxationRule(config.Relaxation with { UseDerivative = false }, BackwardWeights.Learned, FeedbackSeed(seed), FeedbackInit: FeedbackInitOf(name, config)),
        CurrentFPrime => new ActivationRelaxationRule(config.Relaxation with { JacobiansAtCurrentUnits = true }),
        CurrentFPrimeBoth => new ActivationRelaxationRule(config.Relaxation with { JacobiansAtCurrentUnits = true }, UpdateDerivativeAtCurrentUnits: true),
        CurrentInputs => new ActivationRelaxationRule(config.Relaxation, UpdateInputsAtCurrentUnits: true),
        PredictiveCoding => new PredictiveCodingRule(config.RelaxationSteps, config.Eta),
        StrictPredictiveCoding => new PredictiveCodingRule(config.RelaxationSteps, config.Eta, FixedPrediction: false),
        DirectFeedbackAlignment => new DirectFeedbackAlignmentRule(FeedbackSeed(seed), FeedbackInitOf(name, config)),
        GaitProp => new Symbolic.Rules.TargetPropagation.GaitPropRule(config.Gamma),
        TargetPropagation => new Symbolic.Rules.TargetPropagation.TargetPropagationRule(),
        _ => throw new UsageException($"--rule: unknown rule '{name}'; rules are {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// The distribution of rule <paramref name="name"/>'s random backward matrices under <c>--feedback-init</c>: with
    /// <c>rule</c>, N(0, 0.05) for the psi rules and fa (the scale of the weights the matrices stand in for, as the AR
    /// authors' psi) and uniform on ±1/sqrt(fan-out) for dfa (Nøkland's code).
    /// </summary>
    public static FeedbackInit FeedbackInitOf(string name, TrainConfig config) => config.FeedbackInit switch
    {
        "normal005" => FeedbackInit.Normal005,
        "uniform-fan-out" => FeedbackInit.UniformFanOut,
        _ => name == DirectFeedbackAlignment ? FeedbackInit.UniformFanOut : FeedbackInit.Normal005,
    };

    private static string FeedbackInitText(FeedbackInit init) => init == FeedbackInit.UniformFanOut ? "uniform on +-1/sqrt(fan-out)" : "N(0, 0.05)";

    // The random backward matrices are drawn from a stream of their own derived from the sub-run's seed, so each seed
    // varies them too and they never coincide with the initial weights' draws.
    private static int FeedbackSeed(int seed) => unchecked(seed * 7919 + 104_729);

    /// <summary>What the rule is, in a few words, for summaries.</summary>
    public static string Describe(string name, TrainConfig config) => name switch
    {
        Backprop => "backprop",
        ActivationRelaxation => FormattableString.Invariant($"AR, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        LearnedPsi => FormattableString.Invariant($"AR with learned backward weights (psi from {FeedbackInitText(FeedbackInitOf(name, config))}, moved by the transpose of W's update), eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        RandomPsi => FormattableString.Invariant($"AR with fixed random backward weights {FeedbackInitText(FeedbackInitOf(name, config))}, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        FeedbackAlignment => "feedback alignment, fixed random B " + FeedbackInitText(FeedbackInitOf(name, config)),
        NoFPrime => FormattableString.Invariant($"AR without f' in the relaxation (kept in the weight update), eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        LearnedPsiNoFPrime => FormattableString.Invariant($"AR with learned psi and without f' in the relaxation, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        DirectFeedbackAlignment => "direct feedback alignment, the output error to each layer through fixed random B " + FeedbackInitText(FeedbackInitOf(name, config)),
        CurrentFPrime => FormattableString.Invariant($"AR with f' at the current units in the relaxation (f'(W x + b) of the relaxing unit below; stored f' in the update), eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        CurrentFPrimeBoth => FormattableString.Invariant($"AR with f' at the current units in the relaxation and the weight update, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        CurrentInputs => FormattableString.Invariant($"AR with the relaxed units instead of the stored activations as the weight update's inputs, eta {config.Eta}, {config.RelaxationSteps} {config.Schedule} steps"),
        StrictPredictiveCoding => FormattableString.Invariant($"strict predictive coding (predictions recomputed from the value nodes every step), value nodes on every node, {config.RelaxationSteps} synchronous inference steps at rate {config.Eta}"),
        PredictiveCoding => FormattableString.Invariant($"predictive coding with the fixed-prediction assumption, errors on every node from zero, {config.RelaxationSteps} synchronous inference steps at rate {config.Eta}"),
        GaitProp => FormattableString.Invariant($"GAIT-prop, gamma {config.Gamma}, exact inverses by LU"),
        TargetPropagation => "target propagation with exact inverses (LU) of the full target",
        _ => name,
    } + (config.OrthogonalityLambda > 0 ? FormattableString.Invariant($", plus {config.OrthogonalityLambda} x the {(config.OrthogonalityPenalty == "frobenius" ? "||W W^T - I||^2" : "off-diagonal (W W^T)_ij^2")} penalty's gradient (times the batch size)") : "");
}
