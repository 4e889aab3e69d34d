using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// The batch kernels that generated primitives call for the structural and elementwise ops (the matrix products call
/// <see cref="Gemm"/>). Every elementwise function computes exactly the scalar definitions of
/// <see cref="Symbolic.Graph.Activation"/>, in the scalar type of the call.
/// </summary>
public static partial class Lowered
{
    /// <summary>target (=|+=) cotangent: a contribution whose Jacobian is the identity.</summary>
    public static void Pass<T>(ReadOnlySpan<T> cotangent, Span<T> target, bool accumulate) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (accumulate) TensorPrimitives.Add(target.Slice(0, cotangent.Length), cotangent, target);
        else cotangent.CopyTo(target);
    }

    /// <summary>target (=|+=) cotangent * multiplier elementwise: a diagonal Jacobian (f', or a gate's other argument).</summary>
    public static void Scale<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> multiplier, Span<T> target, bool accumulate) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var m = multiplier.Slice(0, cotangent.Length);
        var t = target.Slice(0, cotangent.Length);
        if (accumulate) TensorPrimitives.FusedMultiplyAdd(cotangent, m, t, t);
        else TensorPrimitives.Multiply(cotangent, m, t);
    }

    /// <summary>v = x + b per sample (b broadcast over the batch).</summary>
    public static void BiasAdd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> bias, Span<T> value, int batch, int size) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var b = bias.Slice(0, size);
        for (int s = 0; s < batch; s++) TensorPrimitives.Add(x.Slice(s * size, size), b, value.Slice(s * size, size));
    }

    /// <summary>Rows [rowStart, rowStart + rowCount) of a bias: target (=|+=) scale * the cotangent summed over the batch.</summary>
    public static void BiasProduct<T>(ReadOnlySpan<T> cotangent, Span<T> target, int batch, int size, int rowStart, int rowCount, T scale, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var b = target.Slice(rowStart, rowCount);
        if (!accumulate) b.Clear();
        for (int s = 0; s < batch; s++) TensorPrimitives.MultiplyAdd(cotangent.Slice(s * size + rowStart, rowCount), scale, b, b);
    }

    /// <summary>Copies one part of a concatenation into its slice of every sample of the value.</summary>
    public static void ConcatPart<T>(ReadOnlySpan<T> part, Span<T> value, int batch, int partSize, int size, int offset) where T : unmanaged
    {
        for (int s = 0; s < batch; s++) part.Slice(s * partSize, partSize).CopyTo(value.Slice(s * size + offset, partSize));
    }

    /// <summary>target (=|+=) one part's slice of a concatenation's cotangent, per sample.</summary>
    public static void ConcatSlice<T>(ReadOnlySpan<T> cotangent, Span<T> target, int batch, int partSize, int size, int offset, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int s = 0; s < batch; s++)
        {
            var c = cotangent.Slice(s * size + offset, partSize);
            var t = target.Slice(s * partSize, partSize);
            if (accumulate) TensorPrimitives.Add(t, c, t);
            else c.CopyTo(t);
        }
    }

    /// <summary>target (=|+=) a slice's VJP: per sample, the cotangent at units [offset, offset + partSize) of the input, zero at the others.</summary>
    public static void SliceInput<T>(ReadOnlySpan<T> cotangent, Span<T> target, int batch, int partSize, int size, int offset, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!accumulate) target.Slice(0, batch * size).Clear();
        for (int s = 0; s < batch; s++)
        {
            var t = target.Slice(s * size + offset, partSize);
            TensorPrimitives.Add(t, cotangent.Slice(s * partSize, partSize), t);
        }
    }

    /// <summary>v = x (an identity node of its own).</summary>
    public static void Identity<T>(ReadOnlySpan<T> x, Span<T> value) where T : unmanaged => x.CopyTo(value);

    /// <summary>v = tanh(x), d = 1 - v^2.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> value, Span<T> derivative) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // TensorPrimitives' vectorised tanh (about 20 times the scalar T.Tanh here) is accurate to an ulp or two, inside every tolerance.
        var v = value.Slice(0, x.Length);
        var d = derivative.Slice(0, x.Length);
        TensorPrimitives.Tanh(x, v);
        TensorPrimitives.Multiply(v, v, d);
        TensorPrimitives.Subtract(T.One, d, d);
    }

    /// <summary>v = sigmoid(x), d = v (1 - v).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> value, Span<T> derivative) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int k = 0; k < x.Length; k++)
        {
            T t = Logistic(x[k]);
            value[k] = t;
            derivative[k] = t * (T.One - t);
        }
    }

    /// <summary>v = softplus(x), d = sigmoid(x).</summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, Span<T> value, Span<T> derivative) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int k = 0; k < x.Length; k++)
        {
            T a = x[k];
            value[k] = a > T.Zero ? a + Log1p(T.Exp(-a)) : Log1p(T.Exp(a));
            derivative[k] = Logistic(a);
        }
    }

    /// <summary>v = x &gt; 0 ? x : alpha x, d = x &gt; 0 ? 1 : alpha.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, Span<T> value, Span<T> derivative, T alpha) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int k = 0; k < x.Length; k++)
        {
            T a = x[k];
            value[k] = a > T.Zero ? a : alpha * a;
            derivative[k] = a > T.Zero ? T.One : alpha;
        }
    }

    /// <summary>The logistic function without overflow, as <see cref="Symbolic.Graph.Activation.Sigmoid"/>.</summary>
    private static T Logistic<T>(T x) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        x >= T.Zero ? T.One / (T.One + T.Exp(-x)) : T.Exp(x) / (T.One + T.Exp(x));

    /// <summary>log(1 + x) as <see cref="Symbolic.Graph.Activation"/> computes it.</summary>
    private static T Log1p<T>(T x) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        T.Abs(x) < T.CreateChecked(1e-4) ? x - x * x / T.CreateChecked(2) + x * x * x / T.CreateChecked(3) : T.Log(T.One + x);
}
