using System.Numerics;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

public sealed partial record BackpropRule
{
    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1) =>
        new TrainingRun<TGraph, T, BackpropPhase<T>>(this, default, maxBatch, threads);
}
