using System;
using System.IO;
using System.Linq;
using Symbolic.Cli.Plots;
using Xunit;

namespace Symbolic.PropertyTests.Cli;

/// <summary>
/// <see cref="LinePlot"/> renders real PNGs headless (size read back from the IHDR chunk), writes files atomically,
/// tolerates NaN and non-positive values on a log axis, and rejects inconsistent series with the label in the message.
/// </summary>
public sealed class LinePlotTests : IDisposable
{
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    private readonly string directory = Path.Combine(Path.GetTempPath(), "symbolic-lineplot-tests-" + Guid.NewGuid().ToString("N"));

    public LinePlotTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static readonly double[] Epochs = Enumerable.Range(1, 10).Select(e => (double)e).ToArray();

    private static PlotSpec AccuracySpec(string title = "test accuracy", bool logY = false)
    {
        var mean = Epochs.Select(e => 1 - Math.Exp(-0.4 * e)).ToArray();
        var series = new PlotSeries("mlp", Epochs, mean, mean.Select(v => v - 0.02).ToArray(), mean.Select(v => v + 0.02).ToArray());
        var baseline = new PlotSeries("baseline", Epochs, Epochs.Select(_ => 0.5).ToArray());
        return new PlotSpec(title, "epoch", "accuracy", new[] { series, baseline }, logY);
    }

    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 24, "PNG is too short to hold an IHDR chunk");
        Assert.Equal(PngSignature, png.Take(8).ToArray());
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (ReadBigEndian(png, 16), ReadBigEndian(png, 20));
    }

    private static int ReadBigEndian(byte[] bytes, int offset) =>
        (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];

    [Fact]
    public void RenderPng_returns_a_png_of_the_declared_size()
    {
        var (width, height) = PngSize(LinePlot.RenderPng(AccuracySpec()));
        Assert.Equal(LinePlot.Width, width);
        Assert.Equal(LinePlot.Height, height);
        Assert.Equal(900, width);
        Assert.Equal(560, height);
    }

    [Fact]
    public void SaveStacked_stacks_panels_vertically()
    {
        string path = Path.Combine(directory, "stacked.png");
        LinePlot.SaveStacked(new[] { AccuracySpec("layer 1"), AccuracySpec("layer 2"), AccuracySpec("layer 3", logY: true) }, path);

        var (width, height) = PngSize(File.ReadAllBytes(path));
        Assert.Equal(900, width);
        Assert.Equal(3 * 560, height);
    }

    [Fact]
    public void SaveStacked_rejects_an_empty_list()
    {
        Assert.Throws<ArgumentException>(() => LinePlot.SaveStacked(Array.Empty<PlotSpec>(), Path.Combine(directory, "empty.png")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public void Save_overwrites_atomically_without_leftover_temp_files()
    {
        string path = Path.Combine(directory, "chart.png");
        File.WriteAllText(path, "not a png");

        LinePlot.Save(AccuracySpec(), path);

        Assert.Equal(PngSignature, File.ReadAllBytes(path).Take(8).ToArray());
        Assert.Equal(new[] { path }, Directory.GetFiles(directory));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public void Save_of_an_invalid_spec_leaves_the_existing_file_alone()
    {
        string path = Path.Combine(directory, "chart.png");
        File.WriteAllText(path, "previous");

        Assert.Throws<ArgumentException>(() => LinePlot.Save(AccuracySpec(title: ""), path));

        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public void NaN_values_are_skipped()
    {
        var ys = new[] { 0.1, double.NaN, 0.3, 0.4, double.NaN };
        var xs = new[] { 1.0, 2.0, double.NaN, 4.0, 5.0 };
        var allNaN = Enumerable.Repeat(double.NaN, 5).ToArray();
        var spec = new PlotSpec("nan", "x", "y", new[]
        {
            new PlotSeries("holes", xs, ys, ys.Select(v => v - 0.05).ToArray(), ys.Select(v => v + 0.05).ToArray()),
            new PlotSeries("all nan", xs, allNaN, allNaN, allNaN),
        });

        var (width, height) = PngSize(LinePlot.RenderPng(spec));
        Assert.Equal((900, 560), (width, height));
    }

    [Fact]
    public void Log_scale_skips_zeros_and_negatives()
    {
        var xs = new[] { 0.0, 1.0, 2.0, 3.0, 4.0 };
        var loss = new[] { 0.0, 2.3, -1.0, 0.01, 1e-6 };
        var spec = new PlotSpec("loss", "step", "loss", new[]
        {
            new PlotSeries("train", xs, loss, new[] { 0.0, 1.0, 0.0, 0.005, double.NaN }, new[] { 1.0, 3.0, 0.0, 0.02, 1e-5 }),
            new PlotSeries("only zeros", xs, new double[5]),
        }, LogY: true);

        PngSize(LinePlot.RenderPng(spec));
    }

    [Fact]
    public void Empty_series_and_empty_series_list_render()
    {
        PngSize(LinePlot.RenderPng(new PlotSpec("empty series", "x", "y", new[] { new PlotSeries("nothing", Array.Empty<double>(), Array.Empty<double>()) })));
        PngSize(LinePlot.RenderPng(new PlotSpec("no series", "x", "y", Array.Empty<PlotSeries>(), LogY: true)));
    }

    [Fact]
    public void Mismatched_x_and_y_lengths_throw_naming_the_series()
    {
        var spec = new PlotSpec("t", "x", "y", new[] { new PlotSeries("short-y-series", new[] { 1.0, 2.0, 3.0 }, new[] { 1.0, 2.0 }) });
        var error = Assert.Throws<ArgumentException>(() => LinePlot.RenderPng(spec));
        Assert.Contains("short-y-series", error.Message);
    }

    [Fact]
    public void Mismatched_band_lengths_throw_naming_the_series()
    {
        var xs = new[] { 1.0, 2.0, 3.0 };
        var spec = new PlotSpec("t", "x", "y", new[] { new PlotSeries("bad-band", xs, xs, Low: new[] { 0.0, 1.0 }, High: xs) });
        var error = Assert.Throws<ArgumentException>(() => LinePlot.RenderPng(spec));
        Assert.Contains("bad-band", error.Message);
    }

    [Fact]
    public void Empty_title_throws()
    {
        var error = Assert.Throws<ArgumentException>(() => LinePlot.RenderPng(AccuracySpec(title: " ")));
        Assert.Contains("title", error.Message);
    }

    [Fact]
    public void Different_specs_give_different_images()
    {
        byte[] linear = LinePlot.RenderPng(AccuracySpec());
        byte[] logarithmic = LinePlot.RenderPng(AccuracySpec(logY: true));
        byte[] retitled = LinePlot.RenderPng(AccuracySpec(title: "validation accuracy"));

        // Rendering is deterministic, so the inequalities below are due to the specs and not to noise.
        Assert.Equal(linear, LinePlot.RenderPng(AccuracySpec()));
        Assert.NotEqual(linear, logarithmic);
        Assert.NotEqual(linear, retitled);
    }
}
