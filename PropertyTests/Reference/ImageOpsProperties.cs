using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Rules.Ops;
using Xunit;
using ConvolutionKernels = Symbolic.Rules.Kernels.Convolution;

namespace Symbolic.PropertyTests.Reference;

/// <summary>
/// The image ops (issue 17's first pieces): the float64 reference's VJPs against finite differences, and the compiled
/// kernels (im2col + Gemm, pooling with argmax) against the reference on random geometries with odd sizes, strides and
/// paddings, in float64 and float32. SYMBOLIC_PROPERTY_RUNS raises the cases.
/// </summary>
[Collection("Kernels")]
public class ImageOpsProperties
{
    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    private static ImageGeometry RandomConvolution(Random r)
    {
        while (true)
        {
            var g = new ImageGeometry(r.Next(1, 4), r.Next(1, 10), r.Next(1, 10), r.Next(1, 5), r.Next(1, 5), r.Next(1, 4), r.Next(0, 3));
            if (g.Height + 2 * g.Padding >= g.WindowHeight && g.Width + 2 * g.Padding >= g.WindowWidth) return g;
        }
    }

    private static ImageGeometry RandomPool(Random r)
    {
        while (true)
        {
            var g = new ImageGeometry(r.Next(1, 4), r.Next(1, 10), r.Next(1, 10), r.Next(1, 4), r.Next(1, 4), r.Next(1, 4));
            if (g.Height >= g.WindowHeight && g.Width >= g.WindowWidth) return g;
        }
    }

    /// <summary>The graph arbitrary's image recipes reach every image op, in shared and fresh kernels, so the engine properties run on CNNs.</summary>
    [Fact]
    public void Random_image_graphs_use_every_image_op()
    {
        var cases = FsCheck.Fluent.Gen.Sample(Symbolic.PropertyTests.Arbitraries.GraphArbitraries.ImageRecipes, 200).Select(Symbolic.PropertyTests.Arbitraries.RecipeBuilder.Build).ToArray();
        var ops = cases.SelectMany(c => c.Graph.Nodes.Select(n => n.Op)).ToHashSet();
        foreach (var op in new[] { Symbolic.Graph.OpKind.Conv2d, Symbolic.Graph.OpKind.ChannelBiasAdd, Symbolic.Graph.OpKind.MaxPool, Symbolic.Graph.OpKind.AvgPool, Symbolic.Graph.OpKind.Flatten, Symbolic.Graph.OpKind.Kernel })
        {
            Assert.Contains(op, ops);
        }
        Assert.Contains(cases, c => c.Graph.Nodes.Any(n => n.Op == Symbolic.Graph.OpKind.Conv2d && n.IntConstant(0) == 2));
        Assert.Contains(cases, c => c.Graph.Nodes.Any(n => n.Op == Symbolic.Graph.OpKind.Conv2d && n.IntConstant(1) == 1));
        Assert.Contains(cases, c => c.Graph.Nodes.Any(n => n.Op == Symbolic.Graph.OpKind.Concat && n.Shape.Rank == 3));
        Assert.Contains(cases, c => c.Graph.Nodes.Any(n => n.Op == Symbolic.Graph.OpKind.Add && n.Shape.Rank == 3));
        // A kernel used by two convolutions (shared weights in a CNN).
        Assert.Contains(cases, c => c.Graph.Nodes.Any(n => n.Op == Symbolic.Graph.OpKind.Kernel && c.Graph.Children[n.Id].Count > 1));
    }

    private static Matrix<double> Random(Random r, int rows, int cols) => Matrix<double>.Build.Dense(rows, cols, (_, _) => r.NextDouble() * 2 - 1);

    private static double[] SampleMajor(Matrix<double> m) => Enumerable.Range(0, m.ColumnCount).SelectMany(s => m.Column(s).ToArray()).ToArray();

    private static double[] RowMajor(Matrix<double> m) => Enumerable.Range(0, m.RowCount).SelectMany(i => m.Row(i).ToArray()).ToArray();

    private static void Close(double[] expected, double[] got, double tolerance, string what)
    {
        Assert.Equal(expected.Length, got.Length);
        double scale = Math.Max(1, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) <= tolerance * scale, $"{what}: element {i} is {got[i]}, expected {expected[i]}");
    }

    /// <summary>Each reference VJP is the gradient of ⟨w, op(·)⟩ by central differences, at random entries.</summary>
    [Fact]
    public void ReferenceVjpsMatchFiniteDifferences()
    {
        var r = new Random(17);
        for (int run = 0; run < Runs(40); run++)
        {
            var g = RandomConvolution(r);
            int outputs = r.Next(1, 4), batch = r.Next(1, 3);
            var x = Random(r, g.InputSize, batch);
            var k = Random(r, outputs, g.PatchSize);
            var w = Random(r, outputs * g.OutputPositions, batch);
            double Loss(Matrix<double> input, Matrix<double> kernel) => ReferenceImageOps.Conv2d(input, kernel, g).PointwiseMultiply(w).Enumerate().Sum();
            var dx = ReferenceImageOps.Conv2dInputVjp(w, k, g, batch);
            var dk = ReferenceImageOps.Conv2dKernelVjp(w, x, g, outputs);
            const double h = 1e-6;
            for (int t = 0; t < 4; t++)
            {
                int i = r.Next(g.InputSize), s = r.Next(batch);
                var plus = x.Clone(); plus[i, s] += h;
                var minus = x.Clone(); minus[i, s] -= h;
                Assert.Equal((Loss(plus, k) - Loss(minus, k)) / (2 * h), dx[i, s], 6);
                int o = r.Next(outputs), q = r.Next(g.PatchSize);
                var kp = k.Clone(); kp[o, q] += h;
                var km = k.Clone(); km[o, q] -= h;
                Assert.Equal((Loss(x, kp) - Loss(x, km)) / (2 * h), dk[o, q], 6);
            }

            var p = RandomPool(r);
            var xp = Random(r, p.InputSize, batch);
            var wp = Random(r, p.Channels * p.OutputPositions, batch);
            var dmax = ReferenceImageOps.MaxPoolVjp(wp, xp, p);
            var davg = ReferenceImageOps.AvgPoolVjp(wp, xp, p);
            for (int t = 0; t < 4; t++)
            {
                int i = r.Next(p.InputSize), s = r.Next(batch);
                var plus = xp.Clone(); plus[i, s] += h;
                var minus = xp.Clone(); minus[i, s] -= h;
                Assert.Equal((ReferenceImageOps.AvgPool(plus, p).PointwiseMultiply(wp).Enumerate().Sum() - ReferenceImageOps.AvgPool(minus, p).PointwiseMultiply(wp).Enumerate().Sum()) / (2 * h), davg[i, s], 6);
                // Random values have no ties, so max-pooling is differentiable at them.
                Assert.Equal((ReferenceImageOps.MaxPool(plus, p).PointwiseMultiply(wp).Enumerate().Sum() - ReferenceImageOps.MaxPool(minus, p).PointwiseMultiply(wp).Enumerate().Sum()) / (2 * h), dmax[i, s], 6);
            }
        }
    }

    /// <summary>The kernels (im2col and Gemm for the convolution and its VJPs, pooling with argmax) equal the reference.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KernelsMatchTheReference(bool float32)
    {
        var r = new Random(float32 ? 5 : 6);
        double tolerance = float32 ? 2e-5 : 1e-12;
        for (int run = 0; run < Runs(60); run++)
        {
            var g = RandomConvolution(r);
            // Batches past 16 samples run the convolutions in several chunks, the last one partial.
            int outputs = r.Next(1, 20), batch = r.Next(4) == 0 ? r.Next(17, 40) : r.Next(1, 4);
            var x = Random(r, g.InputSize, batch);
            var k = Random(r, outputs, g.PatchSize);
            var c = Random(r, outputs * g.OutputPositions, batch);
            var expectedOut = SampleMajor(ReferenceImageOps.Conv2d(x, k, g));
            var expectedDx = SampleMajor(ReferenceImageOps.Conv2dInputVjp(c, k, g, batch));
            var expectedDk = RowMajor(ReferenceImageOps.Conv2dKernelVjp(c, x, g, outputs)).Select(v => -0.5 * v).ToArray();
            // Square windows: the generated code's max-pooling (Lowered) takes one window size, as declarations do.
            var p = RandomPool(r);
            p = p with { WindowWidth = Math.Min(p.WindowHeight, p.Width), WindowHeight = Math.Min(p.WindowHeight, p.Width) };
            var xp = Random(r, p.InputSize, batch);
            var cp = Random(r, p.Channels * p.OutputPositions, batch);
            var expectedMax = SampleMajor(ReferenceImageOps.MaxPool(xp, p));
            var expectedAvg = SampleMajor(ReferenceImageOps.AvgPool(xp, p));
            var expectedMaxVjp = SampleMajor(ReferenceImageOps.MaxPoolVjp(cp, xp, p));
            var expectedAvgVjp = SampleMajor(ReferenceImageOps.AvgPoolVjp(cp, xp, p));
            if (float32)
            {
                var got = Run<float>(g, p, outputs, batch, x, k, c, xp, cp);
                Compare(got.Select(a => a.Select(v => (double)v).ToArray()).ToArray());
            }
            else
            {
                Compare(Run<double>(g, p, outputs, batch, x, k, c, xp, cp));
            }

            void Compare(double[][] got)
            {
                Close(expectedOut, got[0], tolerance, $"conv {g} forward");
                Close(expectedDx, got[1], tolerance, $"conv {g} input VJP");
                Close(expectedDk, got[2], tolerance, $"conv {g} kernel VJP (scaled -0.5)");
                Close(expectedMax, got[3], tolerance, $"max-pool {p}");
                Close(expectedMaxVjp, got[4], tolerance, $"max-pool {p} VJP");
                Close(expectedAvg, got[5], tolerance, $"avg-pool {p}");
                Close(expectedAvgVjp, got[6], tolerance, $"avg-pool {p} VJP");
            }
        }
    }

    /// <summary>
    /// The direct image VJP (float, stride 1, full chunks of 16 samples: a 6-channel x 4-column register tile over
    /// zero-margined cotangent rows) equals the reference and the patch route it replaces, on geometries that exercise
    /// both tiles, the last column tile's overhang, paddings and kernels wider than the output, accumulating into a
    /// non-zero target, with the batch's last chunk partial (which takes the patch route).
    /// </summary>
    [Fact]
    public void The_direct_image_vjp_equals_the_reference_and_the_patch_route()
    {
        var r = new Random(17);
        int direct = 0;
        for (int run = 0; run < Runs(80); run++)
        {
            var g = new ImageGeometry(r.Next(1, 14), r.Next(1, 13), r.Next(1, 13), r.Next(1, 6), r.Next(1, 6), 1, r.Next(0, 3));
            if (g.Height + 2 * g.Padding < g.WindowHeight || g.Width + 2 * g.Padding < g.WindowWidth) continue;
            int outputs = r.Next(1, 18), batch = new[] { 16, 32, 35 }[r.Next(3)];
            if (!ConvolutionKernels.TakesDirectInputVjp<float>(g, outputs, batch)) continue;
            direct++;
            var k = Random(r, outputs, g.PatchSize);
            var c = Random(r, outputs * g.OutputPositions, batch);
            var expected = SampleMajor(ReferenceImageOps.Conv2dInputVjp(c, k, g, batch));
            var kernel = RowMajor(k).Select(v => (float)v).ToArray();
            var cotangent = SampleMajor(c).Select(v => (float)v).ToArray();
            float[] Vjp(bool directPath)
            {
                var workspace = new float[ConvolutionKernels.WorkspaceLength(g, outputs, batch)];
                // Garbage in the workspace: the direct path must not read what it did not write.
                Array.Fill(workspace, float.NaN);
                var dx = Enumerable.Repeat(1f, batch * g.InputSize).ToArray();
                bool before = ConvolutionKernels.DirectInputVjp;
                ConvolutionKernels.DirectInputVjp = directPath;
                try
                {
                    ConvolutionKernels.InputVjp<float>(cotangent, kernel, dx, outputs, g, batch, workspace, true);
                }
                finally
                {
                    ConvolutionKernels.DirectInputVjp = before;
                }
                return dx.Select(v => v - 1f).ToArray();
            }
            var viaDirect = Vjp(true);
            Close(expected, viaDirect.Select(v => (double)v).ToArray(), 2e-5, $"direct image VJP {g}, {outputs} outputs, batch {batch}");
            Close(Vjp(false).Select(v => (double)v).ToArray(), viaDirect.Select(v => (double)v).ToArray(), 2e-5, $"direct against patch route {g}");
        }
        Assert.True(direct >= 20, $"only {direct} geometries took the direct path");
    }

    private static T[][] Run<T>(ImageGeometry g, ImageGeometry p, int outputs, int batch, Matrix<double> x, Matrix<double> k, Matrix<double> c, Matrix<double> xp, Matrix<double> cp)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        static T[] Of(double[] values) => values.Select(T.CreateChecked).ToArray();
        var input = Of(SampleMajor(x));
        var kernel = Of(RowMajor(k));
        var cotangent = Of(SampleMajor(c));
        var cols = new T[ConvolutionKernels.WorkspaceLength(g, outputs, batch)];
        var output = new T[batch * outputs * g.OutputPositions];
        ConvolutionKernels.Forward<T>(input, kernel, output, outputs, g, batch, cols, false);
        // Accumulating into a non-zero target must add: start the input VJP's target at 1 and subtract it after.
        var dx = Enumerable.Repeat(T.One, batch * g.InputSize).ToArray();
        ConvolutionKernels.InputVjp<T>(cotangent, kernel, dx, outputs, g, batch, cols, true);
        for (int i = 0; i < dx.Length; i++) dx[i] -= T.One;
        var dk = new T[outputs * g.PatchSize];
        ConvolutionKernels.KernelVjp<T>(cotangent, input, dk, outputs, g, batch, cols, T.CreateChecked(-0.5), false);
        var pin = Of(SampleMajor(xp));
        var pc = Of(SampleMajor(cp));
        int outSize = p.Channels * p.OutputPositions;
        var max = new T[batch * outSize];
        Symbolic.Rules.Kernels.Lowered.MaxPool<T>(pin, max, batch, p.Channels, p.Height, p.Width, p.WindowHeight, p.Stride);
        var maxVjp = new T[batch * p.InputSize];
        Symbolic.Rules.Kernels.Lowered.MaxPoolInput<T>(pc, pin, maxVjp, false, batch, p.Channels, p.Height, p.Width, p.WindowHeight, p.Stride);
        var avg = new T[batch * outSize];
        ConvolutionKernels.AvgPool<T>(pin, avg, p, batch);
        var avgVjp = new T[batch * p.InputSize];
        ConvolutionKernels.AvgPoolVjp<T>(pc, avgVjp, p, batch, false);
        return new[] { output, dx, dk, max, maxVjp, avg, avgVjp };
    }

    /// <summary>
    /// The generated code's pooling entry points (four 2 x 2 windows at a time in float, branch-free 2 x 2 windows, the general loop otherwise) equal the reference on
    /// images full of ties (values from {0, 1, 2}, as saturated tanh units give exactly 1 in float32): the first maximum wins.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoweredPoolingMatchesTheReferenceOnTies(bool float32)
    {
        var r = new Random(float32 ? 18 : 17);
        for (int run = 0; run < Runs(80); run++)
        {
            // Every third run is the paper's 2 x 2 window at stride 2, wide enough for the four-window float path and its tail.
            bool paperPool = run % 3 == 0;
            int window = paperPool ? 2 : r.Next(1, 4), stride = paperPool ? 2 : r.Next(1, 3), channels = r.Next(1, 4), batch = r.Next(1, 4);
            int height = r.Next(window, 9), width = r.Next(window, 21);
            // Every sixth run tiles its planes with quads exactly (the float path that writes the target without clearing it).
            if (run % 6 == 0) (height, width) = (2 * r.Next(1, 5), 8 * r.Next(1, 4));
            var g = new ImageGeometry(channels, height, width, window, window, stride);
            var input = Matrix<double>.Build.Dense(g.InputSize, batch, (_, _) => r.Next(3));
            var cotangent = Matrix<double>.Build.Dense(channels * g.OutputPositions, batch, (_, _) => r.NextDouble() * 2 - 1);
            var x = Enumerable.Range(0, batch).SelectMany(s => input.Column(s)).ToArray();
            var c = Enumerable.Range(0, batch).SelectMany(s => cotangent.Column(s)).ToArray();
            // Accumulating must add: the VJP's target starts at 1 and is checked as 1 + the reference.
            var (value, back) = float32 ? Pool<float>(x, c) : Pool<double>(x, c);
            var expectedValue = ReferenceImageOps.MaxPool(input, g);
            var expectedBack = ReferenceImageOps.MaxPoolVjp(cotangent, input, g);
            double tolerance = float32 ? 1e-6 : 1e-12;
            for (int s = 0; s < batch; s++)
            {
                for (int i = 0; i < c.Length / batch; i++) Assert.Equal(expectedValue[i, s], value[s * (c.Length / batch) + i]);
                for (int i = 0; i < g.InputSize; i++) Assert.True(Math.Abs(1 + expectedBack[i, s] - back[s * g.InputSize + i]) < tolerance, $"{g} batch {batch}: VJP at {i} of sample {s}");
            }

            (double[] Value, double[] Back) Pool<T>(double[] xs, double[] cs) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
            {
                var xt = xs.Select(T.CreateChecked).ToArray();
                var ct = cs.Select(T.CreateChecked).ToArray();
                var v = new T[ct.Length];
                var b = Enumerable.Repeat(T.One, xt.Length).ToArray();
                Symbolic.Rules.Kernels.Lowered.MaxPool<T>(xt, v, batch, channels, height, width, window, stride);
                Symbolic.Rules.Kernels.Lowered.MaxPoolInput<T>(ct, xt, b, true, batch, channels, height, width, window, stride);
                // Not accumulating, into garbage: every input value is written, the cotangent or 0.
                var fresh = Enumerable.Repeat(T.NaN, xt.Length).ToArray();
                Symbolic.Rules.Kernels.Lowered.MaxPoolInput<T>(ct, xt, fresh, false, batch, channels, height, width, window, stride);
                for (int i = 0; i < fresh.Length; i++) Assert.True(Math.Abs(double.CreateChecked(b[i]) - 1 - double.CreateChecked(fresh[i])) < 1e-6, $"{g}: the VJP into a fresh target at {i} is {fresh[i]}");
                return (v.Select(double.CreateChecked).ToArray(), b.Select(double.CreateChecked).ToArray());
            }
        }
    }

    /// <summary>A window that does not fit, a negative padding, a pooling padding and short buffers are clear errors.</summary>
    [Fact]
    public void BadGeometriesAndBuffersAreClearErrors()
    {
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => new ImageGeometry(1, 3, 3, 5, 5).Validate()).Message);
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => new ImageGeometry(1, 3, 3, 2, 2, 1, -1).Validate()).Message);
        var g = new ImageGeometry(2, 5, 5, 3, 3);
        Assert.Contains("workspace", Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.Forward<float>(new float[50], new float[18], new float[9], 1, g, 1, new float[3], false)).Message);
        Assert.Contains("no padding", Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.AvgPool<float>(new float[50], new float[50], g with { Padding = 1 }, 1)).Message);
    }
}
