using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>Backpropagation: the updates are the exact loss gradients.</summary>
public sealed partial record BackpropRule : LearningRule
{
    /// <inheritdoc/>
    public override string Name => "bp";

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        var record = Forward.Run(graph, parameters, batch);
        var gradients = Backprop.Run(record);
        return new RuleUpdate(gradients.ParameterGradients, record, state, ImmutableSortedDictionary<string, double>.Empty.Add("loss", record.LossValue));
    }
}
