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
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state) =>
        LayerTargets.Update(graph, parameters, batch, state, null);

    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1) =>
        LayerTargets.CreateState<TGraph, T>(this, null, maxBatch, threads);
}
