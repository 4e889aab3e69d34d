using System;
using System.Collections.Immutable;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

/// <summary>
/// Predictive coding with the fixed-prediction assumption (Millidge, Tschantz &amp; Buckley 2020, arXiv 2006.04182, on any
/// computation graph): every value node x_i (every computed node, by default) carries a prediction error
/// ε_i = x_i − μ_i with μ frozen at the feedforward pass; inference descends the energy, ε_i ← ε_i + rate (−ε_i + Σ_j J_jiᵀ ε_j),
/// with the output error clamped to dL/dv_out, from ε = 0; the weights move along the errors (ΔW ∝ ε_j ∘ f′ v_iᵀ as AR's
/// local update). These are AR's dynamics started from zero instead of from the feedforward values, so at equilibrium
/// the errors are backprop's gradients. Without the assumption (<paramref name="FixedPrediction"/> false, strict PC)
/// the predictions are recomputed from the relaxing values at every step (<see cref="StrictPredictiveCoding"/>).
/// </summary>
/// <param name="InferenceSteps">The inference steps per training step.</param>
/// <param name="InferenceRate">The inference rate, in (0, 1].</param>
/// <param name="Schedule">All value nodes at once (synchronous, the usual PC inference), top-down, or the synchronous closed form.</param>
/// <param name="Units">Value nodes on every computed node (the 2006.04182 setting) or one per layer output.</param>
/// <param name="FixedPrediction">
/// Freeze the predictions at the feedforward pass (true, the assumption under which PC equals backprop), or recompute
/// them from the value nodes at every step (strict PC, synchronous only).
/// </param>
public sealed partial record PredictiveCodingRule(int InferenceSteps = 100, double InferenceRate = 0.1, RelaxationSchedule Schedule = RelaxationSchedule.Synchronous, UnitPlacement Units = UnitPlacement.EveryNode,
    bool FixedPrediction = true) : LearningRule
{
    /// <inheritdoc/>
    public override string Name => FixedPrediction ? "pc" : "pc-strict";

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range, or strict PC is asked for another schedule than synchronous.</exception>
    public void Validate()
    {
        Relaxation.Validate();
        if (!FixedPrediction && Schedule != RelaxationSchedule.Synchronous)
        {
            throw new ArgumentException("Strict predictive coding updates every value node at once from the same predictions: it runs the synchronous schedule only, not " + Schedule + ".");
        }
    }

    /// <summary>The inference as relaxation options: AR's from a zero start.</summary>
    public RelaxationOptions Relaxation => new(InferenceRate, InferenceSteps, 0.0, Schedule, Units, ZeroStart: true);

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        Validate();
        var record = Forward.Run(graph, parameters, batch);
        if (!FixedPrediction)
        {
            var inference = StrictPredictiveCoding.Infer(record, batch.Targets, InferenceSteps, InferenceRate, Units);
            var errors = new RelaxationResult(inference.Errors, InferenceSteps, inference.Residuals, false);
            var strictMetrics = ImmutableSortedDictionary<string, double>.Empty
                .Add("loss", record.LossValue)
                .Add("iterations", InferenceSteps)
                .Add("residual", inference.Residuals.IsEmpty ? 0.0 : inference.Residuals[^1]);
            return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, errors, inference.Values), record, state, strictMetrics);
        }
        var relaxed = ActivationRelaxation.Relax(record, Relaxation);
        var metrics = ImmutableSortedDictionary<string, double>.Empty
            .Add("loss", record.LossValue)
            .Add("iterations", relaxed.Iterations)
            .Add("residual", relaxed.Residuals.IsEmpty ? 0.0 : relaxed.Residuals[^1]);
        return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, relaxed), record, state, metrics);
    }

    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        Validate();
        if (!FixedPrediction)
        {
            return new TrainingRun<TGraph, T, StrictPredictiveCodingPhase<T>>(this, new StrictPredictiveCodingPhase<T>(InferenceSteps, InferenceRate, Units), maxBatch, threads);
        }
        return new TrainingRun<TGraph, T, RelaxationPhase<T>>(this, new RelaxationPhase<T>(Relaxation), maxBatch, threads);
    }
}
