using System.Collections.Immutable;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules.TargetPropagation;

/// <summary>
/// Target propagation with exact inverses, the GAIT-prop authors' TP baseline: each layer's input target is its inverse
/// of the full output target, t_{l−1} = g_l(t_l), and its error (h_l − t_l) ⊙ f′ gives the updates (no increment, no
/// multiplier), on an invertible chain (<see cref="InvertibleChain"/>).
/// </summary>
public sealed record TargetPropagationRule : LearningRule
{
    /// <inheritdoc/>
    public override string Name => "tp";

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        var walk = LayerTargets.Run(graph, parameters, batch, new LayerTargets.Increment(null));
        return new RuleUpdate(walk.Updates, walk.Forward, state, ImmutableSortedDictionary<string, double>.Empty.Add("loss", walk.Forward.LossValue));
    }

    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        var chain = LayerTargets.ChainOf(TGraph.Layout.Graph);
        var inverses = new LayerInverses<T>(TGraph.Layout, chain);
        var run = new TrainingRun<TGraph, T, TargetPhase<T>>(this, new TargetPhase<T>(chain, inverses, null), maxBatch, threads, inverses);
        inverses.Pool = run.Pool;
        return run;
    }
}
