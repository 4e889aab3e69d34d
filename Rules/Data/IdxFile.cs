using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Symbolic.Rules.Data;

/// <summary>The images of an IDX file of rank 3 (unsigned bytes): <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Cols"/>, row-major.</summary>
/// <param name="FileName">The file the images were read from, for messages.</param>
/// <param name="Count">The number of images (at least 1).</param>
/// <param name="Rows">The rows of each image (at least 1).</param>
/// <param name="Cols">The columns of each image (at least 1).</param>
/// <param name="Pixels">Count * Rows * Cols bytes: image after image, each row-major.</param>
public sealed record IdxImages(string FileName, int Count, int Rows, int Cols, ReadOnlyMemory<byte> Pixels);

/// <summary>The labels of an IDX file of rank 1 (unsigned bytes), one byte a sample.</summary>
/// <param name="FileName">The file the labels were read from, for messages.</param>
/// <param name="Labels">One label a sample (at least one).</param>
public sealed record IdxLabels(string FileName, ReadOnlyMemory<byte> Labels)
{
    /// <summary>The number of labels.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST (unsigned-byte images of rank 3, magic 0x00000803; unsigned-byte
/// labels of rank 1, magic 0x00000801), with every field checked: magic, element type, rank, non-zero dimensions that
/// fit in an array, and a length of exactly the header plus the data it declares. Every error is a
/// <see cref="DataFileException"/> whose message starts with the file's name. Also undoes gzip compression.
/// </summary>
public static class IdxFile
{
    /// <summary>The magic number of an unsigned-byte IDX file of rank 3 (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of an unsigned-byte IDX file of rank 1 (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>The largest decompressed file <see cref="Decompress"/> produces; far above the 47 MB of the largest MNIST file, it stops a gzip bomb.</summary>
    public const int MaxDecompressedLength = 1 << 30;

    private const byte UnsignedByteType = 0x08;

    /// <summary>Parses an images file held in <paramref name="file"/>; the result's pixels share its memory.</summary>
    /// <exception cref="DataFileException">The bytes are not an unsigned-byte IDX file of rank 3 with a matching length.</exception>
    public static IdxImages ParseImages(ReadOnlyMemory<byte> file, string fileName)
    {
        var dims = ParseHeader(file.Span, fileName, rank: 3, out int header);
        return new IdxImages(fileName, dims[0], dims[1], dims[2], file[header..]);
    }

    /// <summary>Parses a labels file held in <paramref name="file"/>; the result's labels share its memory.</summary>
    /// <exception cref="DataFileException">The bytes are not an unsigned-byte IDX file of rank 1 with a matching length.</exception>
    public static IdxLabels ParseLabels(ReadOnlyMemory<byte> file, string fileName)
    {
        ParseHeader(file.Span, fileName, rank: 1, out int header);
        return new IdxLabels(fileName, file[header..]);
    }

    /// <summary>Reads an images file from <paramref name="stream"/> (to its end, which must come right after the declared pixels).</summary>
    /// <exception cref="DataFileException">As <see cref="ParseImages"/>, and for a corrupt gzip stream underneath.</exception>
    public static IdxImages ReadImages(Stream stream, string fileName) => ParseImages(ReadExact(stream, fileName, rank: 3), fileName);

    /// <summary>Reads a labels file from <paramref name="stream"/> (to its end, which must come right after the declared labels).</summary>
    /// <exception cref="DataFileException">As <see cref="ParseLabels"/>, and for a corrupt gzip stream underneath.</exception>
    public static IdxLabels ReadLabels(Stream stream, string fileName) => ParseLabels(ReadExact(stream, fileName, rank: 1), fileName);

    /// <summary>Whether <paramref name="file"/> starts with the gzip magic bytes 1F 8B (an IDX file starts with 00 00).</summary>
    public static bool IsGzip(ReadOnlySpan<byte> file) => file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B;

    /// <summary>
    /// <paramref name="file"/> decompressed if it is gzip (by its first bytes, not its name, so a misnamed file still
    /// reads), otherwise <paramref name="file"/> itself.
    /// </summary>
    /// <exception cref="DataFileException">The gzip stream is corrupt or truncated, or decompresses to more than <see cref="MaxDecompressedLength"/> bytes.</exception>
    public static ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> file, string fileName)
    {
        if (!IsGzip(file.Span)) return file;
        using var compressed = MemoryMarshal.TryGetArray(file, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(file.ToArray(), writable: false);
        // MNIST compresses about 5:1 and Fashion-MNIST about 2:1; starting at 4x saves most of the regrowth.
        using var output = new MemoryStream(checked((int)Math.Min(MaxDecompressedLength, 4L * file.Length)));
        try
        {
            using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
            var buffer = new byte[81920];
            int read;
            while ((read = gzip.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > MaxDecompressedLength)
                {
                    throw new DataFileException(fileName, $"'{fileName}' decompresses to more than {MaxDecompressedLength} bytes; no MNIST-like IDX file is that large");
                }
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(fileName, $"'{fileName}' is not a valid gzip file (corrupt or truncated): {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFileException(fileName, $"'{fileName}' is a truncated gzip file: {e.Message}", e);
        }
        // An exact array, so a data set kept for a whole run does not also keep the buffer's unused tail.
        return output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();
    }

    /// <summary>The dimensions the header declares, after checking the whole file against them; <paramref name="headerLength"/> is 4 + 4 * rank.</summary>
    private static int[] ParseHeader(ReadOnlySpan<byte> file, string fileName, int rank, out int headerLength)
    {
        CheckMagic(file, fileName, rank);
        headerLength = 4 + 4 * rank;
        if (file.Length < headerLength)
        {
            throw new DataFileException(fileName, $"'{fileName}' is truncated inside its header: {file.Length} bytes, and the header of a rank-{rank} IDX file is {headerLength} bytes");
        }
        var dims = Dimensions(file, fileName, rank);
        long expected = headerLength + DataLength(dims, fileName);
        if (file.Length < expected)
        {
            throw new DataFileException(fileName, $"'{fileName}' is truncated: its header declares {Describe(dims)} ({expected} bytes with the header), but it has {file.Length} bytes");
        }
        if (file.Length > expected)
        {
            throw new DataFileException(fileName, $"'{fileName}' has {file.Length - expected} extra bytes after the {Describe(dims)} its header declares ({expected} bytes with the header; the file has {file.Length})");
        }
        return dims;
    }

    private static void CheckMagic(ReadOnlySpan<byte> file, string fileName, int rank)
    {
        int expectedMagic = rank == 3 ? ImagesMagic : LabelsMagic;
        string kind = rank == 3 ? "images" : "labels";
        if (file.Length < 4)
        {
            throw new DataFileException(fileName, $"'{fileName}' is too short to be an IDX file: {file.Length} bytes, and the magic number alone is 4 (expected {kind}, magic 0x{expectedMagic:X8})");
        }
        int magic = BinaryPrimitives.ReadInt32BigEndian(file);
        if (file[0] != 0 || file[1] != 0)
        {
            string guess = IsGzip(file) ? "; it is gzip-compressed, decompress it first" : "";
            throw new DataFileException(fileName, $"'{fileName}' is not an IDX file: it starts with 0x{magic:X8}, and an IDX {kind} file starts with the magic number 0x{expectedMagic:X8}{guess}");
        }
        if (file[2] != UnsignedByteType)
        {
            throw new DataFileException(fileName, $"'{fileName}' holds IDX elements of type 0x{file[2]:X2} ({ElementTypeName(file[2])}; magic 0x{magic:X8}); only unsigned bytes (0x08, magic 0x{expectedMagic:X8}) are read");
        }
        if (file[3] != rank)
        {
            string guess = file[3] switch
            {
                1 when rank == 3 => "; it looks like a labels file",
                3 when rank == 1 => "; it looks like an images file",
                _ => "",
            };
            throw new DataFileException(fileName, $"'{fileName}' is an IDX file of rank {file[3]} (magic 0x{magic:X8}), expected rank {rank} for {kind} (magic 0x{expectedMagic:X8}){guess}");
        }
    }

    private static int[] Dimensions(ReadOnlySpan<byte> file, string fileName, int rank)
    {
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(file.Slice(4 + 4 * d));
            if (size > int.MaxValue)
            {
                throw new DataFileException(fileName, $"'{fileName}' declares dimension {d} as {size}, which is more than an array can hold");
            }
            dims[d] = (int)size;
        }
        if (Array.IndexOf(dims, 0) >= 0)
        {
            throw new DataFileException(fileName, $"'{fileName}' has a dimension of size zero ({string.Join(" x ", dims)}), so it holds no {(rank == 3 ? "images" : "labels")}");
        }
        return dims;
    }

    private static long DataLength(int[] dims, string fileName)
    {
        long length = 1;
        foreach (int size in dims)
        {
            // Each factor is below 2^31, and the running product is checked below 2^31 each time, so no overflow.
            length *= size;
            if (length > Array.MaxLength - 16)
            {
                throw new DataFileException(fileName, $"'{fileName}' declares {string.Join(" x ", dims)} bytes of data, more than an array can hold");
            }
        }
        return length;
    }

    private static string Describe(int[] dims) =>
        dims.Length == 3 ? $"{dims[0]} images of {dims[1]}x{dims[2]}" : $"{dims[0]} labels";

    private static string ElementTypeName(byte type) => type switch
    {
        0x09 => "signed bytes",
        0x0B => "16-bit integers",
        0x0C => "32-bit integers",
        0x0D => "32-bit floats",
        0x0E => "64-bit floats",
        _ => "not an IDX type",
    };

    /// <summary>The whole file from <paramref name="stream"/>: its header, exactly the data the header declares, and a check that nothing follows.</summary>
    private static byte[] ReadExact(Stream stream, string fileName, int rank)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            var start = new byte[4];
            int got = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
            CheckMagic(start.AsSpan(0, got), fileName, rank);
            int headerLength = 4 + 4 * rank;
            var header = new byte[headerLength];
            start.CopyTo(header, 0);
            got = 4 + stream.ReadAtLeast(header.AsSpan(4), headerLength - 4, throwOnEndOfStream: false);
            if (got < headerLength)
            {
                throw new DataFileException(fileName, $"'{fileName}' is truncated inside its header: {got} bytes, and the header of a rank-{rank} IDX file is {headerLength} bytes");
            }
            var dims = Dimensions(header, fileName, rank);
            long expected = headerLength + DataLength(dims, fileName);
            var file = new byte[expected];
            header.CopyTo(file, 0);
            got = headerLength + stream.ReadAtLeast(file.AsSpan(headerLength), file.Length - headerLength, throwOnEndOfStream: false);
            if (got < expected)
            {
                throw new DataFileException(fileName, $"'{fileName}' is truncated: its header declares {Describe(dims)} ({expected} bytes with the header), but it has {got} bytes");
            }
            Span<byte> probe = stackalloc byte[1];
            if (stream.Read(probe) > 0)
            {
                throw new DataFileException(fileName, $"'{fileName}' has extra bytes after the {Describe(dims)} its header declares ({expected} bytes with the header)");
            }
            return file;
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(fileName, $"'{fileName}' cannot be read: {e.Message}", e);
        }
    }
}
