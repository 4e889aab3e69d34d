using System;
using System.Numerics;
using System.Numerics.Tensors;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules.Kernels;

// The image ops' entry points for generated primitives: every geometry argument is a constant at the call site, the
// patch buffer is per thread (allocation-free after the first call), and max-pooling finds its window's maximum again
// in the VJP from the stored input rather than keeping indices between calls.
public static partial class Lowered
{
    /// <summary>Names the per-thread patch buffer of the convolution entry points.</summary>
    private readonly struct PatchUse { }

    /// <summary>value = kernel ⊛ x per sample; the kernel is (outputs × channels·kh·kw) row-major.</summary>
    public static void Conv2d<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> kernel, Span<T> value, int batch, int outputs, int channels, int height, int width, int kernelHeight, int kernelWidth, int stride, int padding)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, kernelHeight, kernelWidth, stride, padding);
        Convolution.Forward(x, kernel, value, outputs, g, batch, ThreadBuffer<PatchUse, T>.Get(Convolution.PatchBufferLength(g)), false);
    }

    /// <summary>target (=|+=) the convolution's VJP to its image through <paramref name="kernel"/> (the forward kernel, or a rule's backward kernel of its shape).</summary>
    public static void Conv2dInput<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> kernel, Span<T> target, bool accumulate, int batch, int outputs, int channels, int height, int width, int kernelHeight, int kernelWidth, int stride, int padding)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, kernelHeight, kernelWidth, stride, padding);
        Convolution.InputVjp(cotangent, kernel, target, outputs, g, batch, ThreadBuffer<PatchUse, T>.Get(Convolution.PatchBufferLength(g)), accumulate);
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
        g.Validate();
        int positions = g.OutputPositions, patch = g.PatchSize, inSize = g.InputSize, outSize = outputs * positions;
        if ((uint)rowStart > (uint)outputs || (uint)rowCount > (uint)(outputs - rowStart)) throw new ArgumentOutOfRangeException(nameof(rowCount), $"Rows [{rowStart}, {rowStart + rowCount}) are not within the kernel's {outputs} output channels.");
        var rows = target.Slice(rowStart * patch, rowCount * patch);
        if (!accumulate) rows.Clear();
        if (rowCount == 0) return;
        var patches = new Span<T>(ThreadBuffer<PatchUse, T>.Get(Convolution.PatchBufferLength(g)), 0, Convolution.PatchBufferLength(g));
        for (int s = 0; s < batch; s++)
        {
            Convolution.Im2Col(x.Slice(s * inSize, inSize), g, patches);
            Gemm.MatMulNT(cotangent.Slice(s * outSize + rowStart * positions, rowCount * positions), positions, patches, positions, rows, patch, rowCount, patch, positions, scale, true);
        }
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
        Pool(x, value, batch, new ImageGeometry(channels, height, width, window, window, stride), max: true);

    /// <summary>value = the mean of each channel over square windows, per sample.</summary>
    public static void AvgPool<T>(ReadOnlySpan<T> x, Span<T> value, int batch, int channels, int height, int width, int window, int stride) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Pool(x, value, batch, new ImageGeometry(channels, height, width, window, window, stride), max: false);

    /// <summary>target (=|+=) max-pooling's VJP: each output's cotangent to the first maximum of its window in <paramref name="x"/>, the pool's stored input.</summary>
    public static void MaxPoolInput<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> x, Span<T> target, bool accumulate, int batch, int channels, int height, int width, int window, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new ImageGeometry(channels, height, width, window, window, stride);
        g.Validate();
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = channels * oh * ow;
        if (!accumulate) target.Slice(0, batch * inSize).Clear();
        for (int s = 0; s < batch; s++)
        {
            var image = x.Slice(s * inSize, inSize);
            var t = target.Slice(s * inSize, inSize);
            for (int c = 0; c < channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int xo = 0; xo < ow; xo++)
                    {
                        int best = -1;
                        for (int ky = 0; ky < window; ky++)
                        {
                            int rowStart = (c * height + y * stride + ky) * width + xo * stride;
                            for (int kx = 0; kx < window; kx++)
                            {
                                if (best < 0 || image[rowStart + kx] > image[best]) best = rowStart + kx;
                            }
                        }
                        t[best] += cotangent[s * outSize + (c * oh + y) * ow + xo];
                    }
                }
            }
        }
    }

    /// <summary>target (=|+=) average-pooling's VJP: each output's cotangent spread evenly over its window.</summary>
    public static void AvgPoolInput<T>(ReadOnlySpan<T> cotangent, Span<T> target, bool accumulate, int batch, int channels, int height, int width, int window, int stride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Convolution.AvgPoolVjp(cotangent, target, new ImageGeometry(channels, height, width, window, window, stride), batch, accumulate);

    private static void Pool<T>(ReadOnlySpan<T> x, Span<T> value, int batch, ImageGeometry g, bool max) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!max)
        {
            Convolution.AvgPool(x, value, g, batch);
            return;
        }
        g.Validate();
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = g.Channels * oh * ow;
        for (int s = 0; s < batch; s++)
        {
            var image = x.Slice(s * inSize, inSize);
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int xo = 0; xo < ow; xo++)
                    {
                        T best = T.NegativeInfinity;
                        bool first = true;
                        for (int ky = 0; ky < g.WindowHeight; ky++)
                        {
                            int rowStart = (c * g.Height + y * g.Stride + ky) * g.Width + xo * g.Stride;
                            for (int kx = 0; kx < g.WindowWidth; kx++)
                            {
                                if (first || image[rowStart + kx] > best) best = image[rowStart + kx];
                                first = false;
                            }
                        }
                        value[s * outSize + (c * oh + y) * ow + xo] = best;
                    }
                }
            }
        }
    }
}
