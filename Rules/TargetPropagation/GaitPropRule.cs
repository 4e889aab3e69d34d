using Symbolic.Graph;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules.TargetPropagation;

/// <summary>
/// GAIT-prop (Ahmad, van Gerven, Ambrogioni, arXiv 2006.06438): target propagation whose targets are small increments of
/// the forward pass, t_{l−1} = g_l((1 − γ f′²) h_l + γ f′² t_l) with the multiplier m ← m / γ per layer, on an
/// invertible chain (<see cref="InvertibleChain"/>). With orthogonal weights its updates approach backprop's as γ → 0.
/// </summary>
/// <param name="Gamma">The increment γ in (0, 1]; the authors' 1e-3 by default.</param>
public sealed record GaitPropRule(double Gamma = 1e-3) : LearningRule
{
    /// <summary>The increment γ, in (0, 1].</summary>
    public double Gamma { get; init => field = Require(value); } = Require(Gamma);

    /// <inheritdoc/>
    public override string Name => "gait";

    private static double Require(double gamma) =>
        gamma > 0 && gamma <= 1 ? gamma : throw new System.ArgumentOutOfRangeException(nameof(Gamma), gamma, "GAIT-prop's gamma must lie in (0, 1].");

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state) =>
        LayerTargets.Update(graph, parameters, batch, state, Gamma);

    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1) =>
        LayerTargets.CreateState<TGraph, T>(this, Gamma, maxBatch, threads);
}
