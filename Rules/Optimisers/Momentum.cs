using System;
using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules;

/// <summary>
/// SGD with momentum, with torch's semantics (no dampening): v &lt;- μ v + g, then θ &lt;- θ - lr * v, or with Nesterov
/// θ &lt;- θ - lr * (g + μ v). g is the gradient plus WeightDecay * θ. Keeps one moment, the velocity v, starting at zero,
/// so that v = g after the first step, as torch, which starts v at the first gradient.
/// </summary>
/// <param name="LearningRate">The step size; finite and greater than 0.</param>
/// <param name="Coefficient">μ, the fraction of the velocity kept from one step to the next; in [0, 1).</param>
/// <param name="WeightDecay">Coupled L2 regularisation (torch's <c>weight_decay</c>); finite and &gt;= 0.</param>
/// <param name="Nesterov">Step along g + μ v (Nesterov's look-ahead, as torch's <c>nesterov=True</c>) instead of v.</param>
public sealed record Momentum(double LearningRate, double Coefficient = 0.9, double WeightDecay = 0, bool Nesterov = false) : Optimiser(LearningRate, WeightDecay)
{
    /// <summary>μ, the fraction of the velocity kept from one step to the next; in [0, 1) (0 makes this plain SGD).</summary>
    public double Coefficient { get; init => field = RequireUnitInterval(value, nameof(Coefficient)); } = RequireUnitInterval(Coefficient, nameof(Coefficient));

    /// <summary>Whether the step is along g + μ v (Nesterov's look-ahead) instead of v.</summary>
    public bool Nesterov { get; init; } = Nesterov;

    /// <summary>1: the velocity.</summary>
    public override int MomentCount => 1;

    private protected override (ParameterSet Parameters, ImmutableArray<ParameterSet> Moments) StepReference(
        ParameterSet parameters, ParameterSet gradients, ImmutableArray<ParameterSet> moments, long step)
    {
        var g = DecayedGradients(parameters, gradients);
        var velocity = moments[0].Zip(g, (v, grad) => Coefficient * v + grad);
        var direction = Nesterov ? g.AddScaled(velocity, Coefficient) : velocity;
        return (parameters.AddScaled(direction, -LearningRate), ImmutableArray.Create(velocity));
    }

    private protected override void ApplySlice<T>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> firstMoment, Span<T> secondMoment, long step)
    {
        T rate = T.CreateTruncating(LearningRate), mu = T.CreateTruncating(Coefficient), decay = T.CreateTruncating(WeightDecay);
        switch (WeightDecay != 0, Nesterov)
        {
            case (false, false): Accelerate<T, SwitchOff, SwitchOff>(parameter, gradient, firstMoment, rate, mu, decay); break;
            case (false, true): Accelerate<T, SwitchOff, SwitchOn>(parameter, gradient, firstMoment, rate, mu, decay); break;
            case (true, false): Accelerate<T, SwitchOn, SwitchOff>(parameter, gradient, firstMoment, rate, mu, decay); break;
            case (true, true): Accelerate<T, SwitchOn, SwitchOn>(parameter, gradient, firstMoment, rate, mu, decay); break;
        }
    }

    /// <summary>g' = g + decay θ; v = μ v + g'; θ -= rate * (Nesterov ? g' + μ v : v), elementwise over spans of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accelerate<T, TDecay, TNesterov>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> velocity, T rate, T mu, T decay)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TDecay : struct, IKernelSwitch
        where TNesterov : struct, IKernelSwitch
    {
        ref T p = ref MemoryMarshal.GetReference(parameter);
        ref T g = ref MemoryMarshal.GetReference(gradient);
        ref T vr = ref MemoryMarshal.GetReference(velocity);
        int n = parameter.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Vector512<T> r = Vector512.Create(rate), m = Vector512.Create(mu), d = Vector512.Create(decay);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var theta = Vector512.LoadUnsafe(ref p, (nuint)i);
                var grad = Vector512.LoadUnsafe(ref g, (nuint)i);
                if (TDecay.On) grad += d * theta;
                var v = m * Vector512.LoadUnsafe(ref vr, (nuint)i) + grad;
                v.StoreUnsafe(ref vr, (nuint)i);
                (theta - r * (TNesterov.On ? grad + m * v : v)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> r = Vector256.Create(rate), m = Vector256.Create(mu), d = Vector256.Create(decay);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var theta = Vector256.LoadUnsafe(ref p, (nuint)i);
                var grad = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (TDecay.On) grad += d * theta;
                var v = m * Vector256.LoadUnsafe(ref vr, (nuint)i) + grad;
                v.StoreUnsafe(ref vr, (nuint)i);
                (theta - r * (TNesterov.On ? grad + m * v : v)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T theta = Unsafe.Add(ref p, i), grad = Unsafe.Add(ref g, i);
            if (TDecay.On) grad += decay * theta;
            T v = mu * Unsafe.Add(ref vr, i) + grad;
            Unsafe.Add(ref vr, i) = v;
            Unsafe.Add(ref p, i) = theta - rate * (TNesterov.On ? grad + mu * v : v);
        }
    }
}
