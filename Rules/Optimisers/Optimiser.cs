using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Symbolic.Rules;

/// <summary>
/// A first-order optimiser as a value: its settings are immutable, and its state lives outside it, so one optimiser
/// can drive any number of models. Each optimiser has two engines that share no arithmetic, so a bug in one cannot
/// hide behind the other in the tests:
/// <list type="bullet">
/// <item>the float64 reference engine, pure: <see cref="InitialState"/> and <see cref="Step(ParameterSet, ParameterSet, OptimiserState)"/>
/// on <see cref="ParameterSet"/>s (MathNet matrices);</item>
/// <item>the compiled engine, in place and vectorised, over float or double arrays: <see cref="CreateBuffers{T}"/> once, then per
/// training step <see cref="BeginStep{T}"/> once and <see cref="Apply{T}"/> on each parameter (or on disjoint slices of it, from
/// several threads).</item>
/// </list>
/// Settings are validated whenever they are set, by the constructor or by a <c>with</c> expression.
/// The hierarchy is closed: <see cref="Sgd"/>, <see cref="Momentum"/> and <see cref="Adam"/>.
/// </summary>
/// <param name="LearningRate">The step size; finite and greater than 0.</param>
/// <param name="WeightDecay">Coupled L2 regularisation, as torch's <c>weight_decay</c>: the gradient used is g + WeightDecay * θ; finite and &gt;= 0.</param>
public abstract record Optimiser(double LearningRate, double WeightDecay = 0)
{
    /// <summary>The step size; finite and greater than 0.</summary>
    public double LearningRate { get; init => field = RequireLearningRate(value); } = RequireLearningRate(LearningRate);

    /// <summary>Coupled L2 regularisation: the gradient used is g + WeightDecay * θ (torch's <c>weight_decay</c>, not AdamW's decoupled decay); finite and &gt;= 0.</summary>
    public double WeightDecay { get; init => field = RequireWeightDecay(value); } = RequireWeightDecay(WeightDecay);

    /// <summary>
    /// Clamps every gradient element to [-GradientClamp, GradientClamp] before the step (before weight decay is added), as
    /// the AR authors' CNN code clamps its updates to ±50; positive infinity (the default) clamps nothing. Greater than 0.
    /// </summary>
    public double GradientClamp { get; init => field = RequireGradientClamp(value); } = double.PositiveInfinity;

    /// <summary>True when <see cref="GradientClamp"/> is finite, so the steps clamp.</summary>
    public bool Clamps => !double.IsPositiveInfinity(GradientClamp);

    /// <summary>How many per-parameter moment sets the optimiser keeps: 0 for SGD, 1 for momentum (the velocity), 2 for Adam (first and second moments).</summary>
    public abstract int MomentCount { get; }

    /// <summary>
    /// True for SGD without weight decay and without a clamp: then the update is exactly θ - lr * g, and a compiled driver may fuse it into the
    /// gradient products instead of materialising the gradient and calling <see cref="Apply{T}"/>.
    /// </summary>
    public bool IsPlainSgd => this is Sgd && WeightDecay == 0 && !Clamps;

    // ---------------------------------------------------------------- reference engine (float64, immutable)

    /// <summary>The reference state before the first step: step count 0 and every moment zero, shaped like <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    public OptimiserState InitialState(ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var zeros = parameters.Map((_, m) => MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(m.RowCount, m.ColumnCount));
        return new OptimiserState(0, Enumerable.Repeat(zeros, MomentCount).ToImmutableArray());
    }

    /// <summary>
    /// One reference step: the new parameters and the new state (step count + 1). Pure: nothing passed in is changed.
    /// </summary>
    /// <param name="parameters">The current parameters.</param>
    /// <param name="gradients">The gradient of the loss for each parameter (same names and shapes).</param>
    /// <param name="state">The state from <see cref="InitialState"/> or from the previous step.</param>
    /// <exception cref="ArgumentException">
    /// A gradient or parameter holds a NaN or infinity (the message names it), the names or shapes of the gradients or of the
    /// state's moments differ from the parameters', or the state has the wrong number of moments for this optimiser.
    /// </exception>
    public (ParameterSet Parameters, OptimiserState State) Step(ParameterSet parameters, ParameterSet gradients, OptimiserState state)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(state);
        RequireSameLayout(parameters, gradients, "gradients");
        if (state.Moments.Length != MomentCount)
        {
            throw new ArgumentException(GetType().Name + " keeps " + MomentCount + " moment set(s) but the state holds " + state.Moments.Length + "; was it made by another optimiser?", nameof(state));
        }
        foreach (var moment in state.Moments) RequireSameLayout(parameters, moment, "state moments");
        RequireFinite(gradients, "gradient");
        RequireFinite(parameters, "parameter");
        long step = state.StepCount + 1;
        if (Clamps) gradients = gradients.Map((_, m) => m.Map(v => Math.Clamp(v, -GradientClamp, GradientClamp)));
        var (next, moments) = StepReference(parameters, gradients, state.Moments, step);
        return (next, new OptimiserState(step, moments));
    }

    /// <summary>The reference update on checked inputs; <paramref name="step"/> counts from 1.</summary>
    private protected abstract (ParameterSet Parameters, ImmutableArray<ParameterSet> Moments) StepReference(
        ParameterSet parameters, ParameterSet gradients, ImmutableArray<ParameterSet> moments, long step);

    /// <summary>The gradients with coupled weight decay folded in: g + WeightDecay * θ (the gradients themselves when there is no decay).</summary>
    private protected ParameterSet DecayedGradients(ParameterSet parameters, ParameterSet gradients) =>
        WeightDecay == 0 ? gradients : gradients.AddScaled(parameters, WeightDecay);

    /// <summary>Throws when a value of <paramref name="set"/> holds a NaN or infinity, naming the parameter.</summary>
    private protected static void RequireFinite(ParameterSet set, string what)
    {
        foreach (var (name, m) in set.Items)
        {
            foreach (var v in m.Enumerate())
            {
                if (!double.IsFinite(v)) throw new ArgumentException("The " + what + " for '" + name + "' holds a NaN or infinity; the step was not applied.");
            }
        }
    }

    private static void RequireSameLayout(ParameterSet parameters, ParameterSet other, string what)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (name, p) in parameters.Items)
        {
            if (!other.Contains(name)) throw new ArgumentException("The " + what + " lack parameter '" + name + "'.");
            var o = other[name];
            if (o.RowCount != p.RowCount || o.ColumnCount != p.ColumnCount)
            {
                throw new ArgumentException("The " + what + " for '" + name + "' have shape [" + o.RowCount + ", " + o.ColumnCount + "] but the parameter has [" + p.RowCount + ", " + p.ColumnCount + "].");
            }
        }
        if (other.Count != parameters.Count)
        {
            var extra = other.Names.First(n => !parameters.Contains(n));
            throw new ArgumentException("The " + what + " hold '" + extra + "', which is not a parameter.");
        }
    }

    // ---------------------------------------------------------------- compiled engine (in place, float or double)

    /// <summary>
    /// Allocates the compiled engine's state once: zeroed moment arrays of <paramref name="parameterSizes"/> elements for each
    /// of the <see cref="MomentCount"/> moments, and step count 0. Parameter i of the driver is index i in <see cref="Apply{T}"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative.</exception>
    public OptimiserBuffers<T> CreateBuffers<T>(IReadOnlyList<int> parameterSizes) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameterSizes);
        return new OptimiserBuffers<T>(parameterSizes.ToArray(), MomentCount);
    }

    /// <summary>
    /// Starts a training step: advances <see cref="OptimiserBuffers{T}.StepCount"/> by one. Call it once per step, before any
    /// <see cref="Apply{T}"/> of that step and not concurrently with them (Adam's bias correction reads the count).
    /// </summary>
    public void BeginStep<T>(OptimiserBuffers<T> buffers) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(buffers);
        RequireOwnBuffers(buffers);
        buffers.StepCount++;
    }

    /// <summary>
    /// Updates elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of parameter
    /// <paramref name="parameterIndex"/> in place, with the same elements of <paramref name="gradient"/> and of the moments.
    /// Threads may apply disjoint slices of one parameter concurrently. Allocates nothing and computes in
    /// <typeparamref name="T"/>. This is the hot path: it does not look for NaN or infinity; a driver that must not write
    /// them checks the gradient with <see cref="AllFinite{T}"/> first.
    /// </summary>
    /// <param name="parameterIndex">Which parameter, as ordered in <see cref="CreateBuffers{T}"/>.</param>
    /// <param name="parameter">The whole parameter (its size as given to <see cref="CreateBuffers{T}"/>).</param>
    /// <param name="gradient">The whole gradient of that parameter (same size).</param>
    /// <param name="buffers">The buffers this kind of optimiser created, after <see cref="BeginStep{T}"/> of the current step.</param>
    /// <param name="start">The first element to update.</param>
    /// <param name="count">How many elements to update.</param>
    /// <exception cref="ArgumentException">The buffers belong to another kind of optimiser, or a span's length is not the parameter's size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The index or the slice is out of range.</exception>
    /// <exception cref="InvalidOperationException"><see cref="BeginStep{T}"/> was never called on these buffers.</exception>
    public void Apply<T>(int parameterIndex, Span<T> parameter, ReadOnlySpan<T> gradient, OptimiserBuffers<T> buffers, int start, int count)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(buffers);
        RequireOwnBuffers(buffers);
        var sizes = buffers.SizeArray;
        if ((uint)parameterIndex >= (uint)sizes.Length) ThrowIndex(parameterIndex, sizes.Length);
        int size = sizes[parameterIndex];
        if (parameter.Length != size || gradient.Length != size) ThrowLengths(parameterIndex, size, parameter.Length, gradient.Length);
        if (start < 0 || count < 0 || start > size - count) ThrowSlice(parameterIndex, size, start, count);
        if (buffers.StepCount == 0) ThrowNoStep();
        var moments = buffers.MomentArrays;
        var first = moments.Length > 0 ? moments[0][parameterIndex].AsSpan(start, count) : Span<T>.Empty;
        var second = moments.Length > 1 ? moments[1][parameterIndex].AsSpan(start, count) : Span<T>.Empty;
        var used = gradient.Slice(start, count);
        if (Clamps)
        {
            // Clamped into a per-thread copy: the caller's gradient is read-only (and may be a shared cotangent product).
            var clamped = new Span<T>(Kernels.ThreadBuffer<ClampUse, T>.Get(count), 0, count);
            T limit = T.CreateTruncating(GradientClamp);
            System.Numerics.Tensors.TensorPrimitives.Max(used, -limit, clamped);
            System.Numerics.Tensors.TensorPrimitives.Min(clamped, limit, clamped);
            used = clamped;
        }
        ApplySlice(parameter.Slice(start, count), used, first, second, buffers.StepCount);
    }

    /// <summary>Names the per-thread buffer of clamped gradients.</summary>
    private readonly struct ClampUse { }

    /// <summary>The compiled update on one checked slice; the moment spans are empty when the optimiser keeps fewer moments.</summary>
    private protected abstract void ApplySlice<T>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> firstMoment, Span<T> secondMoment, long step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>;

    /// <summary>
    /// True when every value is finite (no NaN, no infinity); true for an empty span. Vectorised and allocation-free: compiled
    /// drivers call it on each gradient before <see cref="Apply{T}"/>, which does not check, so a diverged step can be refused
    /// before any parameter changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool AllFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // x - x is 0 for finite x and NaN for NaN or infinity; NaN survives the sum, so one comparison at the end decides.
        ref T r = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= Vector512<T>.Count)
        {
            // Four independent sums: one would wait on the add's latency every vector.
            int w = Vector512<T>.Count;
            Vector512<T> acc = Vector512<T>.Zero, acc1 = acc, acc2 = acc, acc3 = acc;
            for (; i <= n - 4 * w; i += 4 * w)
            {
                var v0 = Vector512.LoadUnsafe(ref r, (nuint)i);
                var v1 = Vector512.LoadUnsafe(ref r, (nuint)(i + w));
                var v2 = Vector512.LoadUnsafe(ref r, (nuint)(i + 2 * w));
                var v3 = Vector512.LoadUnsafe(ref r, (nuint)(i + 3 * w));
                acc += v0 - v0;
                acc1 += v1 - v1;
                acc2 += v2 - v2;
                acc3 += v3 - v3;
            }
            for (; i <= n - w; i += w)
            {
                var v = Vector512.LoadUnsafe(ref r, (nuint)i);
                acc += v - v;
            }
            if (!Vector512.EqualsAll(acc + acc1 + acc2 + acc3, Vector512<T>.Zero)) return false;
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n - i >= Vector256<T>.Count)
        {
            var acc = Vector256<T>.Zero;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                acc += v - v;
            }
            if (!Vector256.EqualsAll(acc, Vector256<T>.Zero)) return false;
        }
        for (; i < n; i++)
        {
            if (!T.IsFinite(Unsafe.Add(ref r, i))) return false;
        }
        return true;
    }

    private void RequireOwnBuffers<T>(OptimiserBuffers<T> buffers) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (buffers.MomentCount != MomentCount) ThrowForeignBuffers(buffers.MomentCount);
    }

    private void ThrowForeignBuffers(int moments) =>
        throw new ArgumentException(GetType().Name + " keeps " + MomentCount + " moment(s) per parameter but the buffers hold " + moments + "; they were created by another kind of optimiser.", "buffers");

    private static void ThrowIndex(int index, int count) =>
        throw new ArgumentOutOfRangeException("parameterIndex", index, "The buffers hold " + count + " parameter(s).");

    private static void ThrowLengths(int index, int size, int parameterLength, int gradientLength) =>
        throw new ArgumentException("Parameter " + index + " has " + size + " elements in the buffers, but the parameter span has " + parameterLength + " and the gradient span " + gradientLength + "; pass whole parameters and select the slice with start and count.");

    private static void ThrowSlice(int index, int size, int start, int count) =>
        throw new ArgumentOutOfRangeException("start", "The slice [" + start + ", " + start + " + " + count + ") does not fit in parameter " + index + " of " + size + " elements.");

    private static void ThrowNoStep() =>
        throw new InvalidOperationException("Apply was called before BeginStep: call BeginStep once at the start of every training step.");

    // ---------------------------------------------------------------- settings

    /// <summary>Prints the settings only (not the derived <see cref="MomentCount"/> and <see cref="IsPlainSgd"/>).</summary>
    protected virtual bool PrintMembers(StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("LearningRate = ").Append(LearningRate.ToString("R", CultureInfo.InvariantCulture));
        builder.Append(", WeightDecay = ").Append(WeightDecay.ToString("R", CultureInfo.InvariantCulture));
        if (Clamps) builder.Append(", GradientClamp = ").Append(GradientClamp.ToString("R", CultureInfo.InvariantCulture));
        return true;
    }

    private static double RequireLearningRate(double value) => double.IsFinite(value) && value > 0 ? value
        : throw new ArgumentException("LearningRate must be finite and greater than 0; got " + Show(value) + ".", nameof(LearningRate));

    private static double RequireGradientClamp(double value) => value > 0 ? value
        : throw new ArgumentException("GradientClamp must be greater than 0 (positive infinity clamps nothing); got " + Show(value) + ".", nameof(GradientClamp));

    private static double RequireWeightDecay(double value) => double.IsFinite(value) && value >= 0 ? value
        : throw new ArgumentException("WeightDecay must be finite and at least 0; got " + Show(value) + ".", nameof(WeightDecay));

    /// <summary>Returns <paramref name="value"/> when it lies in [0, 1), else throws naming <paramref name="setting"/>.</summary>
    private protected static double RequireUnitInterval(double value, string setting) => value >= 0 && value < 1 ? value
        : throw new ArgumentException(setting + " must be in [0, 1); got " + Show(value) + ".", setting);

    /// <summary>A value for an error message, in invariant culture.</summary>
    private protected static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
