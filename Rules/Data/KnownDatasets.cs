using System;
using System.Collections.Generic;
using System.Linq;

namespace Symbolic.Rules.Data;

/// <summary>One file of a data set: its usual name (raw IDX, without .gz) and the SHA-256 of its decompressed bytes.</summary>
/// <param name="FileName">The usual name, e.g. <c>train-images-idx3-ubyte</c>.</param>
/// <param name="Sha256">The published SHA-256 of the raw (decompressed) file, lowercase hex; null where none is published (the file's format, counts and sizes are still checked).</param>
public sealed record DataFileSpec(string FileName, string? Sha256);

/// <summary>One split of a data set (train or test): its images file, its labels file and its number of samples.</summary>
/// <param name="Images">The images file (IDX rank 3).</param>
/// <param name="Labels">The labels file (IDX rank 1).</param>
/// <param name="Count">The number of samples both files hold.</param>
public sealed record DataSplitSpec(DataFileSpec Images, DataFileSpec Labels, int Count);

/// <summary>A data set of labelled images in IDX files: its name, its two splits, the image size and the number of classes.</summary>
/// <param name="Name">The name used on the command line and for its folder, e.g. <c>mnist</c>.</param>
/// <param name="Title">The name in prose, e.g. <c>MNIST</c>.</param>
/// <param name="Train">The training split.</param>
/// <param name="Test">The test split.</param>
/// <param name="Rows">The rows of every image.</param>
/// <param name="Cols">The columns of every image.</param>
/// <param name="ClassCount">The number of classes (labels are 0 to ClassCount - 1).</param>
/// <param name="Origin">Where a user gets the files by hand, for a set no package carries (null for the others).</param>
public sealed record DatasetSpec(string Name, string Title, DataSplitSpec Train, DataSplitSpec Test, int Rows, int Cols, int ClassCount, string? Origin = null)
{
    /// <summary>The four files: train images, train labels, test images, test labels.</summary>
    public IReadOnlyList<DataFileSpec> Files => new[] { Train.Images, Train.Labels, Test.Images, Test.Labels };

    /// <summary>Whether every file has a published SHA-256 (so a copy is checked to be the official one, not only well formed).</summary>
    public bool HasChecksums => Files.All(f => f.Sha256 != null);
}

/// <summary>The train and test splits of a data set, decoded and verified.</summary>
/// <param name="Spec">What was decoded.</param>
/// <param name="Train">The training split.</param>
/// <param name="Test">The test split.</param>
public sealed record DatasetSplits(DatasetSpec Spec, Dataset Train, Dataset Test);

/// <summary>The data sets the tools know, with the SHA-256 of every decompressed file, and their decoding.</summary>
public static class KnownDatasets
{
    /// <summary>MNIST (LeCun, Cortes and Burges): handwritten digits, 60,000 training and 10,000 test images of 28x28.</summary>
    public static readonly DatasetSpec Mnist = new(
        "mnist", "MNIST",
        new DataSplitSpec(
            new DataFileSpec("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new DataFileSpec("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            60_000),
        new DataSplitSpec(
            new DataFileSpec("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new DataFileSpec("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            10_000),
        28, 28, 10);

    /// <summary>Fashion-MNIST (Xiao, Rasul and Vollgraf 2017), the official split: clothing, 60,000 training and 10,000 test images of 28x28.</summary>
    public static readonly DatasetSpec FashionMnist = new(
        "fashion-mnist", "Fashion-MNIST",
        new DataSplitSpec(
            new DataFileSpec("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            new DataFileSpec("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            60_000),
        new DataSplitSpec(
            new DataFileSpec("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            new DataFileSpec("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            10_000),
        28, 28, 10);

    /// <summary>
    /// Kuzushiji-MNIST (Clanuwat et al. 2018), the GAIT-prop paper's third set: cursive Japanese characters, 60,000
    /// training and 10,000 test images of 28x28 in MNIST's IDX format. No package carries it, so it is read only from a
    /// copy the user downloads, and no SHA-256 of its raw files is published: a copy is checked for its format, counts
    /// and sizes, not for being the official one.
    /// </summary>
    public static readonly DatasetSpec Kmnist = new(
        "kmnist", "KMNIST",
        new DataSplitSpec(new DataFileSpec("train-images-idx3-ubyte", null), new DataFileSpec("train-labels-idx1-ubyte", null), 60_000),
        new DataSplitSpec(new DataFileSpec("t10k-images-idx3-ubyte", null), new DataFileSpec("t10k-labels-idx1-ubyte", null), 10_000),
        28, 28, 10,
        Origin: "the MNIST-format .gz files at https://github.com/rois-codh/kmnist (codh.rois.ac.jp/kmnist/dataset/kmnist/)");

    /// <summary>Every known data set in IDX files.</summary>
    public static IReadOnlyList<DatasetSpec> All { get; } = new[] { Mnist, FashionMnist, Kmnist };

    /// <summary>The known data set called <paramref name="name"/> (ignoring case), or null.</summary>
    public static DatasetSpec? Find(string name) => All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The known data set and file whose SHA-256 is <paramref name="sha256"/>, or null: names a file of one set found where another's was expected.</summary>
    public static (DatasetSpec Dataset, DataFileSpec File)? Identify(string sha256) =>
        All.SelectMany(d => d.Files.Select(f => (Dataset: d, File: f)))
            .Where(x => x.File.Sha256 != null && string.Equals(x.File.Sha256, sha256, StringComparison.OrdinalIgnoreCase))
            .Select(x => ((DatasetSpec, DataFileSpec)?)x)
            .FirstOrDefault();

    /// <summary>
    /// Decodes one split from its two files' bytes (raw IDX or gzip): decompresses, parses (so a malformed file is
    /// reported as such), checks each file's SHA-256 against <paramref name="split"/>, pairs them, and checks the count
    /// and image size against <paramref name="spec"/>.
    /// </summary>
    /// <param name="spec">The data set the files belong to.</param>
    /// <param name="split">The split (its file names and hashes).</param>
    /// <param name="imagesFile">The images file's bytes as stored.</param>
    /// <param name="imagesName">The images file's path or name, for messages.</param>
    /// <param name="labelsFile">The labels file's bytes as stored.</param>
    /// <param name="labelsName">The labels file's path or name, for messages.</param>
    /// <exception cref="DataFileException">A file is corrupt, malformed, or not the published one (<see cref="ChecksumMismatchException"/>); the message names it.</exception>
    public static Dataset DecodeSplit(DatasetSpec spec, DataSplitSpec split, ReadOnlyMemory<byte> imagesFile, string imagesName, ReadOnlyMemory<byte> labelsFile, string labelsName)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(split);
        var imagesRaw = IdxFile.Decompress(imagesFile, imagesName);
        var images = IdxFile.ParseImages(imagesRaw, imagesName);
        Verify(spec, split.Images, imagesRaw.Span, imagesName);
        var labelsRaw = IdxFile.Decompress(labelsFile, labelsName);
        var labels = IdxFile.ParseLabels(labelsRaw, labelsName);
        Verify(spec, split.Labels, labelsRaw.Span, labelsName);
        var dataset = Dataset.Create(images, labels, spec.ClassCount, $"{spec.Name} {split.Images.FileName}");
        if (dataset.Count != split.Count || dataset.Rows != spec.Rows || dataset.Cols != spec.Cols)
        {
            throw new DataFileException(imagesName, $"'{imagesName}' holds {dataset.Count} images of {dataset.Rows}x{dataset.Cols}; {spec.Title} has {split.Count} of {spec.Rows}x{spec.Cols}");
        }
        return dataset;
    }

    /// <summary>
    /// Checks the SHA-256 of <paramref name="decompressed"/> against <paramref name="expected"/>; on a mismatch throws
    /// <see cref="ChecksumMismatchException"/> naming the file, both hashes, and which known file it is if it is one.
    /// A file with no published hash passes unchecked, unless it is a known file of another set.
    /// </summary>
    public static void Verify(DatasetSpec spec, DataFileSpec expected, ReadOnlySpan<byte> decompressed, string fileName)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Sha256 == null)
        {
            // Nothing to compare with, but MNIST's file in a KMNIST folder is a mistake worth stopping on.
            if (Identify(DataChecksum.Sha256(decompressed)) is var (other, otherFile))
            {
                throw new DataFileException(fileName, $"'{fileName}' is {other.Title}'s {otherFile.FileName}, not {spec.Title}'s {expected.FileName}");
            }
            return;
        }
        string actual = DataChecksum.Sha256(decompressed);
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            string hint = Identify(actual) is var (other, otherFile)
                ? $"this is {other.Title}'s {otherFile.FileName}, not {spec.Title}'s {expected.FileName}"
                : $"it is not {spec.Title}'s {expected.FileName}, or it is damaged";
            throw new ChecksumMismatchException(fileName, expected.Sha256.ToLowerInvariant(), actual, hint);
        }
    }
}
