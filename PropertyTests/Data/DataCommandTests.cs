using System;
using System.IO;
using System.Linq;
using Symbolic.Cli;
using Symbolic.Cli.Data;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Data;

/// <summary>
/// <c>symbolic data</c> through <see cref="Program.Run"/>, always with <c>--data</c> (so nothing is fetched): help,
/// one-line usage errors with exit code 2 for bad options and for unusable or wrong files, and the summary line.
/// </summary>
public sealed class DataCommandTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "symbolic-data-cli-" + Guid.NewGuid().ToString("N"));

    public DataCommandTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("data --help")]
    [InlineData("help data")]
    [InlineData("data -h")]
    public void HelpShowsTheOptions(string args)
    {
        var (code, output, error) = Run(args.Split(' '));
        Assert.Equal((0, ""), (code, error));
        foreach (var word in new[] { "symbolic data [options]", "--dataset", "mnist|fashion-mnist|kmnist|cifar10|all", "[default: all]", "--data", "DIR", "SYMBOLIC_DATA" }) Assert.Contains(word, output);
        Assert.Contains("data", Run("--help").Out);
    }

    [Fact]
    public void BadOptionsAndFoldersAreOneLineErrors()
    {
        string missing = Path.Combine(directory, "nowhere");
        var tiny = IdxBytes.Tiny();
        string mnistDir = Path.Combine(directory, "copy");
        tiny.WriteTo(Path.Combine(mnistDir, "mnist"), gzip: true);
        foreach (var (args, expected) in new[]
        {
            (new[] { "data", "--dataset", "cifar" }, "--dataset must be mnist or fashion-mnist or kmnist or cifar10 or all, not 'cifar'"),
            (new[] { "data", "--data" }, "--data"),
            (new[] { "data", "--data", missing }, $"--data '{missing}' does not exist"),
            (new[] { "data", "--data", " " }, "--data needs a folder"),
            (new[] { "data", "--bogus" }, "'--bogus'"),
            (new[] { "data", "--dataset", "fashion-mnist", "--data", mnistDir }, "--data '" + mnistDir + "': Fashion-MNIST's train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte are missing"),
            (new[] { "data", "--dataset", "mnist", "--data", mnistDir },
                $"--data: '{Path.Combine(mnistDir, "mnist", "train-images-idx3-ubyte.gz")}': SHA-256 of the decompressed bytes is {tiny.Spec.Train.Images.Sha256}, expected {KnownDatasets.Mnist.Train.Images.Sha256} (it is not MNIST's train-images-idx3-ubyte, or it is damaged)"),
        })
        {
            var (code, output, error) = Run(args);
            Assert.Equal(2, code);
            Assert.Equal("", output);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("symbolic: ", line);
            Assert.Contains(expected, line);
            Assert.EndsWith("run 'symbolic data --help' for the options", line.TrimEnd('\r'));
        }
    }

    [Fact]
    public void TheSummarySaysCountsShapeChecksumsAndWhere()
    {
        var tiny = IdxBytes.Tiny();
        string dir = Path.Combine(directory, "tiny");
        tiny.WriteTo(dir);
        var loaded = DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, dir);
        string summary = DataCommand.Summary(loaded with { Elapsed = TimeSpan.FromSeconds(0.3) });
        Assert.Equal($"tiny: 12 train + 5 test images of 3x4, 10 classes; sha256 OK (4 files); in '{dir}' (--data, 0.3 s)", summary);
    }
}
