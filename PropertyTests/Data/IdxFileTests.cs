using System;
using System.IO;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Data;

/// <summary>
/// The IDX reader on files the tests write: round trips of random sizes (bytes and streams, raw and gzipped), and every
/// class of broken file (wrong magic, element type or rank, truncated header or data, extra bytes, zero or huge
/// dimensions, corrupt or truncated gzip), each an error whose message starts with the file's name.
/// </summary>
public class IdxFileTests
{
    private const string Name = "some/dir/file-idx3-ubyte";

    [Property(MaxTest = 60)]
    public Property ImagesAndLabelsRoundTrip() => Prop.ForAll(
        Arb.From(from count in Gen.Choose(1, 30) from rows in Gen.Choose(1, 9) from cols in Gen.Choose(1, 9) from seed in Gen.Choose(0, 1000) select (count, rows, cols, seed)),
        sizes =>
        {
            var (count, rows, cols, seed) = sizes;
            var pixels = IdxBytes.Random(count * rows * cols, seed);
            var labels = IdxBytes.Random(count, seed + 1);
            var imagesFile = IdxBytes.Images(count, rows, cols, pixels);
            var labelsFile = IdxBytes.Labels(labels);
            var fromBytes = IdxFile.ParseImages(imagesFile, Name);
            var fromStream = IdxFile.ReadImages(new MemoryStream(imagesFile), Name);
            var fromGzip = IdxFile.ParseImages(IdxFile.Decompress(IdxBytes.Gzip(imagesFile), Name), Name);
            var fromGzipStream = IdxFile.ReadLabels(new System.IO.Compression.GZipStream(new MemoryStream(IdxBytes.Gzip(labelsFile)), System.IO.Compression.CompressionMode.Decompress), Name);
            bool imagesOk = new[] { fromBytes, fromStream, fromGzip }.All(i =>
                i.Count == count && i.Rows == rows && i.Cols == cols && i.Pixels.Span.SequenceEqual(pixels) && i.FileName == Name);
            bool labelsOk = IdxFile.ParseLabels(labelsFile, Name).Labels.Span.SequenceEqual(labels) && fromGzipStream.Labels.Span.SequenceEqual(labels);
            return (imagesOk && labelsOk).Label($"{count} x {rows} x {cols}, seed {seed}");
        });

    [Fact]
    public void DecompressLeavesRawBytesAsTheyAre()
    {
        var file = IdxBytes.Labels(new byte[] { 1, 2, 3 });
        var memory = new ReadOnlyMemory<byte>(file);
        Assert.True(IdxFile.Decompress(memory, Name).Equals(memory));
    }

    public static TheoryData<string, byte[], bool, string> BrokenFiles()
    {
        var pixels = IdxBytes.Random(2 * 3 * 3, 5);
        var good = IdxBytes.Images(2, 3, 3, pixels);
        return new TheoryData<string, byte[], bool, string>
        {
            { "empty", Array.Empty<byte>(), true, "is too short to be an IDX file: 0 bytes" },
            { "three bytes", new byte[] { 0, 0, 8 }, true, "is too short to be an IDX file: 3 bytes" },
            { "wrong magic", IdxBytes.File(0x12340803, new[] { 2, 3, 3 }, pixels), true, "is not an IDX file: it starts with 0x12340803" },
            { "gzip not undone", IdxBytes.Gzip(good), true, "gzip-compressed, decompress it first" },
            { "float elements", IdxBytes.File(0x00000D03, new[] { 2, 3, 3 }, pixels), true, "type 0x0D (32-bit floats" },
            { "labels where images belong", IdxBytes.Labels(new byte[] { 1, 2 }), true, "is an IDX file of rank 1 (magic 0x00000801), expected rank 3 for images (magic 0x00000803); it looks like a labels file" },
            { "rank 2", IdxBytes.File(0x00000802, new[] { 2, 9 }, pixels), true, "rank 2" },
            { "images where labels belong", good, false, "it looks like an images file" },
            { "truncated header", good[..10], true, "is truncated inside its header: 10 bytes, and the header of a rank-3 IDX file is 16 bytes" },
            { "truncated data", good[..^1], true, "is truncated: its header declares 2 images of 3x3 (34 bytes with the header), but it has 33 bytes" },
            { "truncated labels", IdxBytes.Labels(new byte[] { 1, 2, 3 })[..^2], false, "declares 3 labels (11 bytes with the header), but it has 9 bytes" },
            { "extra bytes", good.Concat(new byte[] { 7, 7 }).ToArray(), true, "has 2 extra bytes after the 2 images of 3x3 its header declares" },
            { "zero images", IdxBytes.Images(0, 3, 3, Array.Empty<byte>()), true, "has a dimension of size zero (0 x 3 x 3), so it holds no images" },
            { "zero rows", IdxBytes.Images(2, 0, 3, Array.Empty<byte>()), true, "dimension of size zero (2 x 0 x 3)" },
            { "zero labels", IdxBytes.Labels(Array.Empty<byte>()), false, "so it holds no labels" },
            { "negative dimension", IdxBytes.File(IdxFile.ImagesMagic, new[] { -1, 3, 3 }, pixels), true, "declares dimension 0 as 4294967295, which is more than an array can hold" },
            { "huge product", IdxBytes.File(IdxFile.ImagesMagic, new[] { 60000, 28000, 28000 }, pixels), true, "declares 60000 x 28000 x 28000 bytes of data, more than an array can hold" },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void BrokenFilesAreErrorsNamingTheFile(string what, byte[] file, bool images, string expected)
    {
        Exception Parse() => Assert.Throws<DataFileException>(() => { if (images) IdxFile.ParseImages(file, Name); else IdxFile.ParseLabels(file, Name); });
        Exception Read() => Assert.Throws<DataFileException>(() => { if (images) IdxFile.ReadImages(new MemoryStream(file), Name); else IdxFile.ReadLabels(new MemoryStream(file), Name); });
        // The stream reader cannot count the bytes after the declared data without reading them all.
        foreach (var (error, want) in new[] { (Parse(), expected), (Read(), expected.Replace("has 2 extra bytes", "has extra bytes")) })
        {
            Assert.StartsWith($"'{Name}' ", error.Message);
            Assert.Equal(Name, ((DataFileException)error).FileName);
            Assert.True(error.Message.Contains(want, StringComparison.Ordinal), $"{what}: {error.Message}");
        }
    }

    [Fact]
    public void CorruptGzipIsAnErrorNamingTheFile()
    {
        var gz = IdxBytes.Gzip(IdxBytes.Images(4, 5, 5, IdxBytes.Random(100, 3)));
        var flipped = (byte[])gz.Clone();
        flipped[^6] ^= 0xFF; // inside the CRC-32 trailer: the data inflate, the check fails
        var corruptBody = (byte[])gz.Clone();
        for (int i = 10; i < corruptBody.Length - 8; i++) corruptBody[i] = 0xFF; // not a deflate stream
        foreach (var (bytes, what) in new[] { (flipped, "crc"), (corruptBody, "body") })
        {
            var error = Assert.Throws<DataFileException>(() => IdxFile.Decompress(bytes, "x.gz"));
            Assert.StartsWith("'x.gz' is not a valid gzip file (corrupt or truncated)", error.Message);
            Assert.Equal("x.gz", error.FileName);
            Assert.NotNull(what);
        }
    }

    [Fact]
    public void TruncatedGzipIsAnErrorNamingTheFile()
    {
        var gz = IdxBytes.Gzip(IdxBytes.Images(4, 5, 5, IdxBytes.Random(100, 3)));
        // Cut in the data: either the gzip reader objects, or the IDX reader finds the data short; both name the file.
        var error = Assert.Throws<DataFileException>(() => IdxFile.ParseImages(IdxFile.Decompress(gz[..(gz.Length / 2)], "cut.gz"), "cut.gz"));
        Assert.StartsWith("'cut.gz' ", error.Message);
    }

    [Fact]
    public void ChecksumMismatchNamesTheFileAndBothHashes()
    {
        var file = IdxBytes.Labels(new byte[] { 1, 2, 3 });
        string actual = DataChecksum.Sha256(file);
        Assert.Equal(actual, DataChecksum.Verify(file, actual.ToUpperInvariant(), "l"));
        string wrong = new string('0', 64);
        var error = Assert.Throws<ChecksumMismatchException>(() => DataChecksum.Verify(file, wrong, "dir/labels"));
        Assert.Equal($"'dir/labels': SHA-256 of the decompressed bytes is {actual}, expected {wrong} (the file is damaged or is not the official data set)", error.Message);
        Assert.Equal(wrong, error.ExpectedSha256);
        Assert.Equal(actual, error.ActualSha256);
        Assert.Equal("dir/labels", error.FileName);
        // The known SHA-256 of the empty input, so the hex encoding is the standard one.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", DataChecksum.Sha256(ReadOnlySpan<byte>.Empty));
    }
}
