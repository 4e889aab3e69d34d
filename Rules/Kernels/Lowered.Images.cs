using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules.Kernels;

// The image ops' entry points for generated primitives: every geometry argument is a constant at the call site, the
// convolution workspace is per thread (allocation-free after the first call), and max-pooling finds its window's maximum again
// in the VJP from the stored input rather than keeping indices between calls.
public static partial class Lowered
{
    /// <summary>Names the per-thread workspace of the convolution entry points.</summary>
    private readonly struct ConvolutionUse { }

    /// <summary>value = kernel ⊛ x per sample; the kernel is (outputs × channels·kh·kw) row-major.</summary>
    public static void Conv2d<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> kernel, Span<T> value, int batch, int outputs, int channels, int height, int width, int kernelHeight, int kernelWidth, int stride, int padding)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, kernelHeight, kernelWidth, stride, padding);
        Convolution.Forward(x, kernel, value, outputs, g, batch, ThreadBuffer<ConvolutionUse, T>.Get(Convolution.WorkspaceLength(g, outputs, batch)), false);
    }

    /// <summary>target (=|+=) the convolution's VJP to its image through <paramref name="kernel"/> (the forward kernel, or a rule's backward kernel of its shape).</summary>
    public static void Conv2dInput<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> kernel, Span<T> target, bool accumulate, int batch, int outputs, int channels, int height, int width, int kernelHeight, int kernelWidth, int stride, int padding)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, kernelHeight, kernelWidth, stride, padding);
        Convolution.InputVjp(cotangent, kernel, target, outputs, g, batch, ThreadBuffer<ConvolutionUse, T>.Get(Convolution.WorkspaceLength(g, outputs, batch)), accumulate);
    }

    /// <summary>
    /// Output channels [rowStart, rowStart + rowCount) of a kernel: target (=|+=) scale × Σ_s cotangent_s unfold(x_s)ᵀ, the
    /// convolution's VJP to its kernel summed over the batch.
    /// </summary>
    public static void Conv2dKernel<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> x, Span<T> target, T scale, bool accumulate, int batch, int rowStart, int rowCount,
        int outputs, int channels, int height, int width, int kernelHeight, int kernelWidth, int stride, int padding)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, kernelHeight, kernelWidth, stride, padding);
        Convolution.KernelVjpRows(cotangent, x, target, outputs, g, batch, ThreadBuffer<ConvolutionUse, T>.Get(Convolution.WorkspaceLength(g, outputs, batch)), scale, accumulate, rowStart, rowCount);
    }

    /// <summary>value = x + bias[channel] at every position of the channel, per sample.</summary>
    public static void ChannelBiasAdd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> bias, Span<T> value, int batch, int channels, int positions) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int size = channels * positions;
        for (int s = 0; s < batch; s++)
        {
            for (int c = 0; c < channels; c++)
            {
                int at = s * size + c * positions;
                TensorPrimitives.Add(x.Slice(at, positions), bias[c], value.Slice(at, positions));
            }
        }
    }

    /// <summary>Channels [rowStart, rowStart + rowCount) of a per-channel bias: target (=|+=) scale × the cotangent summed over the batch and the channel's positions.</summary>
    public static void ChannelBiasProduct<T>(ReadOnlySpan<T> cotangent, Span<T> target, int batch, int channels, int positions, int rowStart, int rowCount, T scale, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int size = channels * positions;
        for (int c = rowStart; c < rowStart + rowCount; c++)
        {
            T sum = T.Zero;
            for (int s = 0; s < batch; s++) sum += TensorPrimitives.Sum(cotangent.Slice(s * size + c * positions, positions));
            target[c] = accumulate ? target[c] + scale * sum : scale * sum;
        }
    }

    /// <summary>value = the maximum of each channel over square windows, per sample.</summary>
    public static void MaxPool<T>(ReadOnlySpan<T> x, Span<T> value, int batch, int channels, int height, int width, int window, int stride) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        MaxPool(x, value, batch, new ImageGeometry(channels, height, width, window, window, stride));

    /// <summary>value = the mean of each channel over square windows, per sample.</summary>
    public static void AvgPool<T>(ReadOnlySpan<T> x, Span<T> value, int batch, int channels, int height, int width, int window, int stride) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Convolution.AvgPool(x, value, new ImageGeometry(channels, height, width, window, window, stride), batch);

    /// <summary>target (=|+=) max-pooling's VJP: each output's cotangent to the first maximum of its window in <paramref name="x"/>, the pool's stored input.</summary>
    public static void MaxPoolInput<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> x, Span<T> target, bool accumulate, int batch, int channels, int height, int width, int window, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, window, window, stride);
        g.Validate();
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = channels * oh * ow;
        if (x.Length < batch * inSize || target.Length < batch * inSize || cotangent.Length < batch * outSize) throw new ArgumentException("A max-pooling VJP's spans are shorter than the batch needs.");
        ref T input = ref MemoryMarshal.GetReference(x);
        ref T result = ref MemoryMarshal.GetReference(target);
        ref T cot = ref MemoryMarshal.GetReference(cotangent);
        // 2 x 2 windows at stride 2 in float, four windows at a time (the paper's pools): a branch-free select of the first
        // maximum per window from lane compares.
        bool quads = window == 2 && stride == 2 && typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated;
        // Where the quads tile every plane exactly they write every input value (the cotangent or 0), so the target needs no clearing first.
        bool overwrite = !accumulate && quads && height == 2 * oh && width == 2 * ow && ow % 4 == 0;
        if (!accumulate && !overwrite) target.Slice(0, batch * inSize).Clear();
        int o = 0;
        for (int plane = 0; plane < batch * channels; plane++)
        {
            int planeStart = plane * height * width;
            for (int y = 0; y < oh; y++)
            {
                int xo = 0, rowStart = planeStart + y * stride * width;
                if (quads)
                {
                    for (; xo + 4 <= ow; xo += 4, o += 4)
                    {
                        MaxPoolInputQuad(ref Unsafe.As<T, float>(ref Unsafe.Add(ref input, rowStart + 2 * xo)), ref Unsafe.As<T, float>(ref Unsafe.Add(ref result, rowStart + 2 * xo)),
                            ref Unsafe.As<T, float>(ref Unsafe.Add(ref cot, o)), width, overwrite);
                    }
                }
                for (; xo < ow; xo++, o++)
                {
                    int best = WindowArgmax(ref input, rowStart + xo * stride, width, window);
                    Unsafe.Add(ref result, best) += Unsafe.Add(ref cot, o);
                }
            }
        }
    }

    // Lanes (2j, 2j+1) of both rows hold window j: swapping neighbours gives each lane its partner in the window's row.
    private static Vector256<int> PairSwap => Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);

    // Four 2 x 2 windows of two rows width apart: target (+)= each window's cotangent at its first maximum (row-major), 0 elsewhere.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxPoolInputQuad(ref float input, ref float target, ref float cotangent, int width, bool overwrite)
    {
        var top = Vector256.LoadUnsafe(ref input);
        var bottom = Vector256.LoadUnsafe(ref input, (nuint)width);
        var max = Vector256.MaxNative(Vector256.MaxNative(top, Vector256.Shuffle(top, PairSwap)), Vector256.MaxNative(bottom, Vector256.Shuffle(bottom, PairSwap)));
        var odd = Vector256.Create(0, -1, 0, -1, 0, -1, 0, -1).AsSingle();
        var topIs = Vector256.Equals(top, max);
        var topPartnerIs = Vector256.Shuffle(topIs.AsInt32(), PairSwap).AsSingle();
        var bottomIs = Vector256.Equals(bottom, max);
        var bottomPartnerIs = Vector256.Shuffle(bottomIs.AsInt32(), PairSwap).AsSingle();
        // The right column loses to a maximum on its left; the bottom row loses to one anywhere in the top row.
        var topWins = Vector256.AndNot(topIs, topPartnerIs & odd);
        var bottomWins = Vector256.AndNot(Vector256.AndNot(bottomIs, bottomPartnerIs & odd), topIs | topPartnerIs);
        var share = Vector256.Shuffle(Vector128.LoadUnsafe(ref cotangent).ToVector256Unsafe(), Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3));
        if (overwrite)
        {
            (topWins & share).StoreUnsafe(ref target);
            (bottomWins & share).StoreUnsafe(ref target, (nuint)width);
            return;
        }
        (Vector256.LoadUnsafe(ref target) + (topWins & share)).StoreUnsafe(ref target);
        (Vector256.LoadUnsafe(ref target, (nuint)width) + (bottomWins & share)).StoreUnsafe(ref target, (nuint)width);
    }

    // The maximum of a window x window block starting at index start of rows width apart (bounds checked by the caller).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T WindowMax<T>(ref T input, int start, int width, int window) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T m = Unsafe.Add(ref input, start);
        for (int ky = 0; ky < window; ky++)
        {
            int row = start + ky * width;
            for (int kx = 0; kx < window; kx++) m = T.Max(m, Unsafe.Add(ref input, row + kx));
        }
        return m;
    }

    // The index of the first maximum of a window x window block starting at index start of rows width apart (bounds checked by the caller).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WindowArgmax<T>(ref T input, int start, int width, int window) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (window == 2)
        {
            // The common 2 x 2 window without branches (a branch per comparison mispredicts on real data, about 20 ns a
            // window): the maximum by T.Max, then the first position holding it, row-major, from a bit mask.
            T a = Unsafe.Add(ref input, start), b = Unsafe.Add(ref input, start + 1), c = Unsafe.Add(ref input, start + width), d = Unsafe.Add(ref input, start + width + 1);
            T m = T.Max(T.Max(a, b), T.Max(c, d));
            int mask = (a == m ? 1 : 0) | (b == m ? 2 : 0) | (c == m ? 4 : 0) | 8;
            int first = System.Numerics.BitOperations.TrailingZeroCount(mask);
            return start + (first & 1) + (first >> 1) * width;
        }
        int best = start;
        T bestValue = Unsafe.Add(ref input, start);
        for (int ky = 0; ky < window; ky++)
        {
            int row = start + ky * width;
            for (int kx = 0; kx < window; kx++)
            {
                // Selects rather than branches: on real data which value wins is unpredictable, and a mispredicted branch per
                // comparison cost about 20 ns per window.
                T v = Unsafe.Add(ref input, row + kx);
                bool greater = v > bestValue;
                best = greater ? row + kx : best;
                bestValue = greater ? v : bestValue;
            }
        }
        return best;
    }

    /// <summary>target (=|+=) average-pooling's VJP: each output's cotangent spread evenly over its window.</summary>
    public static void AvgPoolInput<T>(ReadOnlySpan<T> cotangent, Span<T> target, bool accumulate, int batch, int channels, int height, int width, int window, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Convolution.AvgPoolVjp(cotangent, target, new ImageGeometry(channels, height, width, window, window, stride), batch, accumulate);

    private static void MaxPool<T>(ReadOnlySpan<T> x, Span<T> value, int batch, ImageGeometry g) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        g.Validate();
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = g.Channels * oh * ow;
        if (x.Length < batch * inSize || value.Length < batch * outSize) throw new ArgumentException("A max-pooling's spans are shorter than the batch needs.");
        ref T input = ref MemoryMarshal.GetReference(x);
        ref T result = ref MemoryMarshal.GetReference(value);
        int o = 0, width = g.Width, stride = g.Stride, window = g.WindowHeight;
        bool quads = window == 2 && stride == 2 && typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * width;
            for (int y = 0; y < oh; y++)
            {
                int xo = 0, rowStart = planeStart + y * stride * width;
                if (quads)
                {
                    for (; xo + 4 <= ow; xo += 4, o += 4)
                    {
                        ref float top = ref Unsafe.As<T, float>(ref Unsafe.Add(ref input, rowStart + 2 * xo));
                        var pairs = Vector256.MaxNative(Vector256.LoadUnsafe(ref top), Vector256.LoadUnsafe(ref top, (nuint)width));
                        var max = Vector256.MaxNative(pairs, Vector256.Shuffle(pairs, PairSwap));
                        Vector256.Shuffle(max, Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).GetLower().StoreUnsafe(ref Unsafe.As<T, float>(ref Unsafe.Add(ref result, o)));
                    }
                }
                for (; xo < ow; xo++, o++)
                {
                    Unsafe.Add(ref result, o) = WindowMax(ref input, rowStart + xo * stride, width, window);
                }
            }
        }
    }
}
