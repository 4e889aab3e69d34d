using System;
using System.IO;
using System.Text;

namespace Symbolic.Cli.CommandLine;

/// <summary>
/// The CLI's output files: <see cref="CheckWritable"/> before long work starts, and atomic writes (a temp file in the
/// target's directory, then a rename over the target), so a failed or interrupted write leaves the old file as it was.
/// </summary>
public static class OutputFile
{
    /// <summary>
    /// Checks that <paramref name="path"/> can be written: its directory exists and a file can be created and deleted there,
    /// and the path is not a directory. Throws <see cref="UsageException"/> (one line naming <paramref name="option"/>) if not.
    /// </summary>
    public static void CheckWritable(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file path");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{option} '{path}' is not a valid path: {OneLine(e.Message)}");
        }
        if (Directory.Exists(full)) throw new UsageException($"{option} '{path}' is a directory; give a file path");
        string directory = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(directory)) throw new UsageException($"{option} '{path}': directory '{directory}' does not exist");
        string probe = TempPath(full);
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} '{path}': cannot write to directory '{directory}' ({OneLine(e.Message)})");
        }
        finally
        {
            TryDelete(probe);
        }
        if (File.Exists(full) && (File.GetAttributes(full) & FileAttributes.ReadOnly) != 0)
        {
            throw new UsageException($"{option} '{path}' is read-only");
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            var bytes = new UTF8Encoding(false).GetBytes(text);
            stream.Write(bytes, 0, bytes.Length);
        });

    /// <summary>
    /// Writes <paramref name="path"/> atomically: <paramref name="write"/> fills a new temp file in the same directory,
    /// which is flushed to disk and renamed over <paramref name="path"/>. If anything throws, the temp file is deleted,
    /// <paramref name="path"/> is left as it was, and the exception propagates.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temp = TempPath(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>A fresh hidden temp-file path next to <paramref name="full"/> (same directory, so the rename stays on one file system).</summary>
    private static string TempPath(string full) =>
        Path.Combine(Path.GetDirectoryName(full) ?? ".", "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Collapses <paramref name="text"/> onto one line (newlines and tabs become single spaces).</summary>
    public static string OneLine(string text) =>
        string.Join(" ", text.Split(new[] { '\r', '\n', '\t' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
