using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

public sealed partial record ActivationRelaxationRule
{
    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        Validate();
        if (Backward == BackwardWeights.Transpose) return new TrainingRun<TGraph, T, RelaxationPhase<T>>(this, new RelaxationPhase<T>(Options, DerivativeInUpdate), maxBatch, threads);
        var layout = TGraph.Layout;
        var psi = BackwardMatrices.ToArrays<T>(layout, BackwardMatrices.Draw(layout.Graph, FeedbackSeed, FeedbackInit.Normal005));
        var own = new BackwardBuffers<T>(layout, psi, learned: Backward == BackwardWeights.Learned);
        return new TrainingRun<TGraph, T, OwnRelaxationPhase<T>>(this, new OwnRelaxationPhase<T>(Options, own, DerivativeInUpdate), maxBatch, threads, own);
    }
}
