using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using ScottPlot;
using SkiaSharp;
using Symbolic.Cli.CommandLine;

namespace Symbolic.Cli.Plots;

/// <summary>
/// One curve of a line chart: a legend label, x values and y values (typically the mean over seeds), and an optional
/// lower/upper band (typically the min/max over seeds). All given lists have the same length; NaN entries are skipped.
/// </summary>
/// <param name="Label">Legend text; also names the series in validation errors.</param>
/// <param name="X">X coordinates, one per point.</param>
/// <param name="Y">Y coordinates, one per point.</param>
/// <param name="Low">Lower edge of the shaded band, one per point, or <c>null</c> for no band.</param>
/// <param name="High">Upper edge of the shaded band, one per point, or <c>null</c> for no band.</param>
public sealed record PlotSeries(
    string Label,
    IReadOnlyList<double> X,
    IReadOnlyList<double> Y,
    IReadOnlyList<double>? Low = null,
    IReadOnlyList<double>? High = null);

/// <summary>A line chart: title, axis labels, the series to draw, and whether the y axis is log10-scaled.</summary>
/// <param name="Title">Chart title; must not be empty.</param>
/// <param name="XLabel">Label under the x axis.</param>
/// <param name="YLabel">Label beside the y axis.</param>
/// <param name="Series">Curves to draw, coloured in order from ScottPlot's default palette.</param>
/// <param name="LogY">Draw y on a log10 scale; non-positive y (and band) values are then skipped.</param>
/// <param name="LegendLowerRight">Put the legend in the lower right (for rising curves such as accuracy) instead of the upper right.</param>
public sealed record PlotSpec(string Title, string XLabel, string YLabel, IReadOnlyList<PlotSeries> Series, bool LogY = false, bool LegendLowerRight = false);

/// <summary>
/// Draws <see cref="PlotSpec"/> charts as PNG images with ScottPlot 5 (SkiaSharp, headless: no display needed).
/// </summary>
public static class LinePlot
{
    /// <summary>Width of one chart in pixels.</summary>
    public const int Width = 900;

    /// <summary>Height of one chart in pixels.</summary>
    public const int Height = 560;

    private const float MarkerSize = 5;
    private const float LineWidth = 2;
    private const double BandOpacity = 0.2;

    /// <summary>
    /// Renders the chart and writes it to <paramref name="path"/> atomically (<see cref="OutputFile.Write"/>: a temporary
    /// file in the same directory, which then replaces <paramref name="path"/>).
    /// </summary>
    /// <param name="spec">The chart.</param>
    /// <param name="path">Destination PNG file; an existing file is overwritten.</param>
    /// <exception cref="ArgumentException">The spec is invalid (empty title, mismatched series lengths).</exception>
    public static void Save(PlotSpec spec, string path) => WriteAtomically(path, RenderPng(spec));

    /// <summary>Renders the chart to the bytes of a <see cref="Width"/> x <see cref="Height"/> PNG image.</summary>
    /// <param name="spec">The chart.</param>
    /// <returns>The encoded PNG.</returns>
    /// <exception cref="ArgumentException">The spec is invalid (empty title, mismatched series lengths).</exception>
    public static byte[] RenderPng(PlotSpec spec)
    {
        var plot = BuildPlot(spec);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// Renders several charts stacked vertically into one PNG (each <see cref="Width"/> x <see cref="Height"/>, so the
    /// image is <see cref="Height"/> times the panel count tall), e.g. one panel per layer, and writes it atomically
    /// like <see cref="Save"/>.
    /// </summary>
    /// <param name="panels">The charts, top to bottom; at least one.</param>
    /// <param name="path">Destination PNG file; an existing file is overwritten.</param>
    /// <exception cref="ArgumentException">The list is empty or a panel is invalid.</exception>
    public static void SaveStacked(IReadOnlyList<PlotSpec> panels, string path)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("SaveStacked needs at least one panel.", nameof(panels));

        // Build (and so validate) every panel before allocating the surface or touching the file system.
        var plots = new Plot[panels.Count];
        for (int i = 0; i < panels.Count; i++) plots[i] = BuildPlot(panels[i]);

        using var surface = SKSurface.Create(new SKImageInfo(Width, Height * plots.Length))
            ?? throw new InvalidOperationException("SkiaSharp could not create a raster surface.");
        // Each panel is rendered to its own image first: Plot.Render(SKCanvas, PixelRect) clears the whole canvas, so
        // rendering panels side by side onto one canvas would leave only the last one.
        for (int i = 0; i < plots.Length; i++)
        {
            using var panel = SKBitmap.Decode(plots[i].GetImageBytes(Width, Height, ImageFormat.Png))
                ?? throw new InvalidOperationException("SkiaSharp could not decode a rendered panel.");
            surface.Canvas.DrawBitmap(panel, 0, Height * i);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, quality: 100);
        WriteAtomically(path, data.ToArray());
    }

    private static Plot BuildPlot(PlotSpec spec)
    {
        Validate(spec);
        EnsureFontsAvailable();
        var plot = new Plot();
        plot.Title(spec.Title);
        plot.XLabel(spec.XLabel);
        plot.YLabel(spec.YLabel);

        var logRange = new LogRange();
        for (int i = 0; i < spec.Series.Count; i++)
        {
            AddSeries(plot, spec.Series[i], plot.Add.Palette.GetColor(i), spec.LogY, logRange);
        }
        if (spec.LogY) UseLogTicks(plot, logRange);

        plot.ShowLegend(spec.LegendLowerRight ? Alignment.LowerRight : Alignment.UpperRight);
        return plot;
    }

    // ScottPlot 5 bundles no font: on a machine without any installed font SkiaSharp draws every label as nothing and
    // the chart silently loses its title, axes and legend text. An unlabelled chart is misleading, so fail instead.
    private static void EnsureFontsAvailable()
    {
        if (!FontsAvailable.Value)
        {
            throw new InvalidOperationException(
                "No font is installed, so plot text would not render; install one (e.g. apt-get install fonts-dejavu-core).");
        }
    }

    private static readonly Lazy<bool> FontsAvailable = new(() => SKTypeface.Default.ContainsGlyph('0'));

    private static void Validate(PlotSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec.Title)) throw new ArgumentException("Plot title must not be empty.", nameof(spec));
        ArgumentNullException.ThrowIfNull(spec.Series, nameof(spec.Series));
        foreach (var series in spec.Series)
        {
            if (series is null) throw new ArgumentException($"Plot '{spec.Title}' contains a null series.", nameof(spec));
            if (series.X is null || series.Y is null)
                throw new ArgumentException($"Series '{series.Label}': X and Y must not be null.", nameof(spec));
            if (series.X.Count != series.Y.Count)
                throw new ArgumentException($"Series '{series.Label}': X has {series.X.Count} values but Y has {series.Y.Count}.", nameof(spec));
            if ((series.Low is null) != (series.High is null))
                throw new ArgumentException($"Series '{series.Label}': give both Low and High for a band, or neither.", nameof(spec));
            if (series.Low is not null && series.High is not null
                && (series.Low.Count != series.X.Count || series.High.Count != series.X.Count))
            {
                throw new ArgumentException(
                    $"Series '{series.Label}': band lengths (Low {series.Low.Count}, High {series.High.Count}) must equal the {series.X.Count} X values.",
                    nameof(spec));
            }
        }
    }

    private static void AddSeries(Plot plot, PlotSeries series, Color color, bool logY, LogRange logRange)
    {
        if (series.Low is not null && series.High is not null)
        {
            var bandX = new List<double>();
            var bandLow = new List<double>();
            var bandHigh = new List<double>();
            for (int i = 0; i < series.X.Count; i++)
            {
                double x = series.X[i];
                if (!double.IsFinite(x) || !TryScale(series.Low[i], logY, out double low) || !TryScale(series.High[i], logY, out double high)) continue;
                bandX.Add(x);
                bandLow.Add(low);
                bandHigh.Add(high);
                logRange.Include(low);
                logRange.Include(high);
            }
            // FillY needs at least two points to enclose an area; a single point would have nothing to show.
            if (bandX.Count >= 2)
            {
                var band = plot.Add.FillY(bandX.ToArray(), bandLow.ToArray(), bandHigh.ToArray());
                band.FillColor = color.WithOpacity(BandOpacity);
                band.LineWidth = 0;
                band.MarkerSize = 0;
            }
        }

        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < series.X.Count; i++)
        {
            double x = series.X[i];
            if (!double.IsFinite(x) || !TryScale(series.Y[i], logY, out double y)) continue;
            xs.Add(x);
            ys.Add(y);
            logRange.Include(y);
        }
        // Added even when empty so the legend still lists the series (ScottPlot renders an empty scatter as nothing).
        var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
        line.LegendText = series.Label;
        line.LineWidth = LineWidth;
        line.MarkerSize = MarkerSize;
    }

    /// <summary>Maps a data value into plot coordinates; false for values that cannot be drawn (NaN, infinite, or &lt;= 0 on a log axis).</summary>
    private static bool TryScale(double value, bool logY, out double scaled)
    {
        scaled = value;
        if (!double.IsFinite(value)) return false;
        if (!logY) return true;
        if (value <= 0) return false;
        scaled = Math.Log10(value);
        return true;
    }

    // ScottPlot 5 has no log axis: data is plotted as log10(y) and the tick labels undo the transform.
    private static void UseLogTicks(Plot plot, LogRange range)
    {
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = FormatPowerOfTen };
        // Decade-only ticks need at least two decades inside the data, otherwise the axis would show 0 or 1 labels.
        if (range.DecadesInside >= 2)
        {
            ticks.IntegerTicksOnly = true;
            ticks.MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator();
            plot.Grid.MinorLineWidth = 1;
            plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        }
        plot.Axes.Left.TickGenerator = ticks;
    }

    private static string FormatPowerOfTen(double exponent)
    {
        double rounded = Math.Round(exponent);
        bool isDecade = Math.Abs(exponent - rounded) < 1e-9;
        if (isDecade && Math.Abs(rounded) > 4) return "1e" + rounded.ToString("0", CultureInfo.InvariantCulture);
        return Math.Pow(10, exponent).ToString("G3", CultureInfo.InvariantCulture);
    }

    private static void WriteAtomically(string path, byte[] bytes) => OutputFile.Write(path, stream => stream.Write(bytes));

    /// <summary>Min/max of the plotted (log10) y values, to decide whether decade ticks will be readable.</summary>
    private sealed class LogRange
    {
        private double min = double.PositiveInfinity;
        private double max = double.NegativeInfinity;

        public void Include(double value)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        public double DecadesInside => max >= min ? Math.Floor(max) - Math.Ceiling(min) + 1 : 0;
    }
}
