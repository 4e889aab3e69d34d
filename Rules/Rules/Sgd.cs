using System;

namespace Symbolic.Rules;

/// <summary>Plain stochastic gradient descent on summed updates, as in the AR authors' code: θ &lt;- θ - lr * update.</summary>
/// <param name="LearningRate">The step size (the authors' MLP: 5e-4).</param>
public sealed record Sgd(double LearningRate)
{
    /// <summary>The parameters after one step.</summary>
    /// <exception cref="ArgumentException">An update holds a NaN or infinity (the parameters are left as they were).</exception>
    public ParameterSet Step(ParameterSet parameters, ParameterSet updates)
    {
        foreach (var (name, m) in updates.Items)
        {
            foreach (var v in m.Enumerate())
            {
                if (!double.IsFinite(v)) throw new ArgumentException("The update for '" + name + "' holds a NaN or infinity; the step was not applied.");
            }
        }
        return parameters.AddScaled(updates, -LearningRate);
    }
}
