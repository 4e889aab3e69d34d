using System;
using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules;

/// <summary>
/// Stochastic gradient descent, as in the AR authors' code: θ &lt;- θ - lr * g, with g + WeightDecay * θ in place of g when
/// there is weight decay. Keeps no moments.
/// </summary>
/// <param name="LearningRate">The step size (the AR authors' MLP: 5e-4); finite and greater than 0.</param>
/// <param name="WeightDecay">Coupled L2 regularisation (torch's <c>weight_decay</c>); finite and &gt;= 0.</param>
public sealed record Sgd(double LearningRate, double WeightDecay = 0) : Optimiser(LearningRate, WeightDecay)
{
    /// <summary>0: SGD keeps no moments.</summary>
    public override int MomentCount => 0;

    /// <summary>The parameters after one step on summed updates (or gradients): θ - lr * (update + WeightDecay * θ).</summary>
    /// <exception cref="ArgumentException">
    /// An update holds a NaN or infinity (the message names it; the parameters are left as they were), or the updates'
    /// names or shapes differ from the parameters'.
    /// </exception>
    public ParameterSet Step(ParameterSet parameters, ParameterSet updates)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(updates);
        RequireFinite(updates, "update");
        return Step(parameters, updates, InitialState(parameters)).Parameters;
    }

    private protected override (ParameterSet Parameters, ImmutableArray<ParameterSet> Moments) StepReference(
        ParameterSet parameters, ParameterSet gradients, ImmutableArray<ParameterSet> moments, long step) =>
        (parameters.AddScaled(DecayedGradients(parameters, gradients), -LearningRate), moments);

    private protected override void ApplySlice<T>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> firstMoment, Span<T> secondMoment, long step)
    {
        T rate = T.CreateTruncating(LearningRate), decay = T.CreateTruncating(WeightDecay);
        if (WeightDecay == 0) Descend<T, SwitchOff>(parameter, gradient, rate, decay);
        else Descend<T, SwitchOn>(parameter, gradient, rate, decay);
    }

    /// <summary>θ -= rate * (g + decay * θ) elementwise; the spans have equal lengths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Descend<T, TDecay>(Span<T> parameter, ReadOnlySpan<T> gradient, T rate, T decay)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TDecay : struct, IKernelSwitch
    {
        ref T p = ref MemoryMarshal.GetReference(parameter);
        ref T g = ref MemoryMarshal.GetReference(gradient);
        int n = parameter.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Vector512<T> r = Vector512.Create(rate), d = Vector512.Create(decay);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var theta = Vector512.LoadUnsafe(ref p, (nuint)i);
                var grad = Vector512.LoadUnsafe(ref g, (nuint)i);
                if (TDecay.On) grad += d * theta;
                (theta - r * grad).StoreUnsafe(ref p, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> r = Vector256.Create(rate), d = Vector256.Create(decay);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var theta = Vector256.LoadUnsafe(ref p, (nuint)i);
                var grad = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (TDecay.On) grad += d * theta;
                (theta - r * grad).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T theta = Unsafe.Add(ref p, i), grad = Unsafe.Add(ref g, i);
            if (TDecay.On) grad += decay * theta;
            Unsafe.Add(ref p, i) = theta - rate * grad;
        }
    }
}
