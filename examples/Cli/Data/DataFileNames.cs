using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Symbolic.Cli.Data;

/// <summary>
/// The names a data file goes by in the wild: the usual <c>train-images-idx3-ubyte</c>, the dotted
/// <c>train-images.idx3-ubyte</c> (as some archives unpack), <c>.ubyte</c> or no <c>-ubyte</c> at all, each raw or
/// with <c>.gz</c>, in any letter case; also a folder of that name holding the file (as some mirrors ship it).
/// </summary>
public static class DataFileNames
{
    /// <summary>
    /// Every accepted spelling of <paramref name="usualName"/>, in order of preference: the raw spellings (the usual one
    /// first), then the same with <c>.gz</c>. A name not of the form STEM-idxN-ubyte has only itself and itself.gz.
    /// </summary>
    public static IReadOnlyList<string> Spellings(string usualName)
    {
        ArgumentException.ThrowIfNullOrEmpty(usualName);
        var raw = new List<string> { usualName };
        int idx = usualName.LastIndexOf("-idx", StringComparison.Ordinal);
        if (idx > 0 && usualName.EndsWith("-ubyte", StringComparison.Ordinal))
        {
            string stem = usualName[..idx];
            string kind = usualName[(idx + 1)..^"-ubyte".Length];
            foreach (string suffix in new[] { "-ubyte", ".ubyte", "" })
            {
                foreach (string separator in new[] { "-", "." })
                {
                    string name = stem + separator + kind + suffix;
                    if (!raw.Contains(name)) raw.Add(name);
                }
            }
        }
        return raw.Concat(raw.Select(n => n + ".gz")).ToList();
    }

    /// <summary>
    /// The path of the file in <paramref name="directory"/> that is <paramref name="usualName"/> under one of its
    /// <see cref="Spellings"/> (letter case ignored), or null if there is none.
    /// </summary>
    public static string? Find(string directory, string usualName)
    {
        if (!Directory.Exists(directory)) return null;
        var entries = Directory.EnumerateFileSystemEntries(directory)
            .Select(path => (Path: path, Name: Path.GetFileName(path)))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        foreach (string spelling in Spellings(usualName))
        {
            // An exact match first, so that of "X" and "x" side by side the one asked for wins.
            foreach (var (path, name) in entries.Where(e => e.Name == spelling).Concat(entries.Where(e => string.Equals(e.Name, spelling, StringComparison.OrdinalIgnoreCase))))
            {
                if (File.Exists(path)) return path;
                string inside = Path.Combine(path, name);
                if (Directory.Exists(path) && File.Exists(inside)) return inside;
            }
        }
        return null;
    }
}
