using System;
using System.Linq;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Data;

/// <summary>
/// <see cref="Dataset"/>: pairing images with labels (counts must agree, labels in range), pixel scaling in [0, 1] and
/// [-1, 1], gathering a batch of images and one-hot targets into the caller's float and double arrays (correct, nothing
/// written on bad input, no allocation), and the decoding of a split against its published hashes.
/// </summary>
public class DatasetTests
{
    private static readonly byte[] Pixels = IdxBytes.Random(6 * 2 * 3, 11);
    private static readonly byte[] LabelBytes = { 3, 0, 9, 9, 1, 4 };

    private static Dataset Six(PixelScale scale = PixelScale.ZeroToOne) => Dataset.Create(
        IdxFile.ParseImages(IdxBytes.Images(6, 2, 3, Pixels), "imgs"), IdxFile.ParseLabels(IdxBytes.Labels(LabelBytes), "lbls"), 10).WithScale(scale);

    [Fact]
    public void CreatePairsImagesWithLabels()
    {
        var data = Six();
        Assert.Equal((6, 2, 3, 6, 10), (data.Count, data.Rows, data.Cols, data.PixelsPerImage, data.ClassCount));
        Assert.Equal(LabelBytes.Select(b => (int)b), data.Labels.ToArray());
        Assert.Equal(9, data.Label(2));
        Assert.Equal(Pixels.AsSpan(6, 6).ToArray(), data.ImageBytes(1).ToArray());
        Assert.Equal("6 images of 2x3, 10 classes", data.ToString());
        Assert.Equal(PixelScale.ZeroToOne, data.Scale);
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        var images = IdxFile.ParseImages(IdxBytes.Images(6, 2, 3, Pixels), "dir/train-images");
        var labels = IdxFile.ParseLabels(IdxBytes.Labels(new byte[] { 1, 2, 3, 4, 5 }), "dir/train-labels");
        var error = Assert.Throws<DataFileException>(() => Dataset.Create(images, labels, 10));
        Assert.Equal("'dir/train-labels' has 5 labels but 'dir/train-images' has 6 images; the two files must describe the same samples", error.Message);
        Assert.Equal("dir/train-labels", error.FileName);
    }

    [Fact]
    public void LabelOutOfRangeNamesTheFileAndTheIndex()
    {
        var images = IdxFile.ParseImages(IdxBytes.Images(6, 2, 3, Pixels), "i");
        var labels = IdxFile.ParseLabels(IdxBytes.Labels(new byte[] { 1, 2, 3, 10, 5, 6 }), "dir/l");
        var error = Assert.Throws<DataFileException>(() => Dataset.Create(images, labels, 10));
        Assert.Equal("'dir/l' holds label 10 at index 3; labels must be 0 to 9", error.Message);
    }

    [Fact]
    public void PixelsAreScaledAsTorchvisionDoes()
    {
        var unit = Six();
        var symmetric = Six(PixelScale.MinusOneToOne);
        for (int p = 0; p < 6; p++)
        {
            byte b = Pixels[6 * 4 + p];
            Assert.Equal(b / 255f, unit.Pixel(4, p));
            Assert.Equal((b / 255f - 0.5f) / 0.5f, symmetric.Pixel(4, p));
        }
        var extremes = Dataset.Create(IdxFile.ParseImages(IdxBytes.Images(1, 1, 3, new byte[] { 0, 128, 255 }), "e"), IdxFile.ParseLabels(IdxBytes.Labels(new byte[] { 0 }), "l"), 1);
        var d = new double[3];
        extremes.GatherImages<double>(new[] { 0 }, d);
        Assert.Equal(new[] { 0.0, 128 / 255.0, 1.0 }, d);
        extremes.WithScale(PixelScale.MinusOneToOne).GatherImages<double>(new[] { 0 }, d);
        Assert.Equal(new[] { -1.0, (128 / 255.0 - 0.5) / 0.5, 1.0 }, d);
        Assert.Same(unit, unit.WithScale(PixelScale.ZeroToOne));
        Assert.Throws<ArgumentOutOfRangeException>(() => unit.WithScale((PixelScale)7));
    }

    [Fact]
    public void GatherWritesEachSampleRowMajorAndLeavesTheRest()
    {
        foreach (var scale in new[] { PixelScale.ZeroToOne, PixelScale.MinusOneToOne })
        {
            var data = Six(scale);
            int[] samples = { 5, 0, 5, 2 };
            var floats = Enumerable.Repeat(-7f, 4 * 6 + 3).ToArray();
            var doubles = Enumerable.Repeat(-7.0, 4 * 6 + 3).ToArray();
            data.GatherImages<float>(samples, floats);
            data.GatherImages<double>(samples, doubles);
            for (int k = 0; k < samples.Length; k++)
            {
                for (int p = 0; p < 6; p++)
                {
                    byte b = Pixels[samples[k] * 6 + p];
                    double unit = b / 255.0;
                    Assert.Equal(data.Pixel(samples[k], p), floats[k * 6 + p]);
                    Assert.Equal(scale == PixelScale.ZeroToOne ? unit : (unit - 0.5) / 0.5, doubles[k * 6 + p], 15);
                }
            }
            Assert.All(floats[^3..], v => Assert.Equal(-7f, v));
            Assert.All(doubles[^3..], v => Assert.Equal(-7.0, v));
        }
    }

    [Fact]
    public void OneHotHasAOneAtTheLabelAndZerosElsewhere()
    {
        var data = Six();
        int[] samples = { 2, 1, 0 };
        var targets = Enumerable.Repeat(5.0, 3 * 10 + 2).ToArray();
        data.OneHot<double>(samples, targets);
        var floats = new float[30];
        data.OneHot<float>(samples, floats);
        for (int k = 0; k < 3; k++)
        {
            for (int c = 0; c < 10; c++)
            {
                double want = c == LabelBytes[samples[k]] ? 1 : 0;
                Assert.Equal(want, targets[k * 10 + c]);
                Assert.Equal((float)want, floats[k * 10 + c]);
            }
        }
        Assert.Equal(new[] { 5.0, 5.0 }, targets[^2..]);
        var labels = new int[3];
        data.GatherLabels(samples, labels);
        Assert.Equal(new[] { 9, 0, 3 }, labels);
    }

    [Fact]
    public void BadSampleOrShortDestinationWritesNothing()
    {
        var data = Six();
        var destination = Enumerable.Repeat(-1f, 12).ToArray();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => data.GatherImages<float>(new[] { 1, 6 }, destination));
        Assert.Contains("samples[1] is 6; 'imgs' has 6 samples (0 to 5)", error.Message);
        Assert.All(destination, v => Assert.Equal(-1f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.OneHot<float>(new[] { -1 }, new float[10]));
        var shortError = Assert.Throws<ArgumentException>(() => data.GatherImages<float>(new[] { 0, 1, 2 }, destination));
        Assert.Contains("holds 12 values; 3 samples need 18 (6 each)", shortError.Message);
        Assert.Throws<ArgumentException>(() => data.OneHot<double>(new[] { 0, 1 }, new double[19]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Pixel(0, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Label(6));
    }

    [Fact]
    public void GatherAndOneHotAllocateNothing()
    {
        var data = Six(PixelScale.MinusOneToOne);
        int[] samples = { 3, 1, 4, 1, 5 };
        var floats = new float[5 * 6];
        var doubles = new double[5 * 6];
        var floatTargets = new float[50];
        var doubleTargets = new double[50];
        var labels = new int[5];
        void Batch()
        {
            data.GatherImages<float>(samples, floats);
            data.GatherImages<double>(samples, doubles);
            data.OneHot<float>(samples, floatTargets);
            data.OneHot<double>(samples, doubleTargets);
            data.GatherLabels(samples, labels);
        }
        Batch(); // the pixel tables are built once per type and scale
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Batch();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void DecodeSplitVerifiesHashesAndShape()
    {
        var tiny = IdxBytes.Tiny();
        var train = KnownDatasets.DecodeSplit(tiny.Spec, tiny.Spec.Train, tiny.TrainImages, "ti", IdxBytes.Gzip(tiny.TrainLabels), "tl.gz");
        Assert.Equal((12, 3, 4), (train.Count, train.Rows, train.Cols));
        var error = Assert.Throws<ChecksumMismatchException>(() => KnownDatasets.DecodeSplit(tiny.Spec, tiny.Spec.Train, tiny.TestImages, "dir/ti", tiny.TrainLabels, "tl"));
        Assert.StartsWith($"'dir/ti': SHA-256 of the decompressed bytes is {DataChecksum.Sha256(tiny.TestImages)}, expected {tiny.Spec.Train.Images.Sha256} (it is not Tiny's train-images-idx3-ubyte, or it is damaged)", error.Message);
        // A malformed file is reported as malformed, not as a checksum mismatch.
        var truncated = Assert.Throws<DataFileException>(() => KnownDatasets.DecodeSplit(tiny.Spec, tiny.Spec.Train, tiny.TrainImages[..^4], "dir/ti", tiny.TrainLabels, "tl"));
        Assert.IsNotType<ChecksumMismatchException>(truncated);
        Assert.Contains("'dir/ti' is truncated", truncated.Message);
    }

    [Fact]
    public void KnownDatasetsNameTheirFilesAndIdentifyEachOther()
    {
        Assert.Equal(new[] { "mnist", "fashion-mnist", "kmnist" }, KnownDatasets.All.Select(d => d.Name));
        Assert.Same(KnownDatasets.FashionMnist, KnownDatasets.Find("Fashion-MNIST"));
        Assert.Null(KnownDatasets.Find("cifar"));
        foreach (var spec in KnownDatasets.All)
        {
            Assert.Equal(new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }, spec.Files.Select(f => f.FileName));
            if (spec == KnownDatasets.Kmnist)
            {
                // No SHA-256 of KMNIST's raw files is published; its spec says where to get them instead.
                Assert.All(spec.Files, f => Assert.Null(f.Sha256));
                Assert.False(spec.HasChecksums);
                Assert.Contains("rois-codh/kmnist", spec.Origin);
            }
            else
            {
                Assert.All(spec.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
                Assert.True(spec.HasChecksums);
            }
            Assert.Equal((60_000, 10_000, 28, 28, 10), (spec.Train.Count, spec.Test.Count, spec.Rows, spec.Cols, spec.ClassCount));
        }
        Assert.Equal(8, KnownDatasets.All.SelectMany(d => d.Files).Select(f => f.Sha256).OfType<string>().Distinct().Count());
        var (dataset, file) = KnownDatasets.Identify(KnownDatasets.FashionMnist.Test.Labels.Sha256!.ToUpperInvariant())!.Value;
        Assert.Same(KnownDatasets.FashionMnist, dataset);
        Assert.Equal("t10k-labels-idx1-ubyte", file.FileName);
        Assert.Null(KnownDatasets.Identify(new string('a', 64)));
    }
}
