using System;
using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>Activation Relaxation: relax the units, then take each parameter's local update from its consumer's unit.</summary>
/// <param name="Options">The relaxation settings (the authors': eta 0.1, 100 iterations).</param>
/// <param name="Backward">
/// The matrices the relaxation uses through each weight: the transpose (exact AR), learned ψ, or fixed random ψ
/// (AR v5 §4; see <see cref="BackwardWeights"/>). The weight updates are AR's local ones in every case.
/// </param>
/// <param name="FeedbackSeed">Seeds ψ's random initial (learned) or fixed values, N(0, 0.05²) as the authors.</param>
public sealed partial record ActivationRelaxationRule(RelaxationOptions Options, BackwardWeights Backward = BackwardWeights.Transpose, int FeedbackSeed = 1) : LearningRule
{
    /// <summary>AR with the authors' settings.</summary>
    public ActivationRelaxationRule() : this(new RelaxationOptions())
    {
    }

    /// <inheritdoc/>
    public override string Name => Backward switch
    {
        BackwardWeights.Learned => "ar-learned-psi",
        BackwardWeights.FixedRandom => "ar-random-psi",
        _ => "ar",
    };

    /// <summary>For learned ψ, the offset D = W₀ − ψ₀ (ψ = W − D at every step); for fixed random ψ, ψ itself; exact AR has none.</summary>
    public override RuleState InitialState(ComputationGraph graph, ParameterSet parameters) => Backward switch
    {
        BackwardWeights.Transpose => RuleState.Empty,
        BackwardWeights.FixedRandom => new BackwardState(BackwardMatrices.Draw(graph, FeedbackSeed, FeedbackInit.Normal005)),
        _ => new BackwardState(BackwardMatrices.Draw(graph, FeedbackSeed, FeedbackInit.Normal005).Map((name, psi0) => parameters[name] - psi0)),
    };

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        var record = Forward.Run(graph, parameters, batch);
        var through = record;
        if (Backward != BackwardWeights.Transpose)
        {
            if (state is not BackwardState own) throw new ArgumentException(Name + " needs its BackwardState (from InitialState), not " + state.GetType().Name + ".", nameof(state));
            var psi = Backward == BackwardWeights.Learned ? own.Matrices.Map((name, offset) => parameters[name] - offset) : own.Matrices;
            through = BackwardMatrices.Substitute(record, psi);
        }
        var relaxed = ActivationRelaxation.Relax(through, Options);
        var metrics = ImmutableSortedDictionary<string, double>.Empty
            .Add("loss", record.LossValue)
            .Add("iterations", relaxed.Iterations)
            .Add("residual", relaxed.Residuals.IsEmpty ? 0.0 : relaxed.Residuals[^1]);
        return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, relaxed), record, state, metrics);
    }
}
