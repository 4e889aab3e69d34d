using System;
using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Symbolic.Rules;

/// <summary>
/// Adam (Kingma and Ba, with torch's coupled weight decay): m &lt;- β1 m + (1 - β1) g, v &lt;- β2 v + (1 - β2) g², then with bias
/// correction θ &lt;- θ - lr * m̂ / (√v̂ + ε), m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t) at step t = 1, 2, ...; without it
/// θ &lt;- θ - lr * m / (√v + ε). g is the gradient plus WeightDecay * θ. Keeps two moments, m then v, starting at zero.
/// </summary>
/// <param name="LearningRate">The step size; finite and greater than 0.</param>
/// <param name="Beta1">β1, the decay of the first moment; in [0, 1).</param>
/// <param name="Beta2">β2, the decay of the second moment; in [0, 1).</param>
/// <param name="Epsilon">ε, added to √v so the step stays finite where the gradient is zero; finite and greater than 0.</param>
/// <param name="BiasCorrection">Divide the moments by 1 - β^t, undoing their bias towards the zero start (torch always does).</param>
/// <param name="WeightDecay">Coupled L2 regularisation (torch's <c>weight_decay</c>, not AdamW's); finite and &gt;= 0.</param>
public sealed record Adam(double LearningRate, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, bool BiasCorrection = true, double WeightDecay = 0)
    : Optimiser(LearningRate, WeightDecay)
{
    /// <summary>β1, the decay of the first moment; in [0, 1).</summary>
    public double Beta1 { get; init => field = RequireUnitInterval(value, nameof(Beta1)); } = RequireUnitInterval(Beta1, nameof(Beta1));

    /// <summary>β2, the decay of the second moment; in [0, 1).</summary>
    public double Beta2 { get; init => field = RequireUnitInterval(value, nameof(Beta2)); } = RequireUnitInterval(Beta2, nameof(Beta2));

    /// <summary>ε, added to √v (or √v̂); finite and greater than 0.</summary>
    public double Epsilon { get; init => field = RequireEpsilon(value); } = RequireEpsilon(Epsilon);

    /// <summary>Whether the moments are divided by 1 - β^t before the step (torch always does; the GAIT-prop authors do not).</summary>
    public bool BiasCorrection { get; init; } = BiasCorrection;

    /// <summary>2: the first moment m, then the second moment v.</summary>
    public override int MomentCount => 2;

    /// <summary>
    /// The optimiser of the GAIT-prop authors' code (nasiryahm/GAIT-prop, <c>InvLayer.adaptive_update</c>): β1 0.9, β2 0.99,
    /// ε 1e-8, no bias correction, so each step is lr * m / (1e-8 + √v); no weight decay (their orthogonality regulariser
    /// enters through the gradient).
    /// </summary>
    /// <param name="learningRate">The step size (their settings: 1e-4 for BP and GAIT-prop, 1e-5 for TP).</param>
    public static Adam GaitProp(double learningRate) => new(learningRate, Beta1: 0.9, Beta2: 0.99, Epsilon: 1e-8, BiasCorrection: false);

    private protected override (ParameterSet Parameters, ImmutableArray<ParameterSet> Moments) StepReference(
        ParameterSet parameters, ParameterSet gradients, ImmutableArray<ParameterSet> moments, long step)
    {
        var g = DecayedGradients(parameters, gradients);
        var first = moments[0].Zip(g, (m, grad) => Beta1 * m + (1 - Beta1) * grad);
        var second = moments[1].Zip(g, (v, grad) => Beta2 * v + (1 - Beta2) * grad.PointwiseMultiply(grad));
        double firstBias = BiasCorrection ? 1 - Math.Pow(Beta1, step) : 1;
        double secondBias = BiasCorrection ? 1 - Math.Pow(Beta2, step) : 1;
        var direction = first.Zip(second, (m, v) => (m / firstBias).PointwiseDivide((v / secondBias).PointwiseSqrt() + Epsilon));
        return (parameters.AddScaled(direction, -LearningRate), ImmutableArray.Create(first, second));
    }

    private protected override void ApplySlice<T>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> firstMoment, Span<T> secondMoment, long step)
    {
        // The bias corrections fold into two scalars, computed in double: lr / (1 - β1^t) scales the step and
        // 1 / √(1 - β2^t) scales √v, so the loop does no more work with correction than without.
        double stepSize = BiasCorrection ? LearningRate / (1 - Math.Pow(Beta1, step)) : LearningRate;
        double rootScale = BiasCorrection ? 1 / Math.Sqrt(1 - Math.Pow(Beta2, step)) : 1;
        var s = new Settings<T>(
            T.CreateTruncating(stepSize), T.CreateTruncating(rootScale), T.CreateTruncating(Epsilon),
            T.CreateTruncating(Beta1), T.CreateTruncating(1 - Beta1), T.CreateTruncating(Beta2), T.CreateTruncating(1 - Beta2), T.CreateTruncating(WeightDecay));
        if (WeightDecay == 0) Adapt<T, SwitchOff>(parameter, gradient, firstMoment, secondMoment, s);
        else Adapt<T, SwitchOn>(parameter, gradient, firstMoment, secondMoment, s);
    }

    /// <summary>The scalars of one compiled step, in the element type.</summary>
    private readonly record struct Settings<T>(T StepSize, T RootScale, T Epsilon, T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T Decay);

    /// <summary>g' = g + decay θ; m = β1 m + (1-β1) g'; v = β2 v + (1-β2) g'²; θ -= stepSize * m / (√v * rootScale + ε), over spans of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Adapt<T, TDecay>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> firstMoment, Span<T> secondMoment, in Settings<T> s)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TDecay : struct, IKernelSwitch
    {
        ref T p = ref MemoryMarshal.GetReference(parameter);
        ref T g = ref MemoryMarshal.GetReference(gradient);
        ref T mr = ref MemoryMarshal.GetReference(firstMoment);
        ref T vr = ref MemoryMarshal.GetReference(secondMoment);
        int n = parameter.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Vector512<T> size = Vector512.Create(s.StepSize), scale = Vector512.Create(s.RootScale), eps = Vector512.Create(s.Epsilon), d = Vector512.Create(s.Decay);
            Vector512<T> b1 = Vector512.Create(s.Beta1), c1 = Vector512.Create(s.OneMinusBeta1), b2 = Vector512.Create(s.Beta2), c2 = Vector512.Create(s.OneMinusBeta2);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var theta = Vector512.LoadUnsafe(ref p, (nuint)i);
                var grad = Vector512.LoadUnsafe(ref g, (nuint)i);
                if (TDecay.On) grad += d * theta;
                var m = b1 * Vector512.LoadUnsafe(ref mr, (nuint)i) + c1 * grad;
                var v = b2 * Vector512.LoadUnsafe(ref vr, (nuint)i) + c2 * (grad * grad);
                m.StoreUnsafe(ref mr, (nuint)i);
                v.StoreUnsafe(ref vr, (nuint)i);
                (theta - size * (m / (Vector512.Sqrt(v) * scale + eps))).StoreUnsafe(ref p, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> size = Vector256.Create(s.StepSize), scale = Vector256.Create(s.RootScale), eps = Vector256.Create(s.Epsilon), d = Vector256.Create(s.Decay);
            Vector256<T> b1 = Vector256.Create(s.Beta1), c1 = Vector256.Create(s.OneMinusBeta1), b2 = Vector256.Create(s.Beta2), c2 = Vector256.Create(s.OneMinusBeta2);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var theta = Vector256.LoadUnsafe(ref p, (nuint)i);
                var grad = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (TDecay.On) grad += d * theta;
                var m = b1 * Vector256.LoadUnsafe(ref mr, (nuint)i) + c1 * grad;
                var v = b2 * Vector256.LoadUnsafe(ref vr, (nuint)i) + c2 * (grad * grad);
                m.StoreUnsafe(ref mr, (nuint)i);
                v.StoreUnsafe(ref vr, (nuint)i);
                (theta - size * (m / (Vector256.Sqrt(v) * scale + eps))).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T theta = Unsafe.Add(ref p, i), grad = Unsafe.Add(ref g, i);
            if (TDecay.On) grad += s.Decay * theta;
            T m = s.Beta1 * Unsafe.Add(ref mr, i) + s.OneMinusBeta1 * grad;
            T v = s.Beta2 * Unsafe.Add(ref vr, i) + s.OneMinusBeta2 * (grad * grad);
            Unsafe.Add(ref mr, i) = m;
            Unsafe.Add(ref vr, i) = v;
            Unsafe.Add(ref p, i) = theta - s.StepSize * (m / (T.Sqrt(v) * s.RootScale + s.Epsilon));
        }
    }

    private static double RequireEpsilon(double value) => double.IsFinite(value) && value > 0 ? value
        : throw new ArgumentException("Epsilon must be finite and greater than 0; got " + Show(value) + ".", nameof(Epsilon));
}
