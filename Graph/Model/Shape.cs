using System;
using System.Globalization;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>
    /// The per-sample shape of a node's value (the batch dimension is added at run time): a vector [n],
    /// a weight matrix [rows, cols], or an image tensor [channels, height, width].
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed record Shape
    {
        /// <summary>Makes a shape from its dimensions; every dimension must be positive and their product (the size) fit an int.</summary>
        public Shape(EquatableArray<int> dims)
        {
            if (dims.Count == 0) throw new ArgumentException("A shape needs at least one dimension.", nameof(dims));
            long size = 1;
            foreach (var d in dims)
            {
                if (d <= 0) throw new ArgumentException("Every dimension of a shape must be positive; got " + dims + ".", nameof(dims));
                // Checked after each factor: a factor is at most int.MaxValue, so the long product cannot overflow first.
                size *= d;
                if (size > int.MaxValue)
                {
                    throw new ArgumentException("A shape has at most int.MaxValue = " + int.MaxValue.ToString(CultureInfo.InvariantCulture) + " elements; " + dims + " has more.", nameof(dims));
                }
            }
            Dims = dims;
        }

        /// <summary>The dimensions, outermost first.</summary>
        public EquatableArray<int> Dims { get; }

        /// <summary>The number of dimensions.</summary>
        public int Rank => Dims.Count;

        /// <summary>The number of elements (the product of the dimensions; the constructor checks that it fits an int).</summary>
        public int Size => Dims.Aggregate(1, (a, b) => checked(a * b));

        /// <summary>A vector of <paramref name="length"/> elements.</summary>
        public static Shape Vector(int length) => new Shape(EquatableArray.Create(length));

        /// <summary>A matrix of <paramref name="rows"/> by <paramref name="columns"/>.</summary>
        public static Shape Matrix(int rows, int columns) => new Shape(EquatableArray.Create(rows, columns));

        /// <summary>A rank-3 image tensor (channels, height, width).</summary>
        public static Shape Image(int channels, int height, int width) => new Shape(EquatableArray.Create(channels, height, width));

        /// <summary>True for a rank-1 shape.</summary>
        public bool IsVector => Rank == 1;

        /// <inheritdoc/>
        public override string ToString() => "[" + string.Join(", ", Dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
    }
}
