using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Symbolic.Rules.Data;

namespace Symbolic.PropertyTests.Data;

/// <summary>Small IDX files written by the tests themselves (big-endian header, then the bytes), raw or gzipped, and specs whose hashes are theirs.</summary>
public static class IdxBytes
{
    /// <summary>An IDX file: the 4-byte magic, each dimension as a big-endian 32-bit integer, then <paramref name="data"/>.</summary>
    public static byte[] File(int magic, int[] dims, byte[] data)
    {
        var file = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(file, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(file, 4 + 4 * dims.Length);
        return file;
    }

    /// <summary>An images file of <paramref name="count"/> images of <paramref name="rows"/> x <paramref name="cols"/>.</summary>
    public static byte[] Images(int count, int rows, int cols, byte[] pixels) => File(IdxFile.ImagesMagic, new[] { count, rows, cols }, pixels);

    /// <summary>A labels file.</summary>
    public static byte[] Labels(byte[] labels) => File(IdxFile.LabelsMagic, new[] { labels.Length }, labels);

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Random(int length, int seed, int max = 256)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (byte)random.Next(max)).ToArray();
    }

    /// <summary><paramref name="data"/> gzipped.</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>A tiny data set in the MNIST layout: the four files' raw bytes, and a spec with their hashes.</summary>
    public sealed record TinySet(DatasetSpec Spec, byte[] TrainImages, byte[] TrainLabels, byte[] TestImages, byte[] TestLabels)
    {
        /// <summary>The four files in the order of <see cref="DatasetSpec.Files"/>.</summary>
        public byte[][] Files => new[] { TrainImages, TrainLabels, TestImages, TestLabels };

        /// <summary>Writes the four files into <paramref name="folder"/> (created) under name(usual name); gzipped when <paramref name="gzip"/>.</summary>
        public void WriteTo(string folder, bool gzip = false, Func<string, string>? name = null)
        {
            Directory.CreateDirectory(folder);
            for (int i = 0; i < 4; i++)
            {
                string usual = Spec.Files[i].FileName;
                string fileName = (name ?? (n => n))(usual) + (gzip ? ".gz" : "");
                System.IO.File.WriteAllBytes(Path.Combine(folder, fileName), gzip ? Gzip(Files[i]) : Files[i]);
            }
        }
    }

    /// <summary>A tiny set: 12 train and 5 test images of 3x4, labels 0 to 9.</summary>
    public static TinySet Tiny(string name = "tiny", int seed = 1)
    {
        byte[] trainImages = Images(12, 3, 4, Random(12 * 12, seed)), trainLabels = Labels(Random(12, seed + 1, 10));
        byte[] testImages = Images(5, 3, 4, Random(5 * 12, seed + 2)), testLabels = Labels(Random(5, seed + 3, 10));
        string Hash(byte[] b) => DataChecksum.Sha256(b);
        var spec = new DatasetSpec(name, "Tiny",
            new DataSplitSpec(new DataFileSpec("train-images-idx3-ubyte", Hash(trainImages)), new DataFileSpec("train-labels-idx1-ubyte", Hash(trainLabels)), 12),
            new DataSplitSpec(new DataFileSpec("t10k-images-idx3-ubyte", Hash(testImages)), new DataFileSpec("t10k-labels-idx1-ubyte", Hash(testLabels)), 5),
            3, 4, 10);
        return new TinySet(spec, trainImages, trainLabels, testImages, testLabels);
    }
}
