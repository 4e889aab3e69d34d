using System;
using System.Collections.Generic;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>
    /// What a node argument of an op must be. Every vector op accepts the call in which each per-sample argument is a vector of
    /// one width n, each weight is [n, n] and each bias is [n]; the image ops (a kernel argument, or an image-only input) take
    /// images instead.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    enum ArgumentRole
    {
        /// <summary>A per-sample value (an input or a computed node); parameters are rejected.</summary>
        PerSample,
        /// <summary>A weight-matrix parameter.</summary>
        Weight,
        /// <summary>A bias-vector parameter.</summary>
        Bias,
        /// <summary>A convolution-kernel parameter [out, in, height, width].</summary>
        Kernel,
    }

    /// <summary>One node argument of an op: its name in the declaration vocabulary, its role, and whether it repeats.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class OpArgument
    {
        /// <summary>A node argument named <paramref name="name"/>; a variadic one takes every remaining argument, at least <paramref name="minimumCount"/> of them.</summary>
        public OpArgument(string name, ArgumentRole role, bool isVariadic = false, int minimumCount = 1)
        {
            Name = name;
            Role = role;
            IsVariadic = isVariadic;
            MinimumCount = isVariadic ? minimumCount : 1;
        }

        /// <summary>The parameter name in the generated vocabulary method (e.g. "x", "weight", "terms").</summary>
        public string Name { get; }

        /// <summary>What the argument must be.</summary>
        public ArgumentRole Role { get; }

        /// <summary>True for a trailing <c>params</c> argument that takes every remaining node argument.</summary>
        public bool IsVariadic { get; }

        /// <summary>How many node arguments this argument takes at least (1 unless variadic).</summary>
        public int MinimumCount { get; }

        /// <inheritdoc/>
        public override string ToString() => (IsVariadic ? "params " : "") + Role + " " + Name;
    }

    /// <summary>
    /// A constant (compile-time) argument that follows an op's node arguments, such as the slope of a leaky ReLU or a
    /// convolution's stride. The model stores a node's constants in <see cref="Node.Constants"/>, in the descriptor's order;
    /// an integer constant is held as a double that is a whole number.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class ConstantArgument
    {
        private readonly Func<double, bool> isValid;

        /// <summary>A constant named <paramref name="name"/>, valid where <paramref name="isValid"/> holds, which <paramref name="validRange"/> states in words.</summary>
        public ConstantArgument(string name, double example, string validRange, Func<double, bool> isValid, bool isInteger = false)
        {
            Name = name;
            Example = example;
            ValidRange = validRange;
            IsInteger = isInteger;
            this.isValid = isInteger ? (v => v == Math.Floor(v) && v >= int.MinValue && v <= int.MaxValue && isValid(v)) : isValid;
        }

        /// <summary>True for a whole-number constant (a stride, a padding, a window), declared as an <c>int</c>.</summary>
        public bool IsInteger { get; }

        /// <summary>The C# type the declaration vocabulary gives the constant.</summary>
        public string TypeName => IsInteger ? "int" : "double";

        /// <summary>The parameter name in the generated vocabulary method and in messages (e.g. "slope").</summary>
        public string Name { get; }

        /// <summary>A typical valid value, used in messages that show a correct call.</summary>
        public double Example { get; }

        /// <summary>The valid values as messages print them (e.g. "[0, 1)").</summary>
        public string ValidRange { get; }

        /// <summary>True when <paramref name="value"/> is a valid constant (NaN never is; an integer constant must be a whole number).</summary>
        public bool IsValid(double value) => isValid(value);

        /// <inheritdoc/>
        public override string ToString() => TypeName + " " + Name;
    }

    /// <summary>
    /// The scalar function f an elementwise op applies: its value, its derivative and, where one exists, its inverse. Each takes
    /// the op's constant first (zero for ops without one). Every engine (reference, generated) computes exactly these functions.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class ScalarFunction
    {
        private readonly Func<double, double, double> value;
        private readonly Func<double, double, double> derivative;
        private readonly Func<double, double, double>? inverse;
        private readonly Func<double, bool> hasInverse;

        /// <summary>
        /// A scalar function from f(alpha, x) and f'(alpha, x); <paramref name="inverse"/>, when given, is f^-1(alpha, y) wherever
        /// <paramref name="hasInverse"/> holds for alpha (always, when that is omitted).
        /// </summary>
        public ScalarFunction(Func<double, double, double> value, Func<double, double, double> derivative,
            Func<double, double, double>? inverse = null, Func<double, bool>? hasInverse = null)
        {
            this.value = value;
            this.derivative = derivative;
            this.inverse = inverse;
            this.hasInverse = inverse is null ? (_ => false) : hasInverse ?? (_ => true);
        }

        /// <summary>f(x).</summary>
        public double Value(double alpha, double x) => value(alpha, x);

        /// <summary>f'(x) (the right derivative at a kink).</summary>
        public double Derivative(double alpha, double x) => derivative(alpha, x);

        /// <summary>True when f is invertible on its range for this constant (needed by target propagation).</summary>
        public bool HasInverse(double alpha) => hasInverse(alpha);

        /// <summary>f^-1(y); only where <see cref="HasInverse"/> holds.</summary>
        /// <exception cref="InvalidOperationException">f has no inverse for this constant.</exception>
        public double Inverse(double alpha, double y) =>
            inverse is not null && hasInverse(alpha) ? inverse(alpha, y) : throw new InvalidOperationException("This function has no inverse for the constant " + alpha.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
    }

    /// <summary>
    /// Everything the model, the parser, the generated vocabulary and the engines know about one op. <see cref="OpTable"/> holds
    /// the only list of these; adding an op means adding its <see cref="OpKind"/> and one descriptor there.
    /// </summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class OpDescriptor
    {
        private readonly Func<OpDescriptor, string, IReadOnlyList<Node>, Shape, IReadOnlyList<double>, Shape> inferShape;

        internal OpDescriptor(OpKind kind, NodeRole role, string? declarationName, string summary, OpArgument[] arguments,
            Func<OpDescriptor, string, IReadOnlyList<Node>, Shape, IReadOnlyList<double>, Shape> inferShape,
            ConstantArgument[]? constants = null, ScalarFunction? elementwise = null, int? layerInteriorArgument = null, int? perSampleRank = null)
        {
            constants ??= Array.Empty<ConstantArgument>();
            // The scalar functions take one constant (Node.Alpha); an elementwise op with more would lose the rest.
            if (elementwise is not null && constants.Length > 1) throw new ArgumentException(kind + " is elementwise with " + constants.Length + " constant arguments; a scalar function takes one.", nameof(constants));
            if (arguments.Take(arguments.Length - 1).Any(a => a.IsVariadic)) throw new ArgumentException(kind + ": only the last node argument can be variadic.", nameof(arguments));
            Kind = kind;
            Role = role;
            DeclarationName = declarationName;
            Summary = summary;
            Arguments = arguments;
            Constants = constants;
            Elementwise = elementwise;
            LayerInteriorArgument = layerInteriorArgument;
            PerSampleRank = perSampleRank;
            this.inferShape = inferShape;
            MinArity = arguments.Sum(a => a.MinimumCount);
            MaxArity = arguments.Any(a => a.IsVariadic) ? int.MaxValue : arguments.Length;
            Signature = declarationName is null ? null
                : "(" + string.Join(", ", arguments.Select(a => (a.IsVariadic ? "params Node[] " : "Node ") + a.Name).Concat(constants.Select(c => c.ToString()))) + ")";
        }

        /// <summary>The op.</summary>
        public OpKind Kind { get; }

        /// <summary>Whether a node of this op is fed from the batch, a trainable parameter, or computed.</summary>
        public NodeRole Role { get; }

        /// <summary>The name a <c>Forward</c> declaration calls the op by (e.g. "Relu", "MatVec"); null for the leaves, which are declared by attributes.</summary>
        public string? DeclarationName { get; }

        /// <summary>A one-line description that follows "Declares" in the generated vocabulary's docs (e.g. "the hyperbolic tangent.").</summary>
        public string Summary { get; }

        /// <summary>The parameter list of the generated vocabulary method, such as "(Node x, double slope)"; null when <see cref="DeclarationName"/> is.</summary>
        public string? Signature { get; }

        /// <summary>The node arguments in order; a variadic one is last.</summary>
        public IReadOnlyList<OpArgument> Arguments { get; }

        /// <summary>The constant arguments that follow the node arguments (a leaky ReLU's slope; a convolution's stride and padding).</summary>
        public IReadOnlyList<ConstantArgument> Constants { get; }

        /// <summary>The fewest node arguments the op takes.</summary>
        public int MinArity { get; }

        /// <summary>The most node arguments the op takes; <see cref="int.MaxValue"/> when it is variadic.</summary>
        public int MaxArity { get; }

        /// <summary>True when the last node argument repeats.</summary>
        public bool IsVariadic => MaxArity == int.MaxValue;

        /// <summary>The scalar function of an elementwise op; null for every other op.</summary>
        public ScalarFunction? Elementwise { get; }

        /// <summary>True for an op that applies a scalar function to one per-sample argument (the identity included).</summary>
        public bool IsElementwise => Elementwise is not null;

        /// <summary>
        /// The argument through which a sole consumer of this op makes its producer interior to a layer (a = W h + b, h' = f(a)):
        /// 0 for a bias-add and for elementwise ops; null when consuming a node never makes it interior.
        /// </summary>
        public int? LayerInteriorArgument { get; }

        /// <summary>
        /// The rank every per-sample argument must have: 1 for the vector ops (a matrix product, a bias-add), 3 for the image
        /// ops (convolution, pooling, per-channel bias, flatten); null when any shape is accepted (elementwise ops, sums, gates).
        /// </summary>
        public int? PerSampleRank { get; }

        /// <summary>The argument that node argument number <paramref name="index"/> binds to (a variadic last argument takes the rest).</summary>
        /// <exception cref="ArgumentOutOfRangeException">The op takes fewer arguments.</exception>
        public OpArgument ArgumentAt(int index)
        {
            if (index >= 0 && index < Arguments.Count && !Arguments[index].IsVariadic) return Arguments[index];
            if (index >= 0 && IsVariadic && index >= Arguments.Count - 1) return Arguments[Arguments.Count - 1];
            throw new ArgumentOutOfRangeException(nameof(index), Kind + " has no argument #" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        }

        /// <summary>The values of <paramref name="node"/>'s constant arguments, in order.</summary>
        public IReadOnlyList<double> ConstantValues(Node node) => node.Constants.AsImmutableArray();

        /// <summary>
        /// The shape a node of this op has given its parents and its constants, or a <see cref="GraphBuildException"/> naming the node
        /// and the shapes or values that do not fit. Leaf ops keep their declared shape.
        /// </summary>
        public Shape InferShape(string name, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants)
        {
            if (constants.Count != Constants.Count)
            {
                throw new GraphBuildException(name, Kind + " '" + name + "' has " + constants.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " constant arguments; it takes " +
                    (Constants.Count == 0 ? "none" : Constants.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " (" + string.Join(", ", Constants.Select(c => c.ToString())) + ")") + ".");
            }
            for (int i = 0; i < Constants.Count; i++)
            {
                var constant = Constants[i];
                if (!constant.IsValid(constants[i]))
                {
                    throw new GraphBuildException(name, Kind + " '" + name + "' has " + constant.Name + " " + constants[i].ToString(System.Globalization.CultureInfo.InvariantCulture) +
                        "; the " + constant.Name + " must be " + (constant.IsInteger ? "a whole number " : "") + "in " + constant.ValidRange + ".");
                }
            }
            return inferShape(this, name, parents, declared, constants);
        }

        /// <inheritdoc/>
        public override string ToString() => Kind.ToString();
    }
}
