using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>
/// A rule's own state between steps (backward weights, optimiser moments, …) as an immutable value that each
/// step returns anew. Stateless rules use <see cref="Empty"/>.
/// </summary>
public record RuleState
{
    /// <summary>The state of a stateless rule.</summary>
    public static RuleState Empty { get; } = new();
}

/// <summary>What one application of a rule to a batch yields.</summary>
/// <param name="Updates">The descent direction per parameter (the gradient for backprop), summed over the batch: θ &lt;- θ - lr * update.</param>
/// <param name="Forward">The forward record the rule computed.</param>
/// <param name="State">The rule's state after the step.</param>
/// <param name="Metrics">Named scalar diagnostics (iterations used, final residual, …).</param>
public sealed record RuleUpdate(ParameterSet Updates, ForwardRecord Forward, RuleState State, ImmutableSortedDictionary<string, double> Metrics);

/// <summary>
/// A learning rule: a pure function (graph, parameters, batch[, state]) -> updates. Backprop, Activation Relaxation
/// and the rules to come (AR variants, GAIT-prop, predictive coding, feedback alignment) share this signature, so a
/// trainer can run any of them on one declared graph. A new rule is a new file deriving from this record.
/// </summary>
public abstract partial record LearningRule
{
    /// <summary>A short name for tables and logs.</summary>
    public abstract string Name { get; }

    /// <summary>The state a rule starts from for <paramref name="graph"/> and <paramref name="parameters"/>.</summary>
    public virtual RuleState InitialState(ComputationGraph graph, ParameterSet parameters) => RuleState.Empty;

    /// <summary>Computes the updates for one batch from the given state.</summary>
    public abstract RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state);

    /// <summary>Computes the updates for one batch from the initial state.</summary>
    public RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch) =>
        Compute(graph, parameters, batch, InitialState(graph, parameters));
}
