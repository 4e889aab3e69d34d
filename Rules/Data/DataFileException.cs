using System;

namespace Symbolic.Rules.Data;

/// <summary>
/// A data file that cannot be used: not an IDX file of the expected kind, truncated, with extra bytes, a corrupt gzip
/// stream, or images and labels that do not pair up. The message starts with the file's name in quotes.
/// </summary>
public class DataFileException : Exception
{
    /// <summary>Creates the error for the file <paramref name="fileName"/> (as the caller named it: a path or a file name).</summary>
    public DataFileException(string fileName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FileName = fileName;
    }

    /// <summary>The file the error is about, as the caller named it.</summary>
    public string FileName { get; }
}

/// <summary>
/// A data file whose SHA-256 (of its decompressed bytes) is not the one published for it: the file is damaged, or is
/// not the official data set. The message names the file and both hashes.
/// </summary>
public sealed class ChecksumMismatchException : DataFileException
{
    /// <summary>Creates the error for <paramref name="fileName"/> with the expected and the actual hash (lowercase hex).</summary>
    public ChecksumMismatchException(string fileName, string expectedSha256, string actualSha256, string? hint = null)
        : base(fileName, $"'{fileName}': SHA-256 of the decompressed bytes is {actualSha256}, expected {expectedSha256}" +
                         (hint == null ? " (the file is damaged or is not the official data set)" : $" ({hint})"))
    {
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The published SHA-256 of the file's decompressed bytes (lowercase hex).</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The SHA-256 of the bytes that were read (lowercase hex).</summary>
    public string ActualSha256 { get; }
}
