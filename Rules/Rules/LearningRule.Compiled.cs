using System;
using System.Numerics;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

public abstract partial record LearningRule
{
    /// <summary>
    /// The compiled state of this rule on graph <typeparamref name="TGraph"/> (a generated <c>Float32</c> or
    /// <c>Float64</c> struct): workspaces for batches of up to <paramref name="maxBatch"/>, a worker pool when
    /// <paramref name="threads"/> &gt; 1, and the rule's own buffers. Dispose it to stop the threads.
    /// </summary>
    /// <exception cref="NotSupportedException">The rule has no compiled driver.</exception>
    public virtual CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        throw new NotSupportedException("The rule '" + Name + "' has no compiled driver; run it through the reference engine (Compute).");

    /// <summary>
    /// One training step of this rule through the compiled graph, in place: forward pass, the rule's backward phase, the
    /// optimiser's update of every parameter. The compiled twin of <see cref="Compute(Graph.ComputationGraph, ParameterSet, Batch)"/>
    /// followed by the optimiser's reference step.
    /// </summary>
    /// <param name="parameters">The parameters, updated in place.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="optimiser">The optimiser (plain SGD is fused into the gradient products).</param>
    /// <param name="state">This rule's state, from <see cref="CreateState{TGraph, T}"/>.</param>
    /// <returns>The loss before the update, summed over the batch.</returns>
    /// <exception cref="ArgumentException">The state belongs to another rule, or the batch or parameters do not fit.</exception>
    /// <exception cref="ArithmeticException">The loss or an update is not finite (the parameters are left unchanged).</exception>
    public T Step<TGraph, T>(ParameterArrays<T> parameters, CompiledBatch<T> batch, Optimiser optimiser, CompiledRuleState<TGraph, T> state)
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!ReferenceEquals(state.Rule, this) && !state.Rule.Equals(this))
        {
            throw new ArgumentException("The state was made by rule " + state.Rule + ", not by " + this + ".", nameof(state));
        }
        return state.Step(parameters, batch, optimiser);
    }
}
