using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

public sealed partial record ActivationRelaxationRule
{
    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        Options.Validate();
        return new TrainingRun<TGraph, T, RelaxationPhase<T>>(this, new RelaxationPhase<T>(Options), maxBatch, threads);
    }
}
