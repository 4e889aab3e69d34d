using System;
using System.Numerics;

namespace Symbolic.Rules.Data;

/// <summary>How <see cref="Dataset"/> maps a pixel byte b (0 to 255) to a number.</summary>
public enum PixelScale
{
    /// <summary>b / 255, in [0, 1]: torchvision's <c>ToTensor</c>, as in the AR paper's experiments.</summary>
    ZeroToOne,

    /// <summary>(b / 255 - 0.5) / 0.5, in [-1, 1]: <c>ToTensor</c> then <c>Normalize((0.5,), (0.5,))</c>.</summary>
    MinusOneToOne,
}

/// <summary>
/// A labelled image set (one split of MNIST or Fashion-MNIST): <see cref="Count"/> images of <see cref="Rows"/> x
/// <see cref="Cols"/> pixels and one label in [0, <see cref="ClassCount"/>) each. Immutable; batches are written into
/// the caller's arrays (images row-major per sample, one-hot targets) without allocating, in float or double.
/// </summary>
public sealed class Dataset
{
    private readonly ReadOnlyMemory<byte> pixels;
    private readonly int[] labels;

    private Dataset(string name, ReadOnlyMemory<byte> pixels, int[] labels, int channels, int rows, int cols, int classCount, PixelScale scale)
    {
        Name = name;
        this.pixels = pixels;
        this.labels = labels;
        Channels = channels;
        Rows = rows;
        Cols = cols;
        ClassCount = classCount;
        Scale = scale;
    }

    /// <summary>
    /// A data set of <paramref name="labels"/>.Length images of (<paramref name="channels"/>, <paramref name="rows"/>,
    /// <paramref name="cols"/>) bytes each, channel after channel, each row-major (CIFAR-10's binary layout, and the
    /// (channel, row, column) layout of an image input). The pixels are shared, not copied.
    /// </summary>
    /// <exception cref="ArgumentException">The pixels are not labels × channels × rows × cols bytes, a size is not positive, or a label is outside [0, classCount).</exception>
    public static Dataset Create(string name, ReadOnlyMemory<byte> pixels, int[] labels, int channels, int rows, int cols, int classCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels < 1 || rows < 1 || cols < 1) throw new ArgumentException($"'{name}': images need positive channels, rows and columns; got ({channels}, {rows}, {cols}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if ((long)labels.Length * channels * rows * cols != pixels.Length)
        {
            throw new ArgumentException($"'{name}': {labels.Length} images of ({channels}, {rows}, {cols}) need {(long)labels.Length * channels * rows * cols} bytes, not {pixels.Length}.");
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount) throw new ArgumentException($"'{name}': sample {i} has label {labels[i]}; labels must be 0 to {classCount - 1}.");
        }
        return new Dataset(name, pixels, (int[])labels.Clone(), channels, rows, cols, classCount, PixelScale.ZeroToOne);
    }

    /// <summary>
    /// Pairs <paramref name="images"/> with <paramref name="labels"/>: the counts must be equal and every label below
    /// <paramref name="classCount"/>. The pixels are shared, not copied.
    /// </summary>
    /// <param name="images">The images (an IDX file of rank 3).</param>
    /// <param name="labels">The labels (an IDX file of rank 1), in the same order.</param>
    /// <param name="classCount">The number of classes (10 for MNIST and Fashion-MNIST), 1 to 256.</param>
    /// <param name="name">The data set's name in messages (default: the images file's name).</param>
    /// <exception cref="DataFileException">The counts differ (naming both files), or a label is out of range (naming the labels file).</exception>
    public static Dataset Create(IdxImages images, IdxLabels labels, int classCount, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);
        if (images.Count != labels.Count)
        {
            throw new DataFileException(labels.FileName,
                $"'{labels.FileName}' has {labels.Count} labels but '{images.FileName}' has {images.Count} images; the two files must describe the same samples");
        }
        if ((long)images.Count * images.Rows * images.Cols != images.Pixels.Length)
        {
            throw new ArgumentException($"The images of '{images.FileName}' hold {images.Pixels.Length} bytes, not {images.Count} x {images.Rows} x {images.Cols}.", nameof(images));
        }
        var span = labels.Labels.Span;
        var values = new int[span.Length];
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i] >= classCount)
            {
                throw new DataFileException(labels.FileName, $"'{labels.FileName}' holds label {span[i]} at index {i}; labels must be 0 to {classCount - 1}");
            }
            values[i] = span[i];
        }
        return new Dataset(name ?? images.FileName, images.Pixels, values, 1, images.Rows, images.Cols, classCount, PixelScale.ZeroToOne);
    }

    /// <summary>The data set's name in messages.</summary>
    public string Name { get; }

    /// <summary>The number of samples.</summary>
    public int Count => labels.Length;

    /// <summary>The channels of each image (1 for MNIST and Fashion-MNIST, 3 for CIFAR-10).</summary>
    public int Channels { get; }

    /// <summary>The rows of each image.</summary>
    public int Rows { get; }

    /// <summary>The columns of each image.</summary>
    public int Cols { get; }

    /// <summary>Channels * Rows * Cols: the numbers a sample's image takes in a batch.</summary>
    public int PixelsPerImage => Channels * Rows * Cols;

    /// <summary>The number of classes: the length of a sample's one-hot target.</summary>
    public int ClassCount { get; }

    /// <summary>How pixels are scaled (<see cref="PixelScale.ZeroToOne"/> unless <see cref="WithScale"/> says otherwise).</summary>
    public PixelScale Scale { get; }

    /// <summary>The labels, one a sample.</summary>
    public ReadOnlySpan<int> Labels => labels;

    /// <summary>This data set with pixels scaled by <paramref name="scale"/> (the images and labels are shared).</summary>
    public Dataset WithScale(PixelScale scale)
    {
        if (!Enum.IsDefined(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Unknown pixel scale.");
        return scale == Scale ? this : new Dataset(Name, pixels, labels, Channels, Rows, Cols, ClassCount, scale);
    }

    /// <summary>The label of sample <paramref name="sample"/>.</summary>
    public int Label(int sample)
    {
        CheckSample(sample, nameof(sample));
        return labels[sample];
    }

    /// <summary>The raw bytes (0 to 255) of sample <paramref name="sample"/>'s image, row-major.</summary>
    public ReadOnlySpan<byte> ImageBytes(int sample)
    {
        CheckSample(sample, nameof(sample));
        return pixels.Span.Slice(sample * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>Pixel <paramref name="index"/> ((channel * Rows + row) * Cols + col) of sample <paramref name="sample"/>, scaled by <see cref="Scale"/>.</summary>
    public float Pixel(int sample, int index)
    {
        CheckSample(sample, nameof(sample));
        if ((uint)index >= (uint)PixelsPerImage)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"An image of '{Name}' has {PixelsPerImage} pixels (0 to {PixelsPerImage - 1}).");
        }
        return PixelLevels<float>.For(Scale)[pixels.Span[sample * PixelsPerImage + index]];
    }

    /// <summary>
    /// Writes the images of <paramref name="samples"/> into <paramref name="destination"/>, scaled by <see cref="Scale"/>:
    /// sample k's image at [k * PixelsPerImage, (k + 1) * PixelsPerImage), row-major (the layout of a compiled batch's
    /// input). Entries past samples.Length * PixelsPerImage are left as they are. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A sample index is outside [0, Count) (nothing is written).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than samples.Length * PixelsPerImage.</exception>
    public void GatherImages<T>(ReadOnlySpan<int> samples, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int size = PixelsPerImage;
        CheckBatch(samples, destination.Length, size, nameof(destination));
        var levels = PixelLevels<T>.For(Scale);
        var source = pixels.Span;
        for (int k = 0; k < samples.Length; k++)
        {
            var image = source.Slice(samples[k] * size, size);
            var target = destination.Slice(k * size, size);
            for (int p = 0; p < image.Length; p++) target[p] = levels[image[p]];
        }
    }

    /// <summary>
    /// Writes the one-hot targets of <paramref name="samples"/> into <paramref name="destination"/>: sample k's at
    /// [k * ClassCount, (k + 1) * ClassCount), 1 at its label and 0 elsewhere. Entries past samples.Length * ClassCount
    /// are left as they are. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A sample index is outside [0, Count) (nothing is written).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than samples.Length * ClassCount.</exception>
    public void OneHot<T>(ReadOnlySpan<int> samples, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckBatch(samples, destination.Length, ClassCount, nameof(destination));
        for (int k = 0; k < samples.Length; k++)
        {
            var target = destination.Slice(k * ClassCount, ClassCount);
            target.Clear();
            target[labels[samples[k]]] = T.One;
        }
    }

    /// <summary>Writes the labels of <paramref name="samples"/> into <paramref name="destination"/> (for accuracy). Allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A sample index is outside [0, Count) (nothing is written).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="samples"/>.</exception>
    public void GatherLabels(ReadOnlySpan<int> samples, Span<int> destination)
    {
        CheckBatch(samples, destination.Length, 1, nameof(destination));
        for (int k = 0; k < samples.Length; k++) destination[k] = labels[samples[k]];
    }

    /// <summary>"60000 images of 28x28, 10 classes" (with the channels first when there are several: "3x32x32").</summary>
    public override string ToString() => $"{Count} images of {(Channels > 1 ? Channels + "x" : "")}{Rows}x{Cols}, {ClassCount} classes";

    private void CheckSample(int sample, string parameter)
    {
        if ((uint)sample >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(parameter, sample, $"'{Name}' has {Count} samples (0 to {Count - 1}).");
        }
    }

    private void CheckBatch(ReadOnlySpan<int> samples, int destinationLength, int perSample, string destinationName)
    {
        if ((long)samples.Length * perSample > destinationLength)
        {
            throw new ArgumentException($"The destination holds {destinationLength} values; {samples.Length} samples need {(long)samples.Length * perSample} ({perSample} each).", destinationName);
        }
        for (int k = 0; k < samples.Length; k++)
        {
            if ((uint)samples[k] >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(samples), samples[k], $"samples[{k}] is {samples[k]}; '{Name}' has {Count} samples (0 to {Count - 1}).");
            }
        }
    }

    /// <summary>The 256 values a pixel byte maps to, per scale, computed once per T in T's own arithmetic (as torchvision does in float32).</summary>
    private static class PixelLevels<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private static readonly T[] ZeroToOne = Build(symmetric: false);
        private static readonly T[] MinusOneToOne = Build(symmetric: true);

        public static T[] For(PixelScale scale) => scale == PixelScale.MinusOneToOne ? MinusOneToOne : ZeroToOne;

        private static T[] Build(bool symmetric)
        {
            var levels = new T[256];
            T max = T.CreateChecked(255), half = T.CreateChecked(0.5);
            for (int b = 0; b < 256; b++)
            {
                T unit = T.CreateChecked(b) / max;
                levels[b] = symmetric ? (unit - half) / half : unit;
            }
            return levels;
        }
    }
}
