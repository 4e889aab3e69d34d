using System;
using System.Collections.Generic;
using System.IO;

namespace Symbolic.Rules.Data;

/// <summary>
/// Reads CIFAR-10's binary format (the "binary version" of the data set: <c>data_batch_1.bin</c> to
/// <c>data_batch_5.bin</c> and <c>test_batch.bin</c>): records of one label byte (0 to 9) and 3,072 pixel bytes, the
/// red, green and blue 32 × 32 planes each row-major, which is the (channel, row, column) layout of an image input.
/// Every error is a <see cref="DataFileException"/> naming the file. CIFAR-10 itself cannot be fetched on this machine
/// kind; the format is tested on generated files.
/// </summary>
public static class CifarFile
{
    /// <summary>Channels of a CIFAR-10 image.</summary>
    public const int Channels = 3;

    /// <summary>Rows (and columns) of a CIFAR-10 image.</summary>
    public const int Side = 32;

    /// <summary>CIFAR-10's classes.</summary>
    public const int ClassCount = 10;

    /// <summary>Bytes of one record: the label and the three planes.</summary>
    public const int RecordLength = 1 + Channels * Side * Side;

    /// <summary>The training files of the binary distribution, in order.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } = new[] { "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin" };

    /// <summary>The test file of the binary distribution.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>The records of one or more files, concatenated in the order given, as one data set named <paramref name="name"/>.</summary>
    /// <exception cref="DataFileException">A file is empty, not a whole number of records, or holds a label above 9 (the message names the file, the record and the byte).</exception>
    public static Dataset Parse(IReadOnlyList<(string FileName, ReadOnlyMemory<byte> Bytes)> files, string name)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) throw new ArgumentException("At least one CIFAR-10 file is needed.", nameof(files));
        long records = 0;
        foreach (var (fileName, bytes) in files)
        {
            if (bytes.Length == 0) throw new DataFileException(fileName, $"'{fileName}' is empty; a CIFAR-10 binary file holds records of {RecordLength} bytes");
            if (bytes.Length % RecordLength != 0)
            {
                throw new DataFileException(fileName, $"'{fileName}' holds {bytes.Length} bytes, not a whole number of {RecordLength}-byte CIFAR-10 records (1 label + 3 x 32 x 32 pixels); the file is truncated or not CIFAR-10's binary version");
            }
            records += bytes.Length / RecordLength;
        }
        if (records * (RecordLength - 1) > Array.MaxLength) throw new ArgumentException($"{records} CIFAR-10 records are more than one array holds.", nameof(files));
        var pixels = new byte[records * (RecordLength - 1)];
        var labels = new int[records];
        int next = 0;
        foreach (var (fileName, bytes) in files)
        {
            var span = bytes.Span;
            for (int r = 0; r < span.Length / RecordLength; r++)
            {
                var record = span.Slice(r * RecordLength, RecordLength);
                if (record[0] >= ClassCount)
                {
                    throw new DataFileException(fileName, $"'{fileName}' record {r} (byte {(long)r * RecordLength}) has label {record[0]}; CIFAR-10's labels are 0 to {ClassCount - 1} (a CIFAR-100 file has two label bytes and is not read here)");
                }
                labels[next] = record[0];
                record[1..].CopyTo(pixels.AsSpan(next * (RecordLength - 1)));
                next++;
            }
        }
        return Dataset.Create(name, pixels, labels, Channels, Side, Side, ClassCount);
    }

    /// <summary>Reads <paramref name="fileNames"/> from <paramref name="folder"/> (see <see cref="Parse"/>).</summary>
    /// <exception cref="DataFileException">A file is missing or unreadable (naming it, and the files the folder needs), or is not CIFAR-10.</exception>
    public static Dataset Load(string folder, IReadOnlyList<string> fileNames, string name)
    {
        var files = new List<(string, ReadOnlyMemory<byte>)>();
        foreach (var fileName in fileNames)
        {
            string path = Path.Combine(folder, fileName);
            try
            {
                files.Add((path, File.ReadAllBytes(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataFileException(path, $"cannot read '{path}': {e.Message} (CIFAR-10's binary version needs {string.Join(", ", TrainFiles)} and {TestFile} in '{folder}')", e);
            }
        }
        return Parse(files, name);
    }
}
