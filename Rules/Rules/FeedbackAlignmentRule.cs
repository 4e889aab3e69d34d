using System;
using System.Collections.Immutable;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

/// <summary>
/// Feedback alignment (Lillicrap et al. 2016): backprop's backward pass with a fixed random matrix B of each weight's
/// shape in place of the weight, δ_parent = Bᵀ δ (through f' as backprop), and the weight updates as backprop's from
/// these δ. B is drawn once from <paramref name="Seed"/>; with B = W it is backprop.
/// </summary>
/// <param name="Seed">Seeds the fixed matrices.</param>
/// <param name="Init">
/// Their distribution. The default N(0, 0.05²) is the scale of the AR authors' weights they stand in for; on the AR
/// paper's MLP (summed gradients, lr 5e-4) uniform on ±1/sqrt(fan-out) makes the last layer's B 3.6 times the weights
/// and training diverges in the first epoch (docs/results.md).
/// </param>
public sealed partial record FeedbackAlignmentRule(int Seed = 1, FeedbackInit Init = FeedbackInit.Normal005) : LearningRule
{
    /// <inheritdoc/>
    public override string Name => "fa";

    /// <inheritdoc/>
    public override RuleState InitialState(ComputationGraph graph, ParameterSet parameters) => new BackwardState(BackwardMatrices.Draw(graph, Seed, Init));

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        if (state is not BackwardState own) throw new ArgumentException("Feedback alignment needs its BackwardState (from InitialState), not " + state.GetType().Name + ".", nameof(state));
        var record = Forward.Run(graph, parameters, batch);
        var gradients = Backprop.Run(BackwardMatrices.Substitute(record, own.Matrices));
        return new RuleUpdate(gradients.ParameterGradients, record, state, ImmutableSortedDictionary<string, double>.Empty.Add("loss", record.LossValue));
    }

    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        var layout = TGraph.Layout;
        var own = new BackwardBuffers<T>(layout, BackwardMatrices.ToArrays<T>(layout, BackwardMatrices.Draw(layout.Graph, Seed, Init)), learned: false);
        return new TrainingRun<TGraph, T, FeedbackPhase<T>>(this, new FeedbackPhase<T>(own), maxBatch, threads, own);
    }
}
