using System;
using System.Collections.Immutable;
using System.Linq;
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
/// <param name="FeedbackInit">The distribution of ψ's random initial (learned) or fixed values (the authors': N(0, 0.05²)).</param>
/// <param name="UpdateDerivativeAtCurrentUnits">
/// Take the weight update's f′ at the current units (f′(W x_i + b) with x_i the relaxed unit below, the unfrozen
/// feedforward pass of arXiv 2010.06219) instead of at the stored pre-activations. Needs f′ in the update and units per layer.
/// </param>
/// <param name="UpdateInputsAtCurrentUnits">
/// Take the weight update's inputs from the relaxed units (dW = δ x_iᵀ) instead of the stored activations (δ v_iᵀ):
/// the follow-up's "current activity in the weight update", which it reports to fail (the relaxed units are gradients).
/// </param>
/// <param name="PsiDecay">
/// Learned ψ only: each step ψ ← (1 − decay) ψ − (W's update)ᵀ, so ψ forgets its random start (0: the authors' transpose
/// update, which keeps W − ψᵀ at its initial value).
/// </param>
public sealed partial record ActivationRelaxationRule(RelaxationOptions Options, BackwardWeights Backward = BackwardWeights.Transpose, int FeedbackSeed = 1, bool DerivativeInUpdate = true,
    FeedbackInit FeedbackInit = FeedbackInit.Normal005, bool UpdateDerivativeAtCurrentUnits = false, bool UpdateInputsAtCurrentUnits = false, double PsiDecay = 0.0) : LearningRule
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
    } + (Options.JacobiansAtCurrentUnits ? "-current-fprime" : "") + (UpdateDerivativeAtCurrentUnits ? "-current-fprime-update" : "")
      + (UpdateInputsAtCurrentUnits ? "-current-inputs" : "") + (PsiDecay > 0 ? "-decay" : "");

    /// <summary>Checks the options, including that an update whose f′ differs from the relaxation's has layer interiors to recompute.</summary>
    /// <exception cref="ArgumentException">An option is out of range or contradicts another.</exception>
    public void Validate()
    {
        Options.Validate();
        if (DerivativeInUpdate != Options.UseDerivative && Options.Units != UnitPlacement.Layers)
        {
            throw new ArgumentException("f' in the weight update but not in the relaxation (or the reverse) needs units per layer (UnitPlacement.Layers): with a unit on every node there is no layer interior to recompute.");
        }
        if (UpdateDerivativeAtCurrentUnits && !DerivativeInUpdate)
        {
            throw new ArgumentException("f' at the current units in the weight update needs f' in the update (DerivativeInUpdate).");
        }
        if (UpdateDerivativeAtCurrentUnits && Options.Units != UnitPlacement.Layers)
        {
            throw new ArgumentException("f' at the current units in the weight update needs units per layer (UnitPlacement.Layers): with a unit on every node the update reads each node's own unit and takes no f'.");
        }
        if (!(PsiDecay >= 0 && PsiDecay < 1)) throw new ArgumentException("The decay of learned psi must be in [0, 1); got " + PsiDecay + ".");
        if (PsiDecay > 0 && Backward != BackwardWeights.Learned) throw new ArgumentException("A psi decay needs learned backward weights (BackwardWeights.Learned), not " + Backward + ".");
        if (!Enum.IsDefined(FeedbackInit)) throw new ArgumentException("Feedback initialisation " + (int)FeedbackInit + " is not one of " + string.Join(", ", Enum.GetNames<FeedbackInit>()) + ".");
    }

    /// <summary>Whether the weight update recomputes the layer interiors from the relaxed units (its f′ differs from the last relaxation step's).</summary>
    internal bool RecomputesInterior => Options.Units == UnitPlacement.Layers
        && (DerivativeInUpdate != Options.UseDerivative || Options.JacobiansAtCurrentUnits || UpdateDerivativeAtCurrentUnits);

    /// <summary>For learned ψ, the offset D = W₀ − ψ₀ (ψ = W − D at every step); for fixed random ψ, ψ itself; exact AR has none.</summary>
    public override RuleState InitialState(ComputationGraph graph, ParameterSet parameters) => Backward switch
    {
        BackwardWeights.Transpose => RuleState.Empty,
        BackwardWeights.FixedRandom => new BackwardState(BackwardMatrices.Draw(graph, FeedbackSeed, FeedbackInit)),
        _ => new BackwardState(BackwardMatrices.Draw(graph, FeedbackSeed, FeedbackInit).Map((name, psi0) => parameters[name] - psi0)),
    };

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        Validate();
        var record = Forward.Run(graph, parameters, batch);
        ParameterSet? psi = null;
        var next = state;
        if (Backward != BackwardWeights.Transpose)
        {
            if (state is not BackwardState own) throw new ArgumentException(Name + " needs its BackwardState (from InitialState), not " + state.GetType().Name + ".", nameof(state));
            psi = Backward == BackwardWeights.Learned ? own.Matrices.Map((name, offset) => parameters[name] - offset) : own.Matrices;
            // D = W - psi; psi <- (1 - decay) psi - u with W <- W - u gives D <- D + decay psi, whatever the update u.
            if (PsiDecay > 0) next = new BackwardState(own.Matrices.Map((name, offset) => offset + PsiDecay * psi[name]));
        }
        var relaxed = ActivationRelaxation.Relax(record, Options, psi);
        if (RecomputesInterior)
        {
            var at = UpdateDerivativeAtCurrentUnits ? ActivationRelaxation.CurrentValues(record, relaxed.Units, Options.Units, psi)
                : psi is null ? null : BackwardMatrices.Substitute(record, psi).Values.ToArray();
            relaxed = ActivationRelaxation.RecomputeInterior(record, relaxed, DerivativeInUpdate, at);
        }
        var inputs = UpdateInputsAtCurrentUnits ? ActivationRelaxation.CurrentValues(record, relaxed.Units, Options.Units) : null;
        var metrics = ImmutableSortedDictionary<string, double>.Empty
            .Add("loss", record.LossValue)
            .Add("iterations", relaxed.Iterations)
            .Add("residual", relaxed.Residuals.IsEmpty ? 0.0 : relaxed.Residuals[^1]);
        return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, relaxed, inputs), record, next, metrics);
    }
}
