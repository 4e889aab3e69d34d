using System;
using System.IO;

namespace Symbolic.Rules.Checkpoints;

/// <summary>
/// The file I/O of checkpoints, kept apart from the pure encoder: an atomic write (a temporary file in the target's
/// folder, flushed, then moved over the target) and a whole-file read.
/// </summary>
public static class CheckpointFile
{
    /// <summary>
    /// Writes <paramref name="path"/> atomically: <paramref name="write"/> fills a new temporary file in the same folder,
    /// which is flushed to disk and then moved over <paramref name="path"/>. If anything throws, the temporary file is
    /// deleted and an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static void WriteAtomic(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
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
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically (see <see cref="WriteAtomic(string, Action{Stream})"/>).</summary>
    public static void WriteAtomic(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        WriteAtomic(path, s => s.Write(bytes, 0, bytes.Length));
    }

    /// <summary>The whole content of <paramref name="path"/>.</summary>
    public static byte[] ReadAll(string path) => File.ReadAllBytes(path);
}
