using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Symbolic.Cli;
using Symbolic.Cli.Bench;
using Symbolic.Cli.CommandLine;
using Xunit;

namespace Symbolic.PropertyTests.Cli;

/// <summary>
/// The <c>symbolic</c> command line, run in process through <see cref="Program.Run"/>: help exits 0 with usage text, every
/// user error is one <c>symbolic: </c> line on stderr with exit code 2 (before any benchmarking), other failures exit 1,
/// and output files are written atomically. No benchmark runs here; the demo runs with its small graph (milliseconds).
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "symbolic-cli-tests-" + Guid.NewGuid().ToString("N"));

    public CommandLineTests() => Directory.CreateDirectory(directory);

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
        {
            foreach (var d in Directory.EnumerateDirectories(directory)) File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.Delete(directory, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Theory]
    [InlineData("--help", "symbolic [command] [options]")]
    [InlineData("-h", "symbolic [command] [options]")]
    [InlineData("-?", "symbolic [command] [options]")]
    [InlineData("help", "symbolic [command] [options]")]
    [InlineData("bench --help", "symbolic bench [options]")]
    [InlineData("bench -h", "symbolic bench [options]")]
    [InlineData("help bench", "symbolic bench [options]")]
    [InlineData("demo -h", "symbolic demo [options]")]
    [InlineData("demo --help", "symbolic demo [options]")]
    [InlineData("help demo", "symbolic demo [options]")]
    public void HelpPrintsUsageAndExitsZero(string args, string usage)
    {
        var (code, output, error) = Run(args.Split(' '));
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("Usage:", output);
        Assert.Contains(usage, output);
    }

    [Fact]
    public void HelpListsTheCommandsAndEveryOption()
    {
        var root = Run("--help").Out;
        foreach (var word in new[] { "demo", "bench", "help", "--eta", "--steps", "--schedule", "--seed", "--batch" }) Assert.Contains(word, root);
        var bench = Run("bench", "--help").Out;
        foreach (var option in new[] { "--quick", "--json", "--filter", "--no-reference", "--portable", "--no-pack-panels", "--gemm", "--blas", "--wait-idle", "--column-split", "--check" }) Assert.Contains(option, bench);
        var demo = Run("demo", "--help").Out;
        Assert.Contains("[default: 0.1]", demo);
        Assert.Contains("[default: sync]", demo);
    }

    [Theory]
    // unknown command or option
    [InlineData("nope", "'nope'")]
    [InlineData("--bogus", "'--bogus'")]
    [InlineData("bench --bogus", "'--bogus'")]
    [InlineData("demo --bogus", "'--bogus'")]
    [InlineData("bench --quick extra", "'extra'")]
    [InlineData("help nope", "no command 'nope'")]
    // missing value
    [InlineData("bench --json", "--json")]
    [InlineData("bench --filter", "--filter")]
    [InlineData("bench --wait-idle", "--wait-idle")]
    [InlineData("demo --eta", "--eta")]
    [InlineData("--steps", "--steps")]
    // wrong type
    [InlineData("bench --wait-idle abc", "--wait-idle needs a number, not 'abc'")]
    [InlineData("demo --steps 1.5", "--steps needs an integer, not '1.5'")]
    [InlineData("demo --eta abc", "--eta needs a number, not 'abc'")]
    [InlineData("demo --seed x", "--seed needs an integer, not 'x'")]
    [InlineData("demo --schedule foo", "--schedule must be sync or topdown, not 'foo'")]
    // out of range
    [InlineData("demo --eta 0", "--eta must be in (0, 1], not 0")]
    [InlineData("demo --eta 1.5", "--eta must be in (0, 1]")]
    [InlineData("--eta -1", "--eta must be in (0, 1]")]
    [InlineData("demo --eta NaN", "--eta needs a number")]
    [InlineData("demo --steps -1", "--steps must be 0 or more")]
    [InlineData("demo --batch 0", "--batch must be 1 or more")]
    [InlineData("bench --wait-idle -1", "--wait-idle must be 0 or more")]
    // options that would be ignored
    [InlineData("--eta 1 bench", "the training options go after 'train'")]
    [InlineData("bench --gemm --json x.json", "--json does not apply to --gemm")]
    [InlineData("bench --blas", "--blas adds reference rows to --gemm")]
    [InlineData("bench --check --filter bp", "--filter does not apply to --check")]
    [InlineData("bench --ab nonsense", "--ab takes one of no-blocked, no-shared-packs, packed-a, tile-edges, wide-edges, not 'nonsense'")]
    [InlineData("bench --gemm --ab packed-a", "--ab applies to the cases, not to --gemm")]
    [InlineData("bench --ab packed-a --packed-a", "--ab packed-a alternates with the default, so --packed-a cannot be given as well")]
    [InlineData("demo --eta 0.5 --eta 0.7", "--eta")]
    // a filter that matches no case
    [InlineData("bench --filter nonsense", "no bench case matches 'nonsense'; cases are named like 'mlp generated bp b1 t1' (graph mlp|cnn|gait|gated")]
    [InlineData("bench --no-reference --filter reference", "no bench case matches 'reference'")]
    public void UserErrorsAreOneLineAndExitTwo(string args, string expected)
    {
        var (code, output, error) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith("symbolic: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", line);
    }

    [Fact]
    public void ErrorsPointToTheCommandsHelp()
    {
        Assert.EndsWith("run 'symbolic bench --help' for the options", Lines(Run("bench", "--bogus").Err).Single());
        Assert.EndsWith("run 'symbolic demo --help' for the options", Lines(Run("demo", "--bogus").Err).Single());
        Assert.EndsWith("run 'symbolic --help' for the options", Lines(Run("--bogus").Err).Single());
    }

    [Fact]
    public void FilterErrorSaysHowCasesAreNamed()
    {
        var line = Lines(Run("bench", "--filter", "nonsense").Err).Single();
        foreach (var part in new[] { "generated", "kernels", "reference", "ar-closed-form", "b64", "t2", "ignoring case" }) Assert.Contains(part, line);
    }

    [Theory]
    [InlineData("mlp generated bp")]
    [InlineData("GATED")]
    [InlineData("kernels ar b64 t2")]
    [InlineData("reference")]
    public void FiltersThatMatchPassValidation(string filter) => BenchCommand.Validate(new BenchCommand.Settings(Filter: filter));

    [Fact]
    public void JsonToAMissingDirectoryFailsBeforeBenchmarking()
    {
        string path = Path.Combine(directory, "missing", "out.json");
        foreach (var args in new[] { new[] { "bench", "--json", path }, new[] { "bench", "--quick", "--no-reference", "--json", path } })
        {
            var clock = Stopwatch.StartNew();
            var (code, output, error) = Run(args);
            clock.Stop();
            Assert.Equal(2, code);
            Assert.Equal("", output);
            var line = Assert.Single(Lines(error));
            Assert.Contains("does not exist", line);
            Assert.Contains(Path.Combine(directory, "missing"), line);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalSeconds:F2} s: the path must be checked before the benchmark starts");
        }
        Assert.False(Directory.Exists(Path.Combine(directory, "missing")));
    }

    [Fact]
    public void JsonToADirectoryOrAnUnwritableDirectoryFails()
    {
        var (code, _, error) = Run("bench", "--json", directory);
        Assert.Equal(2, code);
        Assert.Contains("is a directory", Assert.Single(Lines(error)));

        string? unwritable = UnwritableDirectory();
        if (unwritable == null) return; // no directory this process cannot write to (e.g. root on a system without /sys)
        var clock = Stopwatch.StartNew();
        (code, var output, error) = Run("bench", "--json", Path.Combine(unwritable, "out.json"));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("cannot write to directory", Assert.Single(Lines(error)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    // A read-only directory; as root (which may write anyway), /sys on Linux.
    private string? UnwritableDirectory()
    {
        string readOnly = Path.Combine(directory, "read-only");
        Directory.CreateDirectory(readOnly);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        foreach (var candidate in new[] { readOnly, "/sys" })
        {
            if (!Directory.Exists(candidate)) continue;
            string probe = Path.Combine(candidate, "probe-" + Guid.NewGuid().ToString("N"));
            try
            {
                File.WriteAllText(probe, "");
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return candidate;
            }
        }
        return null;
    }

    [Fact]
    public void CheckWritableAcceptsAWritableDirectoryAndLeavesNothingBehind()
    {
        OutputFile.CheckWritable(Path.Combine(directory, "out.json"), "--json");
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
        Assert.Throws<UsageException>(() => OutputFile.CheckWritable(Path.Combine(directory, "no", "out.json"), "--json"));
        Assert.Throws<UsageException>(() => OutputFile.CheckWritable("", "--json"));
    }

    [Fact]
    public void AtomicWriteReplacesTheFileAndLeavesNoTempFile()
    {
        string path = Path.Combine(directory, "out.json");
        OutputFile.WriteAllText(path, "first");
        Assert.Equal("first", File.ReadAllText(path));
        OutputFile.WriteAllText(path, "second, longer");
        Assert.Equal("second, longer", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(directory));
    }

    [Fact]
    public void AtomicWriteThatThrowsLeavesTheOldFileIntactAndNoTempFile()
    {
        string path = Path.Combine(directory, "out.json");
        File.WriteAllText(path, "old contents");
        var e = Assert.Throws<InvalidOperationException>(() => OutputFile.Write(path, stream =>
        {
            var partial = Encoding.UTF8.GetBytes("{ \"half\": ");
            stream.Write(partial, 0, partial.Length);
            stream.Flush();
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("disk full", e.Message);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(directory));

        string fresh = Path.Combine(directory, "fresh.json");
        Assert.Throws<InvalidOperationException>(() => OutputFile.Write(fresh, _ => throw new InvalidOperationException()));
        Assert.False(File.Exists(fresh));
        Assert.Equal(new[] { path }, Directory.GetFiles(directory));
    }

    [Fact]
    public void NoCommandTrainsWithTheTrainOptions()
    {
        // Running it would train on MNIST (and could fetch it): the tests check the wiring, not the run.
        var root = Program.CreateRootCommand();
        var train = root.Subcommands.Single(c => c.Name == "train");
        Assert.Equal(train.Options.Select(o => o.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal) && n != "--help").Order(),
            root.Options.Select(o => o.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal) && n is not ("--version" or "--help")).Order());
        var help = Run("--help");
        Assert.Contains("With no command, trains", help.Out);
        var demo = Run("demo", "--steps", "7", "--schedule", "topdown", "--seed", "3", "--batch", "2", "--eta", "1");
        Assert.Equal(0, demo.Code);
        Assert.Contains("AR eta 1, 7 steps, TopDown schedule", demo.Out);
    }

    [Fact]
    public void FailuresThatAreNotUserErrorsAreOneLineAndExitOne()
    {
        var stderr = new StringWriter();
        int code = Program.Run(new[] { "demo", "--steps", "1" }, new FailingWriter(), stderr);
        Assert.Equal(1, code);
        var lines = Lines(stderr.ToString());
        Assert.StartsWith("symbolic: error: the output is gone", lines[0]);
        if (Environment.GetEnvironmentVariable("SYMBOLIC_DEBUG") != "1") Assert.Single(lines);
    }

    private sealed class FailingWriter : StringWriter
    {
        public override void Write(char value) => throw new IOException("the output is gone");

        public override void Write(string? value) => throw new IOException("the output is gone");

        public override void WriteLine(string? value) => throw new IOException("the output is gone");
    }
}
