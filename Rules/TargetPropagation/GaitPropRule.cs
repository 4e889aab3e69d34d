using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules.TargetPropagation;

/// <summary>
/// GAIT-prop (Ahmad, van Gerven, Ambrogioni, arXiv 2006.06438): target propagation whose targets are small increments of
/// the forward pass, t_{l−1} = g_l((1 − γ f′²) h_l + γ f′² t_l) with the multiplier m ← m / γ per layer, on an
/// invertible chain (<see cref="InvertibleChain"/>). With orthogonal weights its updates approach backprop's as γ → 0.
/// </summary>
/// <param name="Gamma">The increment γ in (0, 1]; the authors' 1e-3 by default.</param>
public sealed record GaitPropRule(double Gamma = 1e-3) : LearningRule
{
    /// <inheritdoc/>
    public override string Name => "gait";

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        var walk = LayerTargets.Run(graph, parameters, batch, new LayerTargets.Increment(Gamma));
        return new RuleUpdate(walk.Updates, walk.Forward, state, ImmutableSortedDictionary<string, double>.Empty.Add("loss", walk.Forward.LossValue));
    }
}
