using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

public sealed partial record ActivationRelaxationRule
{
    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        Validate();
        bool current = Options.JacobiansAtCurrentUnits || UpdateDerivativeAtCurrentUnits || UpdateInputsAtCurrentUnits;
        if (Backward == BackwardWeights.Transpose && !current) return new TrainingRun<TGraph, T, RelaxationPhase<T>>(this, new RelaxationPhase<T>(Options, DerivativeInUpdate), maxBatch, threads);
        var layout = TGraph.Layout;
        BackwardBuffers<T>? own = null;
        if (Backward != BackwardWeights.Transpose)
        {
            var psi = BackwardMatrices.ToArrays<T>(layout, BackwardMatrices.Draw(layout.Graph, FeedbackSeed, FeedbackInit));
            own = new BackwardBuffers<T>(layout, psi, learned: Backward == BackwardWeights.Learned, PsiDecay);
        }
        if (current)
        {
            var phase = new CurrentUnitsRelaxationPhase<T>(Options, own, DerivativeInUpdate, UpdateDerivativeAtCurrentUnits, UpdateInputsAtCurrentUnits);
            return new TrainingRun<TGraph, T, CurrentUnitsRelaxationPhase<T>>(this, phase, maxBatch, threads, own);
        }
        return new TrainingRun<TGraph, T, OwnRelaxationPhase<T>>(this, new OwnRelaxationPhase<T>(Options, own!, DerivativeInUpdate), maxBatch, threads, own);
    }
}
