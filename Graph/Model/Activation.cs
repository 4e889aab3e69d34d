using System;

namespace Symbolic.Graph
{
    /// <summary>
    /// Scalar definitions of the elementwise activations: the value, its derivative and, where one exists,
    /// the inverse. Every engine (reference, generated) computes exactly these functions.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    static class Activation
    {
        /// <summary>True for the ops that apply a scalar function elementwise to one parent.</summary>
        public static bool IsElementwise(OpKind op) =>
            op == OpKind.Identity || op == OpKind.Tanh || op == OpKind.Sigmoid || op == OpKind.Relu || op == OpKind.LeakyRelu || op == OpKind.Softplus;

        /// <summary>f(x) for an elementwise op.</summary>
        public static double Apply(OpKind op, double alpha, double x)
        {
            switch (op)
            {
                case OpKind.Identity: return x;
                case OpKind.Tanh: return Math.Tanh(x);
                case OpKind.Sigmoid: return Sigmoid(x);
                case OpKind.Relu: return x > 0 ? x : 0.0;
                case OpKind.LeakyRelu: return x > 0 ? x : alpha * x;
                case OpKind.Softplus: return Softplus(x);
                default: throw new ArgumentException(op + " is not an elementwise activation.", nameof(op));
            }
        }

        /// <summary>f'(x) for an elementwise op (the right derivative at a kink: 0 for ReLU at 0, alpha for leaky ReLU).</summary>
        public static double Derivative(OpKind op, double alpha, double x)
        {
            switch (op)
            {
                case OpKind.Identity: return 1.0;
                case OpKind.Tanh: { double t = Math.Tanh(x); return 1.0 - t * t; }
                case OpKind.Sigmoid: { double s = Sigmoid(x); return s * (1.0 - s); }
                case OpKind.Relu: return x > 0 ? 1.0 : 0.0;
                case OpKind.LeakyRelu: return x > 0 ? 1.0 : alpha;
                case OpKind.Softplus: return Sigmoid(x);
                default: throw new ArgumentException(op + " is not an elementwise activation.", nameof(op));
            }
        }

        /// <summary>True when f is invertible on its range (needed by target propagation).</summary>
        public static bool HasInverse(OpKind op, double alpha) =>
            op == OpKind.Identity || op == OpKind.Tanh || op == OpKind.Sigmoid || op == OpKind.Softplus || (op == OpKind.LeakyRelu && alpha > 0);

        /// <summary>f^-1(y) for an invertible elementwise op.</summary>
        public static double Inverse(OpKind op, double alpha, double y)
        {
            switch (op)
            {
                case OpKind.Identity: return y;
                case OpKind.Tanh: return 0.5 * Math.Log((1 + y) / (1 - y));
                case OpKind.Sigmoid: return Math.Log(y / (1 - y));
                case OpKind.Softplus: return y > 30 ? y + Log1p(-Math.Exp(-y)) : Math.Log(Math.Exp(y) - 1.0);
                case OpKind.LeakyRelu when alpha > 0: return y > 0 ? y : y / alpha;
                default: throw new ArgumentException(op + " has no inverse.", nameof(op));
            }
        }

        /// <summary>The logistic function, computed without overflow for large |x|.</summary>
        public static double Sigmoid(double x) => x >= 0 ? 1.0 / (1.0 + Math.Exp(-x)) : Math.Exp(x) / (1.0 + Math.Exp(x));

        /// <summary>log(1 + e^x), computed without overflow for large x.</summary>
        public static double Softplus(double x) => x > 0 ? x + Log1p(Math.Exp(-x)) : Log1p(Math.Exp(x));

        private static double Log1p(double x) => Math.Abs(x) < 1e-4 ? x - x * x / 2 + x * x * x / 3 : Math.Log(1 + x);
    }
}
