using System;
using System.Security.Cryptography;

namespace Symbolic.Rules.Data;

/// <summary>SHA-256 of a data file's decompressed bytes, and its check against a published value.</summary>
public static class DataChecksum
{
    /// <summary>The SHA-256 of <paramref name="bytes"/> as 64 lowercase hex digits.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Checks that the SHA-256 of <paramref name="decompressed"/> is <paramref name="expectedSha256"/> (hex, any case) and
    /// returns it; otherwise throws <see cref="ChecksumMismatchException"/> naming <paramref name="fileName"/> and both hashes.
    /// </summary>
    /// <param name="decompressed">The file's bytes after gzip decompression (the published hashes are of the raw IDX files).</param>
    /// <param name="expectedSha256">The published hash.</param>
    /// <param name="fileName">The file's name or path, for the message.</param>
    /// <param name="hint">Replaces the message's default explanation (e.g. "this is the Fashion-MNIST file").</param>
    public static string Verify(ReadOnlySpan<byte> decompressed, string expectedSha256, string fileName, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(expectedSha256);
        string actual = Sha256(decompressed);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ChecksumMismatchException(fileName, expectedSha256.ToLowerInvariant(), actual, hint);
        }
        return actual;
    }
}
