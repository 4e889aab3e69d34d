using System;
using System.Numerics;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// The image ops' batch kernels for compiled code, sample-major (sample s's (channel, row, column) values at
/// s × size): a convolution unfolds each image into a (C·KH·KW) × (OH·OW) patch matrix (im2col) and multiplies it by
/// the (out × C·KH·KW) kernel through <see cref="Gemm"/>; its VJPs multiply back and fold (col2im). Pooling keeps the
/// index of each window's maximum for its VJP. Allocation-free: the caller owns the patch buffer
/// (<see cref="PatchBufferLength"/>).
/// </summary>
public static class Convolution
{
    /// <summary>The length of the patch buffer a convolution of <paramref name="g"/> needs (one sample's unfolded image).</summary>
    public static int PatchBufferLength(ImageGeometry g) => g.PatchSize * g.OutputPositions;

    /// <summary>
    /// The output columns x in [first, last) whose input column x·s − p + kx lies inside the image (the rest read the zero
    /// padding): computed once per (kx) instead of tested per element.
    /// </summary>
    private static (int First, int Last) ValidColumns(ImageGeometry g, int kx, int ow)
    {
        int shift = kx - g.Padding;
        int first = shift >= 0 ? 0 : (-shift + g.Stride - 1) / g.Stride;
        int last = g.Width - shift <= 0 ? 0 : Math.Min(ow, (g.Width - shift + g.Stride - 1) / g.Stride);
        return (Math.Min(first, last), last);
    }

    /// <summary>cols[(c·KH + ky)·KW + kx, y·OW + x] = image[c, y·s − p + ky, x·s − p + kx], zero outside the image.</summary>
    public static void Im2Col<T>(ReadOnlySpan<T> image, ImageGeometry g, Span<T> cols) where T : unmanaged, INumber<T>
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, positions = oh * ow, stride = g.Stride;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int ky = 0; ky < g.WindowHeight; ky++)
            {
                for (int kx = 0; kx < g.WindowWidth; kx++)
                {
                    var row = cols.Slice(((c * g.WindowHeight + ky) * g.WindowWidth + kx) * positions, positions);
                    var (first, last) = ValidColumns(g, kx, ow);
                    int shift = kx - g.Padding;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * stride - g.Padding + ky;
                        var target = row.Slice(y * ow, ow);
                        if (iy < 0 || iy >= g.Height || first == last)
                        {
                            target.Clear();
                            continue;
                        }
                        target.Slice(0, first).Clear();
                        target.Slice(last).Clear();
                        var source = image.Slice((c * g.Height + iy) * g.Width, g.Width);
                        if (stride == 1)
                        {
                            source.Slice(first + shift, last - first).CopyTo(target.Slice(first, last - first));
                            continue;
                        }
                        for (int x = first; x < last; x++) target[x] = source[x * stride + shift];
                    }
                }
            }
        }
    }

    /// <summary>image[c, y·s − p + ky, x·s − p + kx] += cols[(c·KH + ky)·KW + kx, y·OW + x]: the transpose of <see cref="Im2Col"/>.</summary>
    public static void Col2ImAdd<T>(ReadOnlySpan<T> cols, ImageGeometry g, Span<T> image) where T : unmanaged, INumber<T>
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, positions = oh * ow, stride = g.Stride;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int ky = 0; ky < g.WindowHeight; ky++)
            {
                for (int kx = 0; kx < g.WindowWidth; kx++)
                {
                    var row = cols.Slice(((c * g.WindowHeight + ky) * g.WindowWidth + kx) * positions, positions);
                    var (first, last) = ValidColumns(g, kx, ow);
                    if (first == last) continue;
                    int shift = kx - g.Padding;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * stride - g.Padding + ky;
                        if (iy < 0 || iy >= g.Height) continue;
                        var target = image.Slice((c * g.Height + iy) * g.Width, g.Width);
                        var source = row.Slice(y * ow, ow);
                        if (stride == 1)
                        {
                            var segment = target.Slice(first + shift, last - first);
                            System.Numerics.Tensors.TensorPrimitives.Add<T>(segment, source.Slice(first, last - first), segment);
                            continue;
                        }
                        for (int x = first; x < last; x++) target[x * stride + shift] += source[x];
                    }
                }
            }
        }
    }

    /// <summary>output (=|+=) K ⊛ input for <paramref name="batch"/> samples; K is (outputs × C·KH·KW) row-major.</summary>
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> kernel, Span<T> output, int outputs, ImageGeometry g, int batch, Span<T> cols, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(input.Length, kernel.Length, output.Length, cols.Length, outputs, g, batch);
        int positions = g.OutputPositions, inSize = g.InputSize, outSize = outputs * positions;
        var patches = cols.Slice(0, PatchBufferLength(g));
        for (int s = 0; s < batch; s++)
        {
            Im2Col(input.Slice(s * inSize, inSize), g, patches);
            Gemm.MatMulNN(kernel, patches, output.Slice(s * outSize, outSize), outputs, positions, g.PatchSize, accumulate);
        }
    }

    /// <summary>inputCotangent (=|+=) the VJP of <see cref="Forward"/> to its input: fold(Kᵀ cotangent) per sample.</summary>
    public static void InputVjp<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> kernel, Span<T> inputCotangent, int outputs, ImageGeometry g, int batch, Span<T> cols, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(inputCotangent.Length, kernel.Length, cotangent.Length, cols.Length, outputs, g, batch);
        int positions = g.OutputPositions, inSize = g.InputSize, outSize = outputs * positions;
        var patches = cols.Slice(0, PatchBufferLength(g));
        if (!accumulate) inputCotangent.Slice(0, batch * inSize).Clear();
        for (int s = 0; s < batch; s++)
        {
            Gemm.MatMulTN(kernel, cotangent.Slice(s * outSize, outSize), patches, g.PatchSize, positions, outputs, false);
            Col2ImAdd<T>(patches, g, inputCotangent.Slice(s * inSize, inSize));
        }
    }

    /// <summary>kernelTarget (=|+=) scale × Σ_s cotangent_s unfold(input_s)ᵀ: the VJP of <see cref="Forward"/> to its kernel over the batch.</summary>
    public static void KernelVjp<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> input, Span<T> kernelTarget, int outputs, ImageGeometry g, int batch, Span<T> cols, T scale, bool accumulate)
        where T : unmanaged, INumber<T> =>
        KernelVjpRows(cotangent, input, kernelTarget, outputs, g, batch, cols, scale, accumulate, 0, outputs);

    /// <summary>
    /// <see cref="KernelVjp"/> on output channels [rowStart, rowStart + rowCount) only (the rows one thread of the
    /// data-parallel run updates); the other rows of <paramref name="kernelTarget"/> are left as they are.
    /// </summary>
    public static void KernelVjpRows<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> input, Span<T> kernelTarget, int outputs, ImageGeometry g, int batch, Span<T> cols, T scale, bool accumulate, int rowStart, int rowCount)
        where T : unmanaged, INumber<T>
    {
        Check(input.Length, kernelTarget.Length, cotangent.Length, cols.Length, outputs, g, batch);
        if ((uint)rowStart > (uint)outputs || (uint)rowCount > (uint)(outputs - rowStart)) throw new ArgumentOutOfRangeException(nameof(rowCount), $"Rows [{rowStart}, {rowStart + rowCount}) are not within the kernel's {outputs} output channels.");
        int positions = g.OutputPositions, patch = g.PatchSize, inSize = g.InputSize, outSize = outputs * positions;
        var rows = kernelTarget.Slice(rowStart * patch, rowCount * patch);
        if (!accumulate) rows.Clear();
        if (rowCount == 0) return;
        var patches = cols.Slice(0, PatchBufferLength(g));
        for (int s = 0; s < batch; s++)
        {
            Im2Col(input.Slice(s * inSize, inSize), g, patches);
            Gemm.MatMulNT(cotangent.Slice(s * outSize + rowStart * positions, rowCount * positions), positions, patches, positions, rows, patch, rowCount, patch, positions, scale, true);
        }
    }

    /// <summary>Max-pooling per channel for <paramref name="batch"/> samples (no padding); argmax[s·outSize + i] is the winning input index within sample s (first maximum on ties).</summary>
    public static void MaxPool<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, ImageGeometry g, int batch) where T : unmanaged, INumber<T>
    {
        CheckPool(input.Length, output.Length, g, batch);
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = g.Channels * oh * ow;
        if (argmax.Length < batch * outSize) throw new ArgumentException($"The argmax buffer holds {argmax.Length} indices; {batch} samples need {batch * outSize}.");
        for (int s = 0; s < batch; s++)
        {
            var image = input.Slice(s * inSize, inSize);
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        int best = -1;
                        for (int ky = 0; ky < g.WindowHeight; ky++)
                        {
                            int rowStart = (c * g.Height + y * g.Stride + ky) * g.Width + x * g.Stride;
                            for (int kx = 0; kx < g.WindowWidth; kx++)
                            {
                                if (best < 0 || image[rowStart + kx] > image[best]) best = rowStart + kx;
                            }
                        }
                        int o = s * outSize + (c * oh + y) * ow + x;
                        output[o] = image[best];
                        argmax[o] = best;
                    }
                }
            }
        }
    }

    /// <summary>inputCotangent (=|+=) the VJP of <see cref="MaxPool"/>: each output's cotangent to the input index it took.</summary>
    public static void MaxPoolVjp<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<int> argmax, Span<T> inputCotangent, ImageGeometry g, int batch, bool accumulate) where T : unmanaged, INumber<T>
    {
        int inSize = g.InputSize, outSize = g.Channels * g.OutputPositions;
        if (!accumulate) inputCotangent.Slice(0, batch * inSize).Clear();
        for (int s = 0; s < batch; s++)
        {
            var target = inputCotangent.Slice(s * inSize, inSize);
            for (int i = 0; i < outSize; i++) target[argmax[s * outSize + i]] += cotangent[s * outSize + i];
        }
    }

    /// <summary>Average-pooling per channel for <paramref name="batch"/> samples (no padding).</summary>
    public static void AvgPool<T>(ReadOnlySpan<T> input, Span<T> output, ImageGeometry g, int batch) where T : unmanaged, INumber<T>
    {
        CheckPool(input.Length, output.Length, g, batch);
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = g.Channels * oh * ow;
        T scale = T.One / T.CreateChecked(g.WindowHeight * g.WindowWidth);
        for (int s = 0; s < batch; s++)
        {
            var image = input.Slice(s * inSize, inSize);
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        T sum = T.Zero;
                        for (int ky = 0; ky < g.WindowHeight; ky++)
                        {
                            int rowStart = (c * g.Height + y * g.Stride + ky) * g.Width + x * g.Stride;
                            for (int kx = 0; kx < g.WindowWidth; kx++) sum += image[rowStart + kx];
                        }
                        output[s * outSize + (c * oh + y) * ow + x] = sum * scale;
                    }
                }
            }
        }
    }

    /// <summary>inputCotangent (=|+=) the VJP of <see cref="AvgPool"/>: each output's cotangent spread evenly over its window.</summary>
    public static void AvgPoolVjp<T>(ReadOnlySpan<T> cotangent, Span<T> inputCotangent, ImageGeometry g, int batch, bool accumulate) where T : unmanaged, INumber<T>
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, inSize = g.InputSize, outSize = g.Channels * oh * ow;
        T scale = T.One / T.CreateChecked(g.WindowHeight * g.WindowWidth);
        if (!accumulate) inputCotangent.Slice(0, batch * inSize).Clear();
        for (int s = 0; s < batch; s++)
        {
            var target = inputCotangent.Slice(s * inSize, inSize);
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        T share = cotangent[s * outSize + (c * oh + y) * ow + x] * scale;
                        for (int ky = 0; ky < g.WindowHeight; ky++)
                        {
                            int rowStart = (c * g.Height + y * g.Stride + ky) * g.Width + x * g.Stride;
                            for (int kx = 0; kx < g.WindowWidth; kx++) target[rowStart + kx] += share;
                        }
                    }
                }
            }
        }
    }

    private static void Check(int inputLength, int kernelLength, int outputLength, int colsLength, int outputs, ImageGeometry g, int batch)
    {
        g.Validate();
        if (outputs < 1) throw new ArgumentException("A convolution needs at least one output channel; got " + outputs + ".");
        if (inputLength < batch * g.InputSize) throw new ArgumentException($"The input holds {inputLength} values; {batch} images of ({g.Channels}, {g.Height}, {g.Width}) need {batch * g.InputSize}.");
        if (kernelLength < outputs * g.PatchSize) throw new ArgumentException($"The kernel holds {kernelLength} values; {outputs} x {g.PatchSize} are needed.");
        if (outputLength < batch * outputs * g.OutputPositions) throw new ArgumentException($"The output holds {outputLength} values; {batch} samples of ({outputs}, {g.OutputHeight}, {g.OutputWidth}) need {batch * outputs * g.OutputPositions}.");
        if (colsLength < PatchBufferLength(g)) throw new ArgumentException($"The patch buffer holds {colsLength} values; this geometry needs {PatchBufferLength(g)}.");
    }

    private static void CheckPool(int inputLength, int outputLength, ImageGeometry g, int batch)
    {
        g.Validate();
        if (g.Padding != 0) throw new ArgumentException("Pooling takes no padding; got " + g.Padding + ".");
        if (inputLength < batch * g.InputSize) throw new ArgumentException($"The input holds {inputLength} values; {batch} images of ({g.Channels}, {g.Height}, {g.Width}) need {batch * g.InputSize}.");
        if (outputLength < batch * g.Channels * g.OutputPositions) throw new ArgumentException($"The output holds {outputLength} values; {batch} samples need {batch * g.Channels * g.OutputPositions}.");
    }
}
