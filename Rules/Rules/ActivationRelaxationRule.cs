using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>Activation Relaxation: relax the units, then take each parameter's local update from its consumer's unit.</summary>
/// <param name="Options">The relaxation settings (the authors': eta 0.1, 100 iterations).</param>
public sealed partial record ActivationRelaxationRule(RelaxationOptions Options) : LearningRule
{
    /// <summary>AR with the authors' settings.</summary>
    public ActivationRelaxationRule() : this(new RelaxationOptions())
    {
    }

    /// <inheritdoc/>
    public override string Name => "ar";

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        var record = Forward.Run(graph, parameters, batch);
        var relaxed = ActivationRelaxation.Relax(record, Options);
        var metrics = ImmutableSortedDictionary<string, double>.Empty
            .Add("loss", record.LossValue)
            .Add("iterations", relaxed.Iterations)
            .Add("residual", relaxed.Residuals.IsEmpty ? 0.0 : relaxed.Residuals[^1]);
        return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, relaxed), record, state, metrics);
    }
}
