using System;

namespace Symbolic.Graph
{
    /// <summary>
    /// Scalar definitions of the elementwise activations: the value, its derivative and, where one exists,
    /// the inverse. Every engine (reference, generated) computes exactly these functions; each op's function is
    /// its <see cref="OpDescriptor.Elementwise"/> in <see cref="OpTable"/>, which these methods look up.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    static class Activation
    {
        /// <summary>True for the ops that apply a scalar function elementwise to one parent.</summary>
        public static bool IsElementwise(OpKind op) => OpTable.TryGet(op, out var descriptor) && descriptor.IsElementwise;

        /// <summary>f(x) for an elementwise op.</summary>
        public static double Apply(OpKind op, double alpha, double x) => Function(op).Value(alpha, x);

        /// <summary>f'(x) for an elementwise op (the right derivative at a kink: 0 for ReLU at 0, alpha for leaky ReLU).</summary>
        public static double Derivative(OpKind op, double alpha, double x) => Function(op).Derivative(alpha, x);

        /// <summary>True when f is invertible on its range (needed by target propagation).</summary>
        public static bool HasInverse(OpKind op, double alpha) =>
            OpTable.TryGet(op, out var descriptor) && descriptor.Elementwise is not null && descriptor.Elementwise.HasInverse(alpha);

        /// <summary>f^-1(y) for an invertible elementwise op.</summary>
        public static double Inverse(OpKind op, double alpha, double y) =>
            HasInverse(op, alpha) ? OpTable.For(op).Elementwise!.Inverse(alpha, y) : throw new ArgumentException(op + " has no inverse.", nameof(op));

        /// <summary>The logistic function, computed without overflow for large |x|.</summary>
        public static double Sigmoid(double x) => x >= 0 ? 1.0 / (1.0 + Math.Exp(-x)) : Math.Exp(x) / (1.0 + Math.Exp(x));

        /// <summary>log(1 + e^x), computed without overflow for large x.</summary>
        public static double Softplus(double x) => x > 0 ? x + Log1p(Math.Exp(-x)) : Log1p(Math.Exp(x));

        /// <summary>log(1 + x), accurate for small |x| (used by Softplus and by its inverse in the op table).</summary>
        internal static double Log1p(double x) => Math.Abs(x) < 1e-4 ? x - x * x / 2 + x * x * x / 3 : Math.Log(1 + x);

        private static ScalarFunction Function(OpKind op) =>
            OpTable.TryGet(op, out var descriptor) && descriptor.Elementwise is not null
                ? descriptor.Elementwise
                : throw new ArgumentException(op + " is not an elementwise activation.", nameof(op));
    }
}
