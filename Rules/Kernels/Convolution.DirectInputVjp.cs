using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules.Kernels;

public static partial class Convolution
{
    /// <summary>
    /// Whether <see cref="InputVjp"/> computes full float chunks of 16 samples at stride 1 directly (one vector of samples
    /// per image position, a 6-channel × 4-column register tile) instead of through the patch matrix and col2im. The
    /// relaxation applies the same image VJP at every step, and the patch route writes and folds C·KH·KW values per
    /// output position for a product of only as many terms as the convolution has output channels. Tests switch it off
    /// to compare the two.
    /// </summary>
    public static bool DirectInputVjp { get; set; } = true;

    private const int DirectColumns = 4;
    private const int DirectChannels = 6;

    // A padded row of the output cotangent holds the tile's reach on both sides (the last tile's columns past the
    // image included), so the kernel's loops need no bounds; and the whole output row at column KW − 1.
    private static int DirectRowWidth(ImageGeometry g) =>
        Math.Max((g.Width + DirectColumns - 1) / DirectColumns * DirectColumns + g.Padding + g.WindowWidth - 1, g.Width + 2 * g.Padding);

    /// <summary>Whether <see cref="InputVjp"/> of <paramref name="batch"/> samples takes the direct path for its full chunks (see <see cref="DirectInputVjp"/>).</summary>
    public static bool TakesDirectInputVjp<T>(ImageGeometry g, int outputs, int batch) => UsesDirectInputVjp<T>(g, outputs, ChunkSamples(g, batch));

    // The padded rows live in the patch matrix's part of the workspace, which the direct path does not otherwise use.
    private static bool UsesDirectInputVjp<T>(ImageGeometry g, int outputs, int n) =>
        DirectInputVjp && typeof(T) == typeof(float) && Simd.Fast512<T>() && g.Stride == 1 && n == Vector512<float>.Count
        && (long)outputs * g.OutputHeight * DirectRowWidth(g) <= (long)g.PatchSize * g.OutputPositions;

    /// <summary>
    /// images (C·H·W × 16, channel-major, sample innermost) = the stride-1 convolution's VJP to its image from products
    /// (outputs·OH·OW × 16, the same layout): dX[c, y, x] = Σ_{o, ky, kx} K[o, c, ky, kx] dY[o, y + p − ky, x + p − kx].
    /// </summary>
    private static void DirectInputVjpChunk(ReadOnlySpan<float> products, ReadOnlySpan<float> kernel, Span<float> images, Span<float> padded, int outputs, ImageGeometry g)
    {
        const int L = 16;
        int oh = g.OutputHeight, ow = g.OutputWidth, kh = g.WindowHeight, kw = g.WindowWidth, pad = g.Padding, h = g.Height, w = g.Width;
        int rowWidth = DirectRowWidth(g), shift = kw - 1;
        // Output column x' sits at padded column x' + KW − 1; the zero margins stand for the columns outside the output.
        for (int row = 0; row < outputs * oh; row++)
        {
            var target = padded.Slice(row * rowWidth * L, rowWidth * L);
            target.Slice(0, shift * L).Clear();
            products.Slice(row * ow * L, ow * L).CopyTo(target.Slice(shift * L));
            target.Slice((shift + ow) * L).Clear();
        }
        ref float rows = ref MemoryMarshal.GetReference(padded);
        ref float k = ref MemoryMarshal.GetReference(kernel);
        ref float image = ref MemoryMarshal.GetReference(images);
        var tile = new DirectTile(outputs, oh, rowWidth, kh * kw, g.Channels * kh * kw, kw);
        for (int y = 0; y < h; y++)
        {
            // The kernel rows whose output row y + p − ky exists.
            int kyFirst = Math.Max(0, y + pad - oh + 1), kyLast = Math.Min(kh - 1, y + pad);
            for (int x0 = 0; x0 < w; x0 += DirectColumns)
            {
                // The kernel columns that reach an output column from some column of the tile.
                int kxFirst = Math.Max(0, x0 + pad - ow + 1), kxLast = Math.Min(kw - 1, x0 + DirectColumns - 1 + pad);
                int columns = Math.Min(DirectColumns, w - x0);
                int firstColumn = x0 + pad + shift;
                int c = 0;
                for (; c + DirectChannels <= g.Channels; c += DirectChannels)
                {
                    tile.SixChannels(ref rows, ref Unsafe.Add(ref k, c * kh * kw), ref Unsafe.Add(ref image, ((c * h + y) * w + x0) * L), h * w * L, y + pad, kyFirst, kyLast, firstColumn, kxFirst, kxLast, columns);
                }
                for (; c < g.Channels; c++)
                {
                    tile.OneChannel(ref rows, ref Unsafe.Add(ref k, c * kh * kw), ref Unsafe.Add(ref image, ((c * h + y) * w + x0) * L), y + pad, kyFirst, kyLast, firstColumn, kxFirst, kxLast, columns);
                }
            }
        }
    }

    /// <summary>The register tiles of <see cref="DirectInputVjpChunk"/>: a run of 4 image columns of one row, 6 channels or 1.</summary>
    private readonly struct DirectTile(int outputs, int outputRows, int rowWidth, int window, int kernelRow, int kernelWidth)
    {
        private const int L = 16;

        // Accumulators named one by one: 24 vectors stay in registers, where an array would spill.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void SixChannels(ref float rows, ref float kernel, ref float image, int channelStride, int yShifted, int kyFirst, int kyLast, int firstColumn, int kxFirst, int kxLast, int columns)
        {
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
            Vector512<float> a50 = default, a51 = default, a52 = default, a53 = default;
            for (int o = 0; o < outputs; o++)
            {
                for (int ky = kyFirst; ky <= kyLast; ky++)
                {
                    ref float row = ref Unsafe.Add(ref rows, (o * outputRows + yShifted - ky) * rowWidth * L);
                    ref float kRow = ref Unsafe.Add(ref kernel, o * kernelRow + ky * kernelWidth);
                    for (int kx = kxFirst; kx <= kxLast; kx++)
                    {
                        ref float at = ref Unsafe.Add(ref row, (firstColumn - kx) * L);
                        var v0 = Vector512.LoadUnsafe(ref at);
                        var v1 = Vector512.LoadUnsafe(ref at, L);
                        var v2 = Vector512.LoadUnsafe(ref at, 2 * L);
                        var v3 = Vector512.LoadUnsafe(ref at, 3 * L);
                        ref float kAt = ref Unsafe.Add(ref kRow, kx);
                        var b = Vector512.Create(kAt);
                        a00 = Vector512.FusedMultiplyAdd(b, v0, a00); a01 = Vector512.FusedMultiplyAdd(b, v1, a01); a02 = Vector512.FusedMultiplyAdd(b, v2, a02); a03 = Vector512.FusedMultiplyAdd(b, v3, a03);
                        b = Vector512.Create(Unsafe.Add(ref kAt, window));
                        a10 = Vector512.FusedMultiplyAdd(b, v0, a10); a11 = Vector512.FusedMultiplyAdd(b, v1, a11); a12 = Vector512.FusedMultiplyAdd(b, v2, a12); a13 = Vector512.FusedMultiplyAdd(b, v3, a13);
                        b = Vector512.Create(Unsafe.Add(ref kAt, 2 * window));
                        a20 = Vector512.FusedMultiplyAdd(b, v0, a20); a21 = Vector512.FusedMultiplyAdd(b, v1, a21); a22 = Vector512.FusedMultiplyAdd(b, v2, a22); a23 = Vector512.FusedMultiplyAdd(b, v3, a23);
                        b = Vector512.Create(Unsafe.Add(ref kAt, 3 * window));
                        a30 = Vector512.FusedMultiplyAdd(b, v0, a30); a31 = Vector512.FusedMultiplyAdd(b, v1, a31); a32 = Vector512.FusedMultiplyAdd(b, v2, a32); a33 = Vector512.FusedMultiplyAdd(b, v3, a33);
                        b = Vector512.Create(Unsafe.Add(ref kAt, 4 * window));
                        a40 = Vector512.FusedMultiplyAdd(b, v0, a40); a41 = Vector512.FusedMultiplyAdd(b, v1, a41); a42 = Vector512.FusedMultiplyAdd(b, v2, a42); a43 = Vector512.FusedMultiplyAdd(b, v3, a43);
                        b = Vector512.Create(Unsafe.Add(ref kAt, 5 * window));
                        a50 = Vector512.FusedMultiplyAdd(b, v0, a50); a51 = Vector512.FusedMultiplyAdd(b, v1, a51); a52 = Vector512.FusedMultiplyAdd(b, v2, a52); a53 = Vector512.FusedMultiplyAdd(b, v3, a53);
                    }
                }
            }
            Store(ref image, columns, a00, a01, a02, a03);
            Store(ref Unsafe.Add(ref image, channelStride), columns, a10, a11, a12, a13);
            Store(ref Unsafe.Add(ref image, 2 * channelStride), columns, a20, a21, a22, a23);
            Store(ref Unsafe.Add(ref image, 3 * channelStride), columns, a30, a31, a32, a33);
            Store(ref Unsafe.Add(ref image, 4 * channelStride), columns, a40, a41, a42, a43);
            Store(ref Unsafe.Add(ref image, 5 * channelStride), columns, a50, a51, a52, a53);
        }

        public void OneChannel(ref float rows, ref float kernel, ref float image, int yShifted, int kyFirst, int kyLast, int firstColumn, int kxFirst, int kxLast, int columns)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int o = 0; o < outputs; o++)
            {
                for (int ky = kyFirst; ky <= kyLast; ky++)
                {
                    ref float row = ref Unsafe.Add(ref rows, (o * outputRows + yShifted - ky) * rowWidth * L);
                    ref float kRow = ref Unsafe.Add(ref kernel, o * kernelRow + ky * kernelWidth);
                    for (int kx = kxFirst; kx <= kxLast; kx++)
                    {
                        ref float at = ref Unsafe.Add(ref row, (firstColumn - kx) * L);
                        var b = Vector512.Create(Unsafe.Add(ref kRow, kx));
                        a0 = Vector512.FusedMultiplyAdd(b, Vector512.LoadUnsafe(ref at), a0);
                        a1 = Vector512.FusedMultiplyAdd(b, Vector512.LoadUnsafe(ref at, L), a1);
                        a2 = Vector512.FusedMultiplyAdd(b, Vector512.LoadUnsafe(ref at, 2 * L), a2);
                        a3 = Vector512.FusedMultiplyAdd(b, Vector512.LoadUnsafe(ref at, 3 * L), a3);
                    }
                }
            }
            Store(ref image, columns, a0, a1, a2, a3);
        }

        // The tile's first `columns` vectors (the last tile of a row may reach past the image).
        private static void Store(ref float image, int columns, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3)
        {
            c0.StoreUnsafe(ref image);
            if (columns > 1) c1.StoreUnsafe(ref image, L);
            if (columns > 2) c2.StoreUnsafe(ref image, 2 * L);
            if (columns > 3) c3.StoreUnsafe(ref image, 3 * L);
        }
    }
}
