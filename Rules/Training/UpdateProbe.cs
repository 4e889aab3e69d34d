using System;
using System.Collections.Immutable;
using System.Linq;
using System.Numerics;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules.Training;

/// <summary>
/// What <see cref="UpdateProbe{TGraph, T}.Measure"/> found on one batch: per parameter, the angle in degrees between the
/// rule's update direction and backprop's gradient, and the state of the rule's relaxation.
/// </summary>
/// <param name="Angles">By parameter index: the angle in degrees; NaN when either vector is zero (no direction: e.g. every unit of the layer dead).</param>
/// <param name="Residual">The L2 norm of the last relaxation step's update over all units and samples (0 for a rule without relaxation).</param>
/// <param name="Iterations">The relaxation steps run (0 for a rule without relaxation).</param>
/// <param name="RelativeDistance">By parameter index: |update − gradient| / |gradient| (0 when the gradient is zero).</param>
public sealed record ProbeResult(ImmutableArray<double> Angles, double Residual, int Iterations, ImmutableArray<double> RelativeDistance);

/// <summary>
/// Measures how far a rule's update is from backprop's gradient on a batch, without changing the parameters or the
/// training state: it keeps a one-thread state of the rule and one of backprop of its own and asks both for their update
/// direction (<see cref="CompiledRuleState{TGraph, T}.ComputeUpdates"/>). Allocates only the result.
/// </summary>
/// <typeparam name="TGraph">The generated graph struct.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
public sealed class UpdateProbe<TGraph, T> : IDisposable
    where TGraph : struct, ICompiledGraph<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly CompiledRuleState<TGraph, T> ruleState;
    private readonly CompiledRuleState<TGraph, T> backpropState;
    private readonly T[][] ruleUpdates;
    private readonly T[][] gradients;

    /// <summary>A probe of <paramref name="rule"/> for batches of up to <paramref name="maxBatch"/> samples.</summary>
    public UpdateProbe(LearningRule rule, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Rule = rule;
        ruleState = rule.CreateState<TGraph, T>(maxBatch, 1);
        backpropState = new BackpropRule().CreateState<TGraph, T>(maxBatch, 1);
        var sizes = TGraph.Layout.ParameterSizes;
        ruleUpdates = new T[sizes.Length][];
        gradients = new T[sizes.Length][];
        for (int k = 0; k < sizes.Length; k++)
        {
            ruleUpdates[k] = new T[sizes[k]];
            gradients[k] = new T[sizes[k]];
        }
    }

    /// <summary>The rule measured.</summary>
    public LearningRule Rule { get; }

    /// <summary>
    /// The rule's update and backprop's gradient on <paramref name="batch"/> at <paramref name="parameters"/>, compared per
    /// parameter. <paramref name="training"/> is the state of the run being measured: its own state (learned backward
    /// weights) is copied first, so the probe measures what the run's next step does.
    /// </summary>
    /// <exception cref="ArgumentException">The batch or parameters do not fit the graph.</exception>
    /// <exception cref="ArithmeticException">The loss or an update is not finite.</exception>
    public ProbeResult Measure(ParameterArrays<T> parameters, CompiledBatch<T> batch, CompiledRuleState<TGraph, T>? training = null)
    {
        if (training is not null)
        {
            var tensors = training.RuleTensors();
            if (tensors.Count > 0) ruleState.RestoreRuleTensors(name => tensors.FirstOrDefault(t => t.Name == name).Values);
        }
        ruleState.ComputeUpdates(parameters, batch, ruleUpdates);
        double residual = ruleState.Workspace.LastResidual;
        int iterations = ruleState.Workspace.LastIterations;
        backpropState.ComputeUpdates(parameters, batch, gradients);
        var angles = ImmutableArray.CreateBuilder<double>(gradients.Length);
        var distances = ImmutableArray.CreateBuilder<double>(gradients.Length);
        for (int k = 0; k < gradients.Length; k++)
        {
            var (angle, distance) = Compare(ruleUpdates[k], gradients[k]);
            angles.Add(angle);
            distances.Add(distance);
        }
        return new ProbeResult(angles.MoveToImmutable(), residual, iterations, distances.MoveToImmutable());
    }

    /// <summary>The angle in degrees between <paramref name="update"/> and <paramref name="gradient"/> (NaN when either is zero), and their distance relative to the gradient's norm, in float64.</summary>
    public static (double Angle, double RelativeDistance) Compare(ReadOnlySpan<T> update, ReadOnlySpan<T> gradient)
    {
        if (update.Length != gradient.Length) throw new ArgumentException("The update has " + update.Length + " values but the gradient " + gradient.Length + ".", nameof(update));
        double dot = 0, uu = 0, gg = 0, dd = 0;
        for (int i = 0; i < update.Length; i++)
        {
            double u = double.CreateChecked(update[i]), g = double.CreateChecked(gradient[i]);
            dot += u * g;
            uu += u * u;
            gg += g * g;
            dd += (u - g) * (u - g);
        }
        double angle = uu == 0 || gg == 0 ? double.NaN : Math.Acos(Math.Clamp(dot / Math.Sqrt(uu * gg), -1, 1)) * 180.0 / Math.PI;
        return (angle, gg == 0 ? 0 : Math.Sqrt(dd / gg));
    }

    /// <summary>Stops the probe states' threads (they have none: one thread each).</summary>
    public void Dispose()
    {
        ruleState.Dispose();
        backpropState.Dispose();
    }
}
