using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// The image ops' batch kernels for compiled code, sample-major (sample s's (channel, row, column) values at
/// s × size): a convolution transposes a chunk of samples to channel-major (sample innermost), unfolds them side by side
/// into one (C·KH·KW) × (OH·OW·n) patch matrix (im2col) and multiplies it by the (out × C·KH·KW) kernel in one
/// <see cref="Gemm"/>; its VJPs multiply back and fold (col2im). Pooling keeps the index of each window's maximum for
/// its VJP. Allocation-free: the caller owns the workspace (<see cref="WorkspaceLength"/>).
/// </summary>
public static partial class Convolution
{
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

    /// <summary>
    /// output (=|+=) K ⊛ input for <paramref name="batch"/> samples; K is (outputs × C·KH·KW) row-major; the workspace
    /// holds <see cref="WorkspaceLength"/> values.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> kernel, Span<T> output, int outputs, ImageGeometry g, int batch, Span<T> workspace, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(input.Length, kernel.Length, output.Length, workspace.Length, outputs, g, batch);
        int positions = g.OutputPositions, inSize = g.InputSize, outSize = outputs * positions, chunk = ChunkSamples(g, batch);
        var w = new Workspace<T>(workspace, g, outputs, chunk);
        for (int s0 = 0; s0 < batch; s0 += chunk)
        {
            int n = Math.Min(chunk, batch - s0);
            var patches = Unfold(input, s0, n, g, w);
            var products = w.Products(n);
            Gemm.MatMulNN<T>(kernel, patches, products, outputs, positions * n, g.PatchSize, false);
            StoreSampleMajor(products, output.Slice(s0 * outSize, n * outSize), w.SampleMajor(n, outSize), n, outSize, accumulate);
        }
    }

    /// <summary>inputCotangent (=|+=) the VJP of <see cref="Forward"/> to its input: fold(Kᵀ cotangent) per sample.</summary>
    public static void InputVjp<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> kernel, Span<T> inputCotangent, int outputs, ImageGeometry g, int batch, Span<T> workspace, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        Check(inputCotangent.Length, kernel.Length, cotangent.Length, workspace.Length, outputs, g, batch);
        int positions = g.OutputPositions, inSize = g.InputSize, outSize = outputs * positions, chunk = ChunkSamples(g, batch);
        var w = new Workspace<T>(workspace, g, outputs, chunk);
        for (int s0 = 0; s0 < batch; s0 += chunk)
        {
            int n = Math.Min(chunk, batch - s0);
            var products = w.Products(n);
            Gemm.Transpose(cotangent.Slice(s0 * outSize, n * outSize), outSize, products, n, outSize);
            var patches = w.Patches(n);
            var images = w.Images(n);
            if (UsesDirectInputVjp<T>(g, outputs, n))
            {
                DirectInputVjpChunk(MemoryMarshal.Cast<T, float>(products), MemoryMarshal.Cast<T, float>(kernel), MemoryMarshal.Cast<T, float>(images), MemoryMarshal.Cast<T, float>(patches), outputs, g);
            }
            else
            {
                Gemm.MatMulTN<T>(kernel, products, patches, g.PatchSize, positions * n, outputs, false);
                images.Clear();
                Col2ImAddBatch<T>(patches, g, n, images);
            }
            StoreSampleMajor(images, inputCotangent.Slice(s0 * inSize, n * inSize), w.SampleMajor(n, inSize), n, inSize, accumulate);
        }
    }

    /// <summary>kernelTarget (=|+=) scale × Σ_s cotangent_s unfold(input_s)ᵀ: the VJP of <see cref="Forward"/> to its kernel over the batch.</summary>
    public static void KernelVjp<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> input, Span<T> kernelTarget, int outputs, ImageGeometry g, int batch, Span<T> workspace, T scale, bool accumulate)
        where T : unmanaged, INumber<T> =>
        KernelVjpRows(cotangent, input, kernelTarget, outputs, g, batch, workspace, scale, accumulate, 0, outputs);

    /// <summary>
    /// <see cref="KernelVjp"/> on output channels [rowStart, rowStart + rowCount) only (the rows one thread of the
    /// data-parallel run updates); the other rows of <paramref name="kernelTarget"/> are left as they are.
    /// </summary>
    public static void KernelVjpRows<T>(ReadOnlySpan<T> cotangent, ReadOnlySpan<T> input, Span<T> kernelTarget, int outputs, ImageGeometry g, int batch, Span<T> workspace, T scale, bool accumulate, int rowStart, int rowCount)
        where T : unmanaged, INumber<T>
    {
        Check(input.Length, kernelTarget.Length, cotangent.Length, workspace.Length, outputs, g, batch);
        if ((uint)rowStart > (uint)outputs || (uint)rowCount > (uint)(outputs - rowStart)) throw new ArgumentOutOfRangeException(nameof(rowCount), $"Rows [{rowStart}, {rowStart + rowCount}) are not within the kernel's {outputs} output channels.");
        int positions = g.OutputPositions, patch = g.PatchSize, inSize = g.InputSize, outSize = outputs * positions, chunk = ChunkSamples(g, batch);
        var rows = kernelTarget.Slice(rowStart * patch, rowCount * patch);
        if (!accumulate) rows.Clear();
        if (rowCount == 0) return;
        var w = new Workspace<T>(workspace, g, outputs, chunk);
        for (int s0 = 0; s0 < batch; s0 += chunk)
        {
            int n = Math.Min(chunk, batch - s0);
            var patches = Unfold(input, s0, n, g, w);
            // The cotangent's rows of these channels, channel-major like the patches: (rowCount · positions) × n.
            var products = w.Products(n).Slice(0, rowCount * positions * n);
            Gemm.Transpose(cotangent.Slice(s0 * outSize + rowStart * positions, (n - 1) * outSize + rowCount * positions), outSize, products, n, rowCount * positions);
            Gemm.MatMulNT<T>(products, positions * n, patches, positions * n, rows, patch, rowCount, patch, positions * n, scale, true);
        }
    }

    // Samples unfolded together: enough that a chunk's patch matrix fills about a megabyte (half this machine's L2) and
    // its GEMM has thousands of columns, at most 16 (one Vector512 of floats per patch element and position).
    private const int ChunkElements = 1 << 18;
    private const int MaxChunk = 16;

    /// <summary>The samples a convolution of <paramref name="g"/> unfolds and multiplies at once.</summary>
    public static int ChunkSamples(ImageGeometry g, int batch) =>
        Math.Max(1, Math.Min(Math.Min(MaxChunk, Math.Max(1, batch)), ChunkElements / Math.Max(1, g.PatchSize * g.OutputPositions)));

    /// <summary>
    /// The workspace a convolution of <paramref name="g"/> with <paramref name="outputs"/> channels needs for
    /// <paramref name="batch"/> samples: a chunk's images, patches and products channel-major (sample innermost) and a
    /// sample-major copy for accumulating.
    /// </summary>
    public static int WorkspaceLength(ImageGeometry g, int outputs, int batch)
    {
        int n = ChunkSamples(g, batch), outSize = outputs * g.OutputPositions;
        return n * (g.InputSize + g.PatchSize * g.OutputPositions + outSize + Math.Max(g.InputSize, outSize));
    }

    // A chunk's buffers carved out of the caller's workspace, each sized for n ≤ chunk samples.
    private readonly ref struct Workspace<T>
    {
        private readonly Span<T> images, patches, products, sampleMajor;
        private readonly int inSize, patchLength, outSize;

        public Workspace(Span<T> workspace, ImageGeometry g, int outputs, int chunk)
        {
            inSize = g.InputSize;
            patchLength = g.PatchSize * g.OutputPositions;
            outSize = outputs * g.OutputPositions;
            images = workspace.Slice(0, chunk * inSize);
            patches = workspace.Slice(chunk * inSize, chunk * patchLength);
            products = workspace.Slice(chunk * (inSize + patchLength), chunk * outSize);
            sampleMajor = workspace.Slice(chunk * (inSize + patchLength + outSize), chunk * Math.Max(inSize, outSize));
        }

        /// <summary>n images channel-major: (C·H·W) × n.</summary>
        public Span<T> Images(int n) => images.Slice(0, n * inSize);

        /// <summary>n unfolded images side by side: (C·KH·KW) × (positions · n), sample innermost.</summary>
        public Span<T> Patches(int n) => patches.Slice(0, n * patchLength);

        /// <summary>n outputs channel-major: (outputs · positions) × n.</summary>
        public Span<T> Products(int n) => products.Slice(0, n * outSize);

        public Span<T> SampleMajor(int n, int size) => sampleMajor.Slice(0, n * size);
    }

    // target (n × size, sample-major) (=|+=) the transpose of channelMajor (size × n).
    private static void StoreSampleMajor<T>(ReadOnlySpan<T> channelMajor, Span<T> target, Span<T> scratch, int n, int size, bool accumulate) where T : unmanaged, INumber<T>
    {
        if (!accumulate)
        {
            Gemm.Transpose(channelMajor, n, target, size, n);
            return;
        }
        Gemm.Transpose(channelMajor, n, scratch, size, n);
        System.Numerics.Tensors.TensorPrimitives.Add<T>(target, scratch, target);
    }

    // Samples [s0, s0 + n) of a sample-major batch unfolded side by side: transposed to channel-major, then im2col.
    private static Span<T> Unfold<T>(ReadOnlySpan<T> input, int s0, int n, ImageGeometry g, Workspace<T> w) where T : unmanaged, INumber<T>
    {
        int inSize = g.InputSize;
        var images = w.Images(n);
        Gemm.Transpose(input.Slice(s0 * inSize, n * inSize), inSize, images, n, inSize);
        var patches = w.Patches(n);
        Im2ColBatch<T>(images, g, n, patches);
        return patches;
    }

    // Im2Col of n images stored channel-major with the sample innermost: every copy moves n values per image column,
    // and at stride 1 a whole output row's run of columns at once.
    private static void Im2ColBatch<T>(ReadOnlySpan<T> images, ImageGeometry g, int n, Span<T> cols) where T : unmanaged, INumber<T>
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, positions = oh * ow, stride = g.Stride;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int ky = 0; ky < g.WindowHeight; ky++)
            {
                for (int kx = 0; kx < g.WindowWidth; kx++)
                {
                    var row = cols.Slice(((c * g.WindowHeight + ky) * g.WindowWidth + kx) * positions * n, positions * n);
                    var (first, last) = ValidColumns(g, kx, ow);
                    int shift = kx - g.Padding;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * stride - g.Padding + ky;
                        var target = row.Slice(y * ow * n, ow * n);
                        if (iy < 0 || iy >= g.Height || first == last)
                        {
                            target.Clear();
                            continue;
                        }
                        target.Slice(0, first * n).Clear();
                        target.Slice(last * n).Clear();
                        var source = images.Slice((c * g.Height + iy) * g.Width * n, g.Width * n);
                        if (stride == 1)
                        {
                            source.Slice((first + shift) * n, (last - first) * n).CopyTo(target.Slice(first * n));
                            continue;
                        }
                        for (int x = first; x < last; x++) source.Slice((x * stride + shift) * n, n).CopyTo(target.Slice(x * n, n));
                    }
                }
            }
        }
    }

    // The transpose of Im2ColBatch: images += fold(cols), n samples innermost.
    private static void Col2ImAddBatch<T>(ReadOnlySpan<T> cols, ImageGeometry g, int n, Span<T> images) where T : unmanaged, INumber<T>
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, positions = oh * ow, stride = g.Stride;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int ky = 0; ky < g.WindowHeight; ky++)
            {
                for (int kx = 0; kx < g.WindowWidth; kx++)
                {
                    var row = cols.Slice(((c * g.WindowHeight + ky) * g.WindowWidth + kx) * positions * n, positions * n);
                    var (first, last) = ValidColumns(g, kx, ow);
                    if (first == last) continue;
                    int shift = kx - g.Padding;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * stride - g.Padding + ky;
                        if (iy < 0 || iy >= g.Height) continue;
                        var target = images.Slice((c * g.Height + iy) * g.Width * n, g.Width * n);
                        var source = row.Slice(y * ow * n, ow * n);
                        if (stride == 1)
                        {
                            var segment = target.Slice((first + shift) * n, (last - first) * n);
                            System.Numerics.Tensors.TensorPrimitives.Add<T>(segment, source.Slice(first * n, (last - first) * n), segment);
                            continue;
                        }
                        for (int x = first; x < last; x++)
                        {
                            var segment = target.Slice((x * stride + shift) * n, n);
                            System.Numerics.Tensors.TensorPrimitives.Add<T>(segment, source.Slice(x * n, n), segment);
                        }
                    }
                }
            }
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
        int needed = WorkspaceLength(g, outputs, batch);
        if (colsLength < needed) throw new ArgumentException($"The convolution's workspace holds {colsLength} values; {batch} samples of this geometry need {needed} (Convolution.WorkspaceLength).");
    }

    private static void CheckPool(int inputLength, int outputLength, ImageGeometry g, int batch)
    {
        g.Validate();
        if (g.Padding != 0) throw new ArgumentException("Pooling takes no padding; got " + g.Padding + ".");
        if (inputLength < batch * g.InputSize) throw new ArgumentException($"The input holds {inputLength} values; {batch} images of ({g.Channels}, {g.Height}, {g.Width}) need {batch * g.InputSize}.");
        if (outputLength < batch * g.Channels * g.OutputPositions) throw new ArgumentException($"The output holds {outputLength} values; {batch} samples need {batch * g.Channels * g.OutputPositions}.");
    }
}
