using System;
using MathNet.Numerics.LinearAlgebra;

namespace Symbolic.Rules.Ops;

/// <summary>
/// The float64 reference of the image ops, by direct loops over the definitions (the oracle of the compiled kernels in
/// <see cref="Kernels.Convolution"/>, which unfold and multiply instead): values are (size × batch) matrices, one column
/// per sample holding its (channel, row, column) values row-major; a kernel is (out channels × C·KH·KW), row-major
/// (out, in, ky, kx).
/// </summary>
public static class ReferenceImageOps
{
    /// <summary>out[o, y, x] = Σ_{c, ky, kx} K[o, c, ky, kx] in[c, y·s − p + ky, x·s − p + kx] (zero outside the image).</summary>
    public static Matrix<double> Conv2d(Matrix<double> input, Matrix<double> kernel, ImageGeometry g)
    {
        Check(input, kernel, g);
        int outputs = kernel.RowCount, oh = g.OutputHeight, ow = g.OutputWidth;
        var result = Matrix<double>.Build.Dense(outputs * oh * ow, input.ColumnCount);
        for (int s = 0; s < input.ColumnCount; s++)
        {
            for (int o = 0; o < outputs; o++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        double sum = 0;
                        ForWindow(g, y, x, (c, ky, kx, index) => sum += kernel[o, (c * g.WindowHeight + ky) * g.WindowWidth + kx] * input[index, s]);
                        result[(o * oh + y) * ow + x, s] = sum;
                    }
                }
            }
        }
        return result;
    }

    /// <summary>The VJP of <see cref="Conv2d"/> to its input: every input value receives K times the cotangents of the outputs it feeds.</summary>
    public static Matrix<double> Conv2dInputVjp(Matrix<double> cotangent, Matrix<double> kernel, ImageGeometry g, int batch)
    {
        int outputs = kernel.RowCount, oh = g.OutputHeight, ow = g.OutputWidth;
        var result = Matrix<double>.Build.Dense(g.InputSize, batch);
        for (int s = 0; s < batch; s++)
        {
            for (int o = 0; o < outputs; o++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        double c0 = cotangent[(o * oh + y) * ow + x, s];
                        ForWindow(g, y, x, (c, ky, kx, index) => result[index, s] += kernel[o, (c * g.WindowHeight + ky) * g.WindowWidth + kx] * c0);
                    }
                }
            }
        }
        return result;
    }

    /// <summary>The VJP of <see cref="Conv2d"/> to its kernel, summed over the batch.</summary>
    public static Matrix<double> Conv2dKernelVjp(Matrix<double> cotangent, Matrix<double> input, ImageGeometry g, int outputs)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var result = Matrix<double>.Build.Dense(outputs, g.PatchSize);
        for (int s = 0; s < input.ColumnCount; s++)
        {
            for (int o = 0; o < outputs; o++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        double c0 = cotangent[(o * oh + y) * ow + x, s];
                        ForWindow(g, y, x, (c, ky, kx, index) => result[o, (c * g.WindowHeight + ky) * g.WindowWidth + kx] += input[index, s] * c0);
                    }
                }
            }
        }
        return result;
    }

    /// <summary>Max-pooling per channel (no padding); ties go to the first maximum in row-major window order.</summary>
    public static Matrix<double> MaxPool(Matrix<double> input, ImageGeometry g) => Pool(input, g, max: true);

    /// <summary>Average-pooling per channel (no padding).</summary>
    public static Matrix<double> AvgPool(Matrix<double> input, ImageGeometry g) => Pool(input, g, max: false);

    /// <summary>The VJP of <see cref="MaxPool"/>: each output's cotangent goes to the input value that was its maximum.</summary>
    public static Matrix<double> MaxPoolVjp(Matrix<double> cotangent, Matrix<double> input, ImageGeometry g) => PoolVjp(cotangent, input, g, max: true);

    /// <summary>The VJP of <see cref="AvgPool"/>: each output's cotangent spread evenly over its window.</summary>
    public static Matrix<double> AvgPoolVjp(Matrix<double> cotangent, Matrix<double> input, ImageGeometry g) => PoolVjp(cotangent, input, g, max: false);

    private static Matrix<double> Pool(Matrix<double> input, ImageGeometry g, bool max)
    {
        CheckPool(input, g);
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var result = Matrix<double>.Build.Dense(g.Channels * oh * ow, input.ColumnCount);
        for (int s = 0; s < input.ColumnCount; s++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        int best = Argmax(input, s, g, c, y, x);
                        result[(c * oh + y) * ow + x, s] = max ? input[best, s] : WindowSum(input, s, g, c, y, x) / (g.WindowHeight * g.WindowWidth);
                    }
                }
            }
        }
        return result;
    }

    private static Matrix<double> PoolVjp(Matrix<double> cotangent, Matrix<double> input, ImageGeometry g, bool max)
    {
        CheckPool(input, g);
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var result = Matrix<double>.Build.Dense(g.InputSize, input.ColumnCount);
        for (int s = 0; s < input.ColumnCount; s++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int x = 0; x < ow; x++)
                    {
                        double c0 = cotangent[(c * oh + y) * ow + x, s];
                        if (max)
                        {
                            result[Argmax(input, s, g, c, y, x), s] += c0;
                            continue;
                        }
                        for (int ky = 0; ky < g.WindowHeight; ky++)
                        {
                            for (int kx = 0; kx < g.WindowWidth; kx++) result[(c * g.Height + y * g.Stride + ky) * g.Width + x * g.Stride + kx, s] += c0 / (g.WindowHeight * g.WindowWidth);
                        }
                    }
                }
            }
        }
        return result;
    }

    private static int Argmax(Matrix<double> input, int s, ImageGeometry g, int c, int y, int x)
    {
        int best = -1;
        for (int ky = 0; ky < g.WindowHeight; ky++)
        {
            for (int kx = 0; kx < g.WindowWidth; kx++)
            {
                int index = (c * g.Height + y * g.Stride + ky) * g.Width + x * g.Stride + kx;
                if (best < 0 || input[index, s] > input[best, s]) best = index;
            }
        }
        return best;
    }

    private static double WindowSum(Matrix<double> input, int s, ImageGeometry g, int c, int y, int x)
    {
        double sum = 0;
        for (int ky = 0; ky < g.WindowHeight; ky++)
        {
            for (int kx = 0; kx < g.WindowWidth; kx++) sum += input[(c * g.Height + y * g.Stride + ky) * g.Width + x * g.Stride + kx, s];
        }
        return sum;
    }

    // Calls visit(c, ky, kx, input index) for every in-bounds input value under output position (y, x)'s window.
    private static void ForWindow(ImageGeometry g, int y, int x, Action<int, int, int, int> visit)
    {
        for (int c = 0; c < g.Channels; c++)
        {
            for (int ky = 0; ky < g.WindowHeight; ky++)
            {
                int row = y * g.Stride - g.Padding + ky;
                if (row < 0 || row >= g.Height) continue;
                for (int kx = 0; kx < g.WindowWidth; kx++)
                {
                    int col = x * g.Stride - g.Padding + kx;
                    if (col < 0 || col >= g.Width) continue;
                    visit(c, ky, kx, (c * g.Height + row) * g.Width + col);
                }
            }
        }
    }

    private static void Check(Matrix<double> input, Matrix<double> kernel, ImageGeometry g)
    {
        g.Validate();
        if (input.RowCount != g.InputSize) throw new ArgumentException($"The input has {input.RowCount} values per sample; a ({g.Channels}, {g.Height}, {g.Width}) image has {g.InputSize}.");
        if (kernel.ColumnCount != g.PatchSize) throw new ArgumentException($"The kernel has {kernel.ColumnCount} values per output channel; {g.Channels} channels of {g.WindowHeight} x {g.WindowWidth} need {g.PatchSize}.");
    }

    private static void CheckPool(Matrix<double> input, ImageGeometry g)
    {
        g.Validate();
        if (g.Padding != 0) throw new ArgumentException("Pooling takes no padding; got " + g.Padding + ".");
        if (input.RowCount != g.InputSize) throw new ArgumentException($"The input has {input.RowCount} values per sample; a ({g.Channels}, {g.Height}, {g.Width}) image has {g.InputSize}.");
    }
}
