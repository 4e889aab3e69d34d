using System;

namespace Symbolic.Rules.Ops;

/// <summary>
/// The geometry of a 2-D convolution or pooling window over per-sample images stored (channel, row, column) row-major:
/// the input's channels, height and width, the window's height and width, the stride and the zero padding on every side.
/// </summary>
/// <param name="Channels">The input's channels.</param>
/// <param name="Height">The input's height.</param>
/// <param name="Width">The input's width.</param>
/// <param name="WindowHeight">The kernel's or pooling window's height.</param>
/// <param name="WindowWidth">The kernel's or pooling window's width.</param>
/// <param name="Stride">The step between windows, in both directions.</param>
/// <param name="Padding">Zeros added on every side (pooling: 0).</param>
public readonly record struct ImageGeometry(int Channels, int Height, int Width, int WindowHeight, int WindowWidth, int Stride = 1, int Padding = 0)
{
    /// <summary>The output's height: (H + 2 padding − window) / stride + 1, rounded down.</summary>
    public int OutputHeight => (Height + 2 * Padding - WindowHeight) / Stride + 1;

    /// <summary>The output's width.</summary>
    public int OutputWidth => (Width + 2 * Padding - WindowWidth) / Stride + 1;

    /// <summary>Output positions per channel (OH × OW).</summary>
    public int OutputPositions => OutputHeight * OutputWidth;

    /// <summary>Values of one input image (C × H × W).</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Rows of the unfolded input (C × window height × window width): a convolution kernel's row length.</summary>
    public int PatchSize => Channels * WindowHeight * WindowWidth;

    /// <summary>Checks that every size is positive and the window fits the padded input.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the window is larger than the padded input (the message gives both).</exception>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1) throw new ArgumentException($"An image needs positive channels, height and width; got ({Channels}, {Height}, {Width}).");
        if (WindowHeight < 1 || WindowWidth < 1) throw new ArgumentException($"A window needs a positive size; got {WindowHeight} x {WindowWidth}.");
        if (Stride < 1) throw new ArgumentException($"The stride must be at least 1; got {Stride}.");
        if (Padding < 0) throw new ArgumentException($"The padding must not be negative; got {Padding}.");
        if (Height + 2 * Padding < WindowHeight || Width + 2 * Padding < WindowWidth)
        {
            throw new ArgumentException($"A {WindowHeight} x {WindowWidth} window does not fit a {Height} x {Width} image padded by {Padding}.");
        }
    }
}
