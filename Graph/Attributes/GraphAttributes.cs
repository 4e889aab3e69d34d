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

    /// <summary>Declares a <c>Forward</c> parameter as a per-sample input vector of a given length.</summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class InputAttribute : Attribute
    {
        /// <summary>Declares an input of <paramref name="length"/> elements.</summary>
        public InputAttribute(int length) => Length = length;

        /// <summary>The input's length.</summary>
        public int Length { get; }
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
