using System;

namespace Symbolic.Graph
{
    /// <summary>
    /// Marks a static partial class whose <c>Forward</c> method declares a computation graph; the Symbolic
    /// source generator emits the graph value, a parameter record and specialised code for it.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class ComputationGraphAttribute : Attribute
    {
        /// <summary>The loss that closes the graph (default: summed squared error, as in the AR paper).</summary>
        public LossKind Loss { get; set; } = LossKind.SquaredError;
    }

    /// <summary>Declares a <c>Forward</c> parameter as a per-sample input: a vector of a given length, or an image (channels, height, width).</summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class InputAttribute : Attribute
    {
        /// <summary>Declares an input vector of <paramref name="length"/> elements.</summary>
        public InputAttribute(int length) => Length = length;

        /// <summary>Declares an input image of <paramref name="channels"/> by <paramref name="height"/> by <paramref name="width"/>, stored (channel, row, column) row-major.</summary>
        public InputAttribute(int channels, int height, int width)
        {
            Channels = channels;
            Height = height;
            Width = width;
            Length = channels * height * width;
        }

        /// <summary>The input's length (for an image, channels × height × width).</summary>
        public int Length { get; }

        /// <summary>An image's channels (0 for a vector).</summary>
        public int Channels { get; }

        /// <summary>An image's height (0 for a vector).</summary>
        public int Height { get; }

        /// <summary>An image's width (0 for a vector).</summary>
        public int Width { get; }
    }

    /// <summary>Declares a <c>Forward</c> parameter as a trainable convolution kernel [out channels, in channels, height, width].</summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class KernelAttribute : Attribute
    {
        /// <summary>Declares a kernel of <paramref name="outputs"/> by <paramref name="inputs"/> channels, <paramref name="height"/> by <paramref name="width"/>.</summary>
        public KernelAttribute(int outputs, int inputs, int height, int width)
        {
            Outputs = outputs;
            Inputs = inputs;
            Height = height;
            Width = width;
        }

        /// <summary>Output channels.</summary>
        public int Outputs { get; }

        /// <summary>Input channels.</summary>
        public int Inputs { get; }

        /// <summary>Window height.</summary>
        public int Height { get; }

        /// <summary>Window width.</summary>
        public int Width { get; }
    }

    /// <summary>Declares a <c>Forward</c> parameter as a trainable weight matrix of given rows and columns.</summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class WeightAttribute : Attribute
    {
        /// <summary>Declares a weight of <paramref name="rows"/> by <paramref name="columns"/>.</summary>
        public WeightAttribute(int rows, int columns)
        {
            Rows = rows;
            Columns = columns;
        }

        /// <summary>Rows (the output length).</summary>
        public int Rows { get; }

        /// <summary>Columns (the input length).</summary>
        public int Columns { get; }
    }

    /// <summary>Declares a <c>Forward</c> parameter as a trainable bias vector of a given length.</summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class BiasAttribute : Attribute
    {
        /// <summary>Declares a bias of <paramref name="length"/> elements.</summary>
        public BiasAttribute(int length) => Length = length;

        /// <summary>The bias's length.</summary>
        public int Length { get; }
    }
}
