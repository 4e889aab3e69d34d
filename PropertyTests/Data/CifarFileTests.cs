using System;
using System.IO;
using System.Linq;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Data;

/// <summary>CIFAR-10's binary format on generated files: layout, concatenation, scaling, and every malformed file a clear error naming it.</summary>
public class CifarFileTests
{
    // Record r of a generated file: label r % 10, pixel p of channel c = (r * 7 + c * 31 + p) % 256.
    internal static byte[] Records(int count, int first = 0)
    {
        var bytes = new byte[count * CifarFile.RecordLength];
        for (int r = 0; r < count; r++)
        {
            int at = r * CifarFile.RecordLength;
            bytes[at] = (byte)((first + r) % 10);
            for (int c = 0; c < 3; c++)
            {
                for (int p = 0; p < 1024; p++) bytes[at + 1 + c * 1024 + p] = (byte)(((first + r) * 7 + c * 31 + p) % 256);
            }
        }
        return bytes;
    }

    [Fact]
    public void RecordsBecomeChannelMajorImagesInFileOrder()
    {
        var data = CifarFile.Parse(new[] { ("a.bin", (ReadOnlyMemory<byte>)Records(3)), ("b.bin", (ReadOnlyMemory<byte>)Records(2, first: 3)) }, "cifar-test");
        Assert.Equal(5, data.Count);
        Assert.Equal((3, 32, 32, 3072, 10), (data.Channels, data.Rows, data.Cols, data.PixelsPerImage, data.ClassCount));
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, data.Labels.ToArray());
        for (int r = 0; r < 5; r++)
        {
            var image = data.ImageBytes(r);
            // Green plane (c = 1), row 2, column 5: pixel index 1024 + 2 * 32 + 5.
            Assert.Equal((byte)((r * 7 + 31 + 69) % 256), image[1024 + 69]);
        }
        var batch = new float[2 * 3072];
        data.WithScale(PixelScale.MinusOneToOne).GatherImages<float>(new[] { 4, 0 }, batch);
        Assert.Equal((4 * 7 + 0) % 256 / 255f * 2 - 1, batch[0], 6);
        Assert.Equal(-1f, batch[3072], 6);
        Assert.Equal("5 images of 3x32x32, 10 classes", data.ToString());
    }

    [Fact]
    public void MalformedFilesAreClearErrorsNamingTheFile()
    {
        var truncated = Records(2)[..(2 * CifarFile.RecordLength - 5)];
        var e = Assert.Throws<DataFileException>(() => CifarFile.Parse(new[] { ("cut.bin", (ReadOnlyMemory<byte>)truncated) }, "x"));
        Assert.Equal("cut.bin", e.FileName);
        Assert.Contains("not a whole number of 3073-byte", e.Message);
        var badLabel = Records(3);
        badLabel[2 * CifarFile.RecordLength] = 12;
        e = Assert.Throws<DataFileException>(() => CifarFile.Parse(new[] { ("label.bin", (ReadOnlyMemory<byte>)badLabel) }, "x"));
        Assert.Contains("record 2", e.Message);
        Assert.Contains("label 12", e.Message);
        e = Assert.Throws<DataFileException>(() => CifarFile.Parse(new[] { ("empty.bin", ReadOnlyMemory<byte>.Empty) }, "x"));
        Assert.Contains("empty", e.Message);
        var folder = Path.Combine(Path.GetTempPath(), "symbolic-cifar-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "data_batch_1.bin"), Records(4));
            e = Assert.Throws<DataFileException>(() => CifarFile.Load(folder, CifarFile.TrainFiles, "cifar"));
            Assert.Contains("data_batch_2.bin", e.Message);
            Assert.Equal(4, CifarFile.Load(folder, new[] { "data_batch_1.bin" }, "cifar").Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
