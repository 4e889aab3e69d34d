using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// Elementwise kernels over row-major (rows x columns) blocks for the layers generated code emits: bias-add fused
/// with ReLU and its derivative mask, ReLU's backward multiply, bias gradients and the squared-error loss.
/// Plain maps use <see cref="TensorPrimitives"/>.
/// </summary>
public static class Elementwise
{
    /// <summary>y = max(z, 0).</summary>
    public static void Relu<T>(ReadOnlySpan<T> z, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Max(z, T.Zero, y);

    /// <summary>h = max(z, 0) and mask = z &gt; 0 ? 1 : 0 (ReLU and its derivative, as Symbolic.Graph.Activation defines them).</summary>
    /// <exception cref="ArgumentException">A span is shorter than z.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluWithMask<T>(ReadOnlySpan<T> z, Span<T> h, Span<T> mask) where T : unmanaged, INumber<T>
    {
        if (h.Length < z.Length || mask.Length < z.Length) throw new ArgumentException("ReluWithMask: z has " + z.Length + " elements, h " + h.Length + ", mask " + mask.Length + ".");
        ref T zr = ref MemoryMarshal.GetReference(z);
        ref T hr = ref MemoryMarshal.GetReference(h);
        ref T mr = ref MemoryMarshal.GetReference(mask);
        int n = z.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var one = Vector<T>.One;
            for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref zr, (nuint)i);
                var positive = Vector.GreaterThan(v, Vector<T>.Zero);
                Vector.ConditionalSelect(positive, v, Vector<T>.Zero).StoreUnsafe(ref hr, (nuint)i);
                Vector.ConditionalSelect(positive, one, Vector<T>.Zero).StoreUnsafe(ref mr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T v = Unsafe.Add(ref zr, i);
            bool positive = v > T.Zero;
            Unsafe.Add(ref hr, i) = positive ? v : T.Zero;
            Unsafe.Add(ref mr, i) = positive ? T.One : T.Zero;
        }
    }

    /// <summary>dest = z &gt; 0 ? grad : 0 (ReLU's vector-Jacobian product; dest may be grad).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> grad, Span<T> dest) where T : unmanaged, INumber<T>
    {
        if (grad.Length != z.Length || dest.Length < z.Length) throw new ArgumentException("ReluBackward: z has " + z.Length + " elements, grad " + grad.Length + ", dest " + dest.Length + ".");
        ref T zr = ref MemoryMarshal.GetReference(z);
        ref T gr = ref MemoryMarshal.GetReference(grad);
        ref T dr = ref MemoryMarshal.GetReference(dest);
        int n = z.Length, i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            {
                var keep = Vector.GreaterThan(Vector.LoadUnsafe(ref zr, (nuint)i), Vector<T>.Zero);
                Vector.ConditionalSelect(keep, Vector.LoadUnsafe(ref gr, (nuint)i), Vector<T>.Zero).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref dr, i) = Unsafe.Add(ref zr, i) > T.Zero ? Unsafe.Add(ref gr, i) : T.Zero;
    }

    /// <summary>
    /// For each of <paramref name="rows"/> rows of <paramref name="z"/> (columns = bias length): z += bias, then
    /// h = max(z, 0) and mask = z &gt; 0 ? 1 : 0 (ReLU's derivative, frozen for relaxation). <paramref name="mask"/>
    /// may be empty to skip it; <paramref name="h"/> may be <paramref name="z"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BiasRelu<T>(Span<T> z, ReadOnlySpan<T> bias, int rows, Span<T> h, Span<T> mask) where T : unmanaged, INumber<T>
    {
        int n = bias.Length;
        if (z.Length < rows * n || h.Length < rows * n || (!mask.IsEmpty && mask.Length < rows * n))
        {
            throw new ArgumentException("BiasRelu: " + rows + " rows of " + n + " need that many elements; z has " + z.Length + ", h " + h.Length + ", mask " + mask.Length + ".");
        }
        bool withMask = !mask.IsEmpty;
        ref T br = ref MemoryMarshal.GetReference(bias);
        for (int r = 0; r < rows; r++)
        {
            ref T zr = ref MemoryMarshal.GetReference(z.Slice(r * n));
            ref T hr = ref MemoryMarshal.GetReference(h.Slice(r * n));
            ref T mr = ref withMask ? ref MemoryMarshal.GetReference(mask.Slice(r * n)) : ref hr;
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
                {
                    var v = Vector.LoadUnsafe(ref zr, (nuint)i) + Vector.LoadUnsafe(ref br, (nuint)i);
                    v.StoreUnsafe(ref zr, (nuint)i);
                    var positive = Vector.GreaterThan(v, Vector<T>.Zero);
                    if (withMask) Vector.ConditionalSelect(positive, Vector<T>.One, Vector<T>.Zero).StoreUnsafe(ref mr, (nuint)i);
                    Vector.ConditionalSelect(positive, v, Vector<T>.Zero).StoreUnsafe(ref hr, (nuint)i);
                }
            }
            for (; i < n; i++)
            {
                T v = Unsafe.Add(ref zr, i) + Unsafe.Add(ref br, i);
                Unsafe.Add(ref zr, i) = v;
                bool positive = v > T.Zero;
                if (withMask) Unsafe.Add(ref mr, i) = positive ? T.One : T.Zero;
                Unsafe.Add(ref hr, i) = positive ? v : T.Zero;
            }
        }
    }

    /// <summary>Adds <paramref name="bias"/> to each of <paramref name="rows"/> rows of <paramref name="z"/>.</summary>
    public static void AddBias<T>(Span<T> z, ReadOnlySpan<T> bias, int rows) where T : unmanaged, INumber<T>
    {
        int n = bias.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = z.Slice(r * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>dest = alpha * (sum of the rows of the rows x dest.Length block a) (+ dest): a bias gradient over a batch.</summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> a, int rows, Span<T> dest, T alpha, bool accumulate) where T : unmanaged, INumber<T>
    {
        int n = dest.Length;
        if (!accumulate) dest.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.MultiplyAdd(a.Slice(r * n, n), alpha, dest, dest);
    }

    /// <summary>grad = 2 (output - target); returns the squared error sum((output - target)^2).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static T SquaredError<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> target, Span<T> grad) where T : unmanaged, INumber<T>
    {
        if (target.Length != output.Length || grad.Length < output.Length) throw new ArgumentException("SquaredError: output has " + output.Length + " elements, target " + target.Length + ", grad " + grad.Length + ".");
        T two = T.One + T.One, sum = T.Zero;
        for (int i = 0; i < output.Length; i++)
        {
            T d = output[i] - target[i];
            grad[i] = two * d;
            sum += d * d;
        }
        return sum;
    }
}
