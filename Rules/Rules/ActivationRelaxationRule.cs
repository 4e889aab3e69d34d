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
/// <param name="DerivativeInUpdate">
/// Whether the weight update takes f′: dW = (x_j ∘ f′(a_j)) v_iᵀ (true, AR's) or x_j v_iᵀ. Whether the relaxation does is
/// <see cref="RelaxationOptions.UseDerivative"/>; when the two differ, the nodes inside each layer are recomputed from the
/// relaxed units for the update (the AR authors' MLP drops f′ in the relaxation only, their CNN in both). Needs the
/// <see cref="UnitPlacement.Layers"/> placement when they differ.
/// </param>
public sealed partial record ActivationRelaxationRule(RelaxationOptions Options, BackwardWeights Backward = BackwardWeights.Transpose, int FeedbackSeed = 1, bool DerivativeInUpdate = true) : LearningRule
{
    /// <summary>AR with the authors' settings.</summary>
    public ActivationRelaxationRule() : this(new RelaxationOptions())
    {
    }

    /// <inheritdoc/>
    public override string Name => (Backward switch
    {
        BackwardWeights.Learned => "ar-learned-psi",
        BackwardWeights.FixedRandom => "ar-random-psi",
        _ => "ar",
    }) + (Options.UseDerivative, DerivativeInUpdate) switch
    {
        (false, true) => "-no-fprime",
        (false, false) => "-no-fprime-anywhere",
        (true, false) => "-no-fprime-update",
        _ => "",
    };

    /// <summary>Checks the options, including that a different f′ in the update has layer interiors to recompute.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or f′ differs between the relaxation and the update with units on every node.</exception>
    public void Validate()
    {
        Options.Validate();
        if (DerivativeInUpdate != Options.UseDerivative && Options.Units != UnitPlacement.Layers)
        {
            throw new ArgumentException("f' in the weight update but not in the relaxation (or the reverse) needs units per layer (UnitPlacement.Layers): with a unit on every node there is no layer interior to recompute.");
        }
    }

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
        Validate();
        var relaxed = ActivationRelaxation.Relax(through, Options);
        if (DerivativeInUpdate != Options.UseDerivative) relaxed = ActivationRelaxation.RecomputeInterior(through, relaxed, DerivativeInUpdate);
        var metrics = ImmutableSortedDictionary<string, double>.Empty
            .Add("loss", record.LossValue)
            .Add("iterations", relaxed.Iterations)
            .Add("residual", relaxed.Residuals.IsEmpty ? 0.0 : relaxed.Residuals[^1]);
        return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, relaxed), record, state, metrics);
    }
}
