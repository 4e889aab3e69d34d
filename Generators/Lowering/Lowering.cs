using System.Collections.Generic;
using System.Globalization;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// How one op is written in the generated primitives: its forward statement, its vector-Jacobian contribution to a
    /// per-sample argument and its parameter-update product. One class per op (or per family of ops that share a kernel);
    /// <see cref="Lowerings"/> is the table the emitter reads, and an op without an entry is diagnostic SYM019.
    /// </summary>
    internal abstract class Lowering
    {
        /// <summary>Writes <c>values[node]</c> (and <c>derivatives[node]</c> when the op stores one) from the parents' values.</summary>
        public abstract void Forward(LoweringContext c, Node node);

        /// <summary>Writes <c>target (=|+=) J^T cotangent</c> for per-sample argument <paramref name="argument"/> of <paramref name="child"/>.</summary>
        public abstract void Contribute(LoweringContext c, Node child, int argument);

        /// <summary>Writes the update product of parameter argument <paramref name="argument"/> of <paramref name="child"/> on rows [rowStart, rowStart + rowCount).</summary>
        public virtual void ParameterProduct(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine("throw new global::System.NotSupportedException(\"" + child.Op + " takes no parameter as argument " + argument.ToString(CultureInfo.InvariantCulture) + ".\");");
    }

    /// <summary>The lowering table: one entry per computed op.</summary>
    internal static class Lowerings
    {
        private static readonly Dictionary<OpKind, Lowering> Table = new Dictionary<OpKind, Lowering>
        {
            [OpKind.MatVec] = new MatVecLowering(),
            [OpKind.BiasAdd] = new BiasAddLowering(),
            [OpKind.Add] = new AddLowering(),
            [OpKind.Mul] = new MulLowering(),
            [OpKind.Concat] = new ConcatLowering(),
            [OpKind.Identity] = new ElementwiseLowering("Identity"),
            [OpKind.Tanh] = new ElementwiseLowering("Tanh"),
            [OpKind.Sigmoid] = new ElementwiseLowering("Sigmoid"),
            [OpKind.Relu] = new ElementwiseLowering("Relu"),
            [OpKind.LeakyRelu] = new ElementwiseLowering("LeakyRelu"),
            [OpKind.Softplus] = new ElementwiseLowering("Softplus"),
            [OpKind.Conv2d] = new Conv2dLowering(),
            [OpKind.ChannelBiasAdd] = new ChannelBiasAddLowering(),
            [OpKind.MaxPool] = new PoolLowering(max: true),
            [OpKind.AvgPool] = new PoolLowering(max: false),
            [OpKind.Flatten] = new FlattenLowering(),
            [OpKind.Slice] = new SliceLowering(),
        };

        /// <summary>The ops that have a lowering.</summary>
        public static IEnumerable<OpKind> Ops => Table.Keys;

        /// <summary>The lowering of <paramref name="op"/>, if the generator has one.</summary>
        public static bool TryGet(OpKind op, out Lowering lowering) => Table.TryGetValue(op, out lowering!);
    }

    /// <summary>What a lowering writes with: the writer, the graph and the scalar type, and the names of the primitives' arguments.</summary>
    internal sealed class LoweringContext
    {
        public const string Gemm = "global::Symbolic.Rules.Kernels.Gemm";
        public const string Kernels = "global::Symbolic.Rules.Kernels.Lowered";
        public const string Tensor = "global::System.Numerics.Tensors.TensorPrimitives";

        public LoweringContext(SourceWriter w, ComputationGraph g, string t, System.Func<double, string> literal)
        {
            W = w;
            G = g;
            T = t;
            Literal = literal;
        }

        public SourceWriter W { get; }

        public ComputationGraph G { get; }

        /// <summary>The scalar type, "float" or "double".</summary>
        public string T { get; }

        /// <summary>A literal of the scalar type.</summary>
        public System.Func<double, string> Literal { get; }

        public static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);

        /// <summary>The parent of <paramref name="node"/> at <paramref name="argument"/>.</summary>
        public Node Parent(Node node, int argument) => G.Nodes[node.Inputs[argument]];

        /// <summary>batch * size, checked: a size times a batch never wraps silently (the workspace rejects a batch that overflows).</summary>
        public static string Batch(int size) => "checked(batch * " + Int(size) + ")";

        /// <summary>The first batch * size values of a node's value array, read-only.</summary>
        public string Value(Node n) => "In(values[" + Int(n.Id) + "], batch, " + Int(n.Size) + ")";

        /// <summary>The first batch * size values of a node's value array, writable.</summary>
        public string ValueOut(Node n) => "Out(values[" + Int(n.Id) + "], batch, " + Int(n.Size) + ")";

        /// <summary>A node's stored derivative, read-only.</summary>
        public string Derivative(Node n) => "In(derivatives[" + Int(n.Id) + "], batch, " + Int(n.Size) + ")";

        /// <summary>A node's stored derivative, writable.</summary>
        public string DerivativeOut(Node n) => "Out(derivatives[" + Int(n.Id) + "], batch, " + Int(n.Size) + ")";

        /// <summary>A parameter's array, by its parameter index.</summary>
        public string Parameter(Node p) => "parameters[" + Int(System.Linq.Enumerable.ToList(G.ParameterIds).IndexOf(p.Id)) + "]";
    }
}
