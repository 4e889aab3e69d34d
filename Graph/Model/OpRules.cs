using System.Collections.Generic;
using System.Linq;

namespace Symbolic.Graph
{
    /// <summary>The structural rules of each op: how many parents of which role it takes and the shape it gives.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    static class OpRules
    {
        /// <summary>
        /// The shape a node of op <paramref name="op"/> has given its parents, or a <see cref="GraphBuildException"/>
        /// naming the node and the shapes that do not fit. Leaf ops (input, weight, bias) keep their declared shape.
        /// </summary>
        public static Shape InferShape(string name, OpKind op, IReadOnlyList<Node> parents, Shape declared, double alpha)
        {
            switch (op)
            {
                case OpKind.Input:
                    Arity(name, op, parents, 0, 0);
                    return declared;
                case OpKind.Weight:
                    Arity(name, op, parents, 0, 0);
                    if (declared.Rank != 2) throw new GraphBuildException(name, "Weight '" + name + "' has shape " + declared + "; a weight is a matrix [rows, cols].");
                    return declared;
                case OpKind.Bias:
                    Arity(name, op, parents, 0, 0);
                    if (!declared.IsVector) throw new GraphBuildException(name, "Bias '" + name + "' has shape " + declared + "; a bias is a vector [n].");
                    return declared;
                case OpKind.MatVec:
                {
                    Arity(name, op, parents, 2, 2);
                    var w = parents[0];
                    var x = parents[1];
                    if (w.Op != OpKind.Weight) throw new GraphBuildException(name, "MatVec '" + name + "': its first argument '" + w.Name + "' " + Describe(w) + "; it must be a weight matrix.");
                    PerSample(name, op, x, "second argument");
                    if (!x.Shape.IsVector) throw new GraphBuildException(name, "MatVec '" + name + "': input '" + x.Name + "' has shape " + x.Shape + "; it must be a vector (flatten it first).");
                    if (w.Shape.Dims[1] != x.Shape.Dims[0]) throw new GraphBuildException(name, "MatVec '" + name + "': weight '" + w.Name + "' has shape " + w.Shape + " but input '" + x.Name + "' has shape " + x.Shape + "; the weight's column count must equal the input's length.");
                    return Shape.Vector(w.Shape.Dims[0]);
                }
                case OpKind.BiasAdd:
                {
                    Arity(name, op, parents, 2, 2);
                    var x = parents[0];
                    var b = parents[1];
                    PerSample(name, op, x, "first argument");
                    if (b.Op != OpKind.Bias) throw new GraphBuildException(name, "BiasAdd '" + name + "': its second argument '" + b.Name + "' " + Describe(b) + "; it must be a bias vector.");
                    if (!x.Shape.Equals(b.Shape)) throw new GraphBuildException(name, "BiasAdd '" + name + "': input '" + x.Name + "' has shape " + x.Shape + " but bias '" + b.Name + "' has shape " + b.Shape + "; they must be equal.");
                    return x.Shape;
                }
                case OpKind.Add:
                case OpKind.Mul:
                {
                    Arity(name, op, parents, 2, op == OpKind.Mul ? 2 : int.MaxValue);
                    foreach (var p in parents) PerSample(name, op, p, "argument '" + p.Name + "'");
                    var first = parents[0];
                    foreach (var p in parents.Skip(1))
                    {
                        if (!p.Shape.Equals(first.Shape)) throw new GraphBuildException(name, op + " '" + name + "': '" + first.Name + "' has shape " + first.Shape + " but '" + p.Name + "' has shape " + p.Shape + "; elementwise arguments must have equal shapes.");
                    }
                    return first.Shape;
                }
                case OpKind.Concat:
                {
                    Arity(name, op, parents, 1, int.MaxValue);
                    foreach (var p in parents)
                    {
                        PerSample(name, op, p, "argument '" + p.Name + "'");
                        if (!p.Shape.IsVector) throw new GraphBuildException(name, "Concat '" + name + "': '" + p.Name + "' has shape " + p.Shape + "; only vectors can be concatenated.");
                    }
                    return Shape.Vector(parents.Sum(p => p.Shape.Dims[0]));
                }
                case OpKind.Identity:
                case OpKind.Tanh:
                case OpKind.Sigmoid:
                case OpKind.Relu:
                case OpKind.LeakyRelu:
                case OpKind.Softplus:
                {
                    Arity(name, op, parents, 1, 1);
                    PerSample(name, op, parents[0], "argument");
                    if (op == OpKind.LeakyRelu && !(alpha >= 0 && alpha < 1)) throw new GraphBuildException(name, "LeakyRelu '" + name + "' has slope " + alpha.ToString(System.Globalization.CultureInfo.InvariantCulture) + "; the slope must be in [0, 1).");
                    return parents[0].Shape;
                }
                default:
                    throw new GraphBuildException(name, "Node '" + name + "' has unknown op " + op + ".");
            }
        }

        private static void Arity(string name, OpKind op, IReadOnlyList<Node> parents, int min, int max)
        {
            if (parents.Count < min || parents.Count > max)
            {
                string expected = min == max ? min.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : max == int.MaxValue ? "at least " + min.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : min.ToString(System.Globalization.CultureInfo.InvariantCulture) + " to " + max.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new GraphBuildException(name, op + " '" + name + "' has " + parents.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " arguments; it takes " + expected + ".");
            }
        }

        private static void PerSample(string name, OpKind op, Node p, string what)
        {
            if (p.Role == NodeRole.Parameter)
            {
                throw new GraphBuildException(name, op + " '" + name + "': its " + what + " is the parameter '" + p.Name + "' of shape " + p.Shape + "; it needs a per-sample value (parameters enter only through MatVec and BiasAdd).");
            }
        }

        private static string Describe(Node n) => n.Role == NodeRole.Parameter ? "is the " + n.Op.ToString().ToLowerInvariant() + " of shape " + n.Shape : "is the per-sample value of shape " + n.Shape;
    }
}
