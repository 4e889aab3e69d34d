using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>The structural rules of each op: how many parents of which role it takes and the shape it gives (each op's own rules live in its <see cref="OpDescriptor"/>).</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    static class OpRules
    {
        /// <summary>
        /// The shape a node of op <paramref name="op"/> has given its parents, or a <see cref="GraphBuildException"/>
        /// naming the node and the shapes that do not fit. Leaf ops (input, weight, bias, kernel) keep their declared shape.
        /// </summary>
        public static Shape InferShape(string name, OpKind op, IReadOnlyList<Node> parents, Shape declared, IReadOnlyList<double> constants) =>
            Descriptor(name, op).InferShape(name, parents, declared, constants);

        /// <summary>The descriptor of the op of node <paramref name="name"/>, or a <see cref="GraphBuildException"/> for an op the table does not know.</summary>
        internal static OpDescriptor Descriptor(string name, OpKind op) =>
            OpTable.TryGet(op, out var descriptor) ? descriptor : throw new GraphBuildException(name, "Node '" + name + "' has unknown op " + op + ".");

        /// <summary>Rejects a parent count outside the op's arity.</summary>
        internal static void Arity(string name, OpDescriptor op, IReadOnlyList<Node> parents)
        {
            int min = op.MinArity;
            int max = op.MaxArity;
            if (parents.Count < min || parents.Count > max)
            {
                string expected = min == max ? min.ToString(CultureInfo.InvariantCulture)
                    : max == int.MaxValue ? "at least " + min.ToString(CultureInfo.InvariantCulture)
                    : min.ToString(CultureInfo.InvariantCulture) + " to " + max.ToString(CultureInfo.InvariantCulture);
                throw new GraphBuildException(name, op.Kind + " '" + name + "' has " + parents.Count.ToString(CultureInfo.InvariantCulture) + " arguments; it takes " + expected + ".");
            }
        }

        /// <summary>Rejects a parameter where the op needs a per-sample value; <paramref name="what"/> names the argument in the message.</summary>
        internal static void PerSample(string name, OpDescriptor op, Node p, string what)
        {
            if (p.Role == NodeRole.Parameter)
            {
                throw new GraphBuildException(name, op.Kind + " '" + name + "': its " + what + " is the parameter '" + p.Name + "' of shape " + p.Shape + "; it needs a per-sample value (parameters enter only through " +
                    OpTable.NameList(OpTable.All.Where(d => d.Arguments.Any(a => a.Role != ArgumentRole.PerSample)).Select(d => d.Kind.ToString())) + ").");
            }
        }

        /// <summary>What a node is, for messages that reject it as an argument.</summary>
        internal static string Describe(Node n) => n.Role == NodeRole.Parameter ? "is the " + n.Op.ToString().ToLowerInvariant() + " of shape " + n.Shape : "is the per-sample value of shape " + n.Shape;
    }
}
