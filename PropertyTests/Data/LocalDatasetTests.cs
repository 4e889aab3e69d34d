using System;
using System.IO;
using System.Linq;
using Symbolic.Cli;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Data;

/// <summary>
/// The data sets no package carries, KMNIST (IDX, no published checksum) and CIFAR-10 (binary records), through
/// <see cref="Program.Run"/> on generated files: where they are looked for, what the summary says was checked, the
/// colour CNN trained on them, and every missing or malformed file a one-line error before any run folder exists.
/// </summary>
public sealed class LocalDatasetTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "symbolic-local-data-" + Guid.NewGuid().ToString("N")[..8]);

    public LocalDatasetTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>CIFAR-10's six files as its archive unpacks them (DIR/cifar-10-batches-bin), with <paramref name="perFile"/> records each.</summary>
    private string WriteCifar(int perFile)
    {
        string batches = Path.Combine(directory, "download", "cifar-10-batches-bin");
        Directory.CreateDirectory(batches);
        for (int i = 0; i < CifarFile.TrainFiles.Count; i++) File.WriteAllBytes(Path.Combine(batches, CifarFile.TrainFiles[i]), CifarFileTests.Records(perFile, first: i * perFile));
        File.WriteAllBytes(Path.Combine(batches, CifarFile.TestFile), CifarFileTests.Records(perFile, first: 3));
        return Path.Combine(directory, "download");
    }

    [Fact]
    public void Cifar10FromItsUnpackedArchiveIsReadAndTrainsTheColourCnn()
    {
        string download = WriteCifar(perFile: 8);
        string batches = Path.Combine(download, "cifar-10-batches-bin");
        var (code, output, error) = Run("data", "--dataset", "cifar10", "--data", download);
        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith($"cifar10: 40 train + 8 test images of 3x32x32, 10 classes; no published checksum, format checked (6 files); in '{batches}' (--data, ", output);

        string runs = Path.Combine(directory, "runs");
        (code, output, error) = Run("train", "--model", "paper-cnn-colour", "--dataset", "cifar10", "--data", download, "--rule", "bp,ar", "--steps", "3",
            "--epochs", "1", "--batch", "8", "--threads", "1", "--out", runs);
        Assert.True(code == 0, output + error);
        string run = Assert.Single(Directory.GetDirectories(runs));
        Assert.Contains("cifar10", Path.GetFileName(run));
        Assert.Contains("\"dataset\": \"cifar10\"", File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Contains("bp seed 1 epoch 1/1", output);
        Assert.Contains("ar seed 1 epoch 1/1", output);
    }

    [Fact]
    public void AMissingOrMalformedCifarFileStopsBeforeTheRunFolderExists()
    {
        string download = WriteCifar(perFile: 4);
        string batches = Path.Combine(download, "cifar-10-batches-bin");
        string runs = Path.Combine(directory, "runs");
        var bad = CifarFileTests.Records(4);
        bad[2 * CifarFile.RecordLength] = 12;
        File.WriteAllBytes(Path.Combine(batches, "data_batch_3.bin"), bad);
        var (code, output, error) = Run("train", "--model", "paper-cnn-colour", "--dataset", "cifar10", "--data", download, "--out", runs);
        Assert.Equal((2, ""), (code, output));
        Assert.Contains($"--data: '{Path.Combine(batches, "data_batch_3.bin")}' record 2 (byte {2 * CifarFile.RecordLength}) has label 12", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(runs));

        File.Delete(Path.Combine(batches, "test_batch.bin"));
        (code, output, error) = Run("data", "--dataset", "cifar10", "--data", download);
        Assert.Equal((2, ""), (code, output));
        Assert.Contains($"--data '{download}': test_batch.bin is missing", error);
        Assert.Contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void KmnistIsReadFromItsIdxFilesAndSaysNoChecksumWasPublished()
    {
        // Full-size files (the counts are the one content check): pixel p of image i is (i + 3p) % 256, label i % 10.
        static byte[] Images(int count)
        {
            var pixels = new byte[count * 784];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i / 784 + 3 * (i % 784));
            return IdxBytes.Images(count, 28, 28, pixels);
        }
        static byte[] Labels(int count) => IdxBytes.Labels(Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());
        string folder = Path.Combine(directory, "copies", "kmnist");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "train-images-idx3-ubyte.gz"), IdxBytes.Gzip(Images(60_000)));
        File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte.gz"), IdxBytes.Gzip(Labels(60_000)));
        File.WriteAllBytes(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), IdxBytes.Gzip(Images(10_000)));
        File.WriteAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), IdxBytes.Gzip(Labels(10_000)));

        var (code, output, error) = Run("data", "--dataset", "kmnist", "--data", Path.Combine(directory, "copies"));
        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith($"kmnist: 60000 train + 10000 test images of 28x28, 10 classes; no published checksum, format and counts checked (4 files); in '{folder}' (--data, ", output);

        File.WriteAllBytes(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), IdxBytes.Gzip(Images(9_999)));
        File.WriteAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), IdxBytes.Gzip(Labels(9_999)));
        (code, output, error) = Run("data", "--dataset", "kmnist", "--data", folder);
        Assert.Equal((2, ""), (code, output));
        Assert.Contains("holds 9999 images of 28x28; KMNIST has 10000 of 28x28", error);

        string empty = Path.Combine(directory, "empty");
        Directory.CreateDirectory(empty);
        (code, _, error) = Run("data", "--dataset", "kmnist", "--data", empty);
        Assert.Equal(2, code);
        Assert.Contains("KMNIST's train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte are missing", error);
    }
}
