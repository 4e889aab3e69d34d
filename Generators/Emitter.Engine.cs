using System.Linq;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    internal static partial class Emitter
    {
        /// <summary>
        /// Writes one primitives struct (Float32 or Float64): the graph's sizes as constants, its <c>Parameters</c> class
        /// and the three primitives of <c>ICompiledGraph&lt;T&gt;</c> as switches over node ids whose cases are the ops'
        /// lowerings with every size a constant.
        /// </summary>
        private sealed class EngineWriter
        {
            private readonly SourceWriter w;
            private readonly ComputationGraph g;
            private readonly Names names;
            private readonly Scalar s;
            private readonly string T;
            private readonly LoweringContext c;

            public EngineWriter(SourceWriter w, ComputationGraph g, Names names, Scalar s)
            {
                this.w = w;
                this.g = g;
                this.names = names;
                this.s = s;
                T = s.T;
                c = new LoweringContext(w, g, T, s.Literal);
            }

            private System.Collections.Generic.IEnumerable<Node> Computed => g.UnitIds.Select(id => g.Nodes[id]);

            private System.Collections.Generic.IEnumerable<Node> ParameterNodes => g.ParameterIds.Select(id => g.Nodes[id]);

            private static Lowering LoweringOf(Node n) => Lowerings.TryGet(n.Op, out var l) ? l : throw new System.InvalidOperationException("No lowering for " + n.Op + " (reported as SYM019).");

            public void Write()
            {
                w.WriteLine();
                w.SummaryXml("The graph's primitives over <see cref=\"" + T + "\"/> for the drivers in Symbolic.Rules (<c>rule.CreateState&lt;" + SourceWriter.Xml(names.Class.Replace("global::", "")) + "." + s.ClassName + ", " + T + "&gt;(maxBatch)</c>): " +
                    "every size is a constant. Batches are row-major per sample (sample s, element i at [s * length + i]); weights are row-major [rows, cols].");
                w.Open("public readonly struct " + s.ClassName + " : " + Compiled + ".ICompiledGraph<" + T + ">");
                Constants();
                ParametersClass();
                ComputeNode();
                Contribute();
                ParameterProduct();
                Helpers();
                w.Close();
            }

            private void Constants()
            {
                foreach (var n in g.InputIds.Select(id => g.Nodes[id]))
                {
                    w.Summary("The length of " + Describe(g, n) + " per sample.");
                    w.WriteLine("public const int " + names.Member[n.Id] + " = " + Int(n.Size) + ";");
                    w.WriteLine();
                }
                w.Summary("The length of the output '" + g.Output.Name + "' (and of a target) per sample.");
                w.WriteLine("public const int OutputLength = " + Int(g.Output.Size) + ";");
                w.WriteLine();
                w.Summary("The longest path to the output with a unit on every node: synchronous relaxation with eta = 1 is exact after this many steps.");
                w.WriteLine("public const int RelaxationDepth = " + Int(g.RelaxationDepth) + ";");
                w.WriteLine();
                w.Summary("The longest path to the output in layer units: synchronous relaxation with eta = 1 and layer units is exact after this many steps.");
                w.WriteLine("public const int LayerRelaxationDepth = " + Int(g.LayerRelaxationDepth) + ";");
                w.WriteLine();
                w.Summary("The graph's layout (sizes, orders, consumers), derived once from Graph.");
                w.WriteLine("public static " + Compiled + ".GraphLayout Layout { get; } = new " + Compiled + ".GraphLayout(" + names.Class + ".Graph);");
                w.WriteLine();
            }

            private void ParametersClass()
            {
                w.Summary("The graph's trainable parameters, one array per parameter; weights row-major [rows, cols].");
                w.Open("public sealed class Parameters : " + Compiled + ".ParameterArrays<" + T + ">");
                w.Summary("Makes parameters with every value zero.");
                w.WriteLine("public Parameters() : base(" + names.Class + "." + s.ClassName + ".Layout) { }");
                int k = 0;
                foreach (var p in ParameterNodes)
                {
                    w.WriteLine();
                    w.Summary("The " + Describe(g, p) + (p.Op == OpKind.Weight ? ", row-major: element (r, c) at [r * " + Int(p.Shape.Dims[1]) + " + c]."
                        : p.Op == OpKind.Kernel ? ", row-major: element (out, in, y, x) at [((out * " + Int(p.Shape.Dims[1]) + " + in) * " + Int(p.Shape.Dims[2]) + " + y) * " + Int(p.Shape.Dims[3]) + " + x]." : "."));
                    w.WriteLine("public " + T + "[] " + names.Member[p.Id] + " => Arrays[" + Int(k++) + "];");
                }
                w.WriteLine();
                w.Summary("Draws parameters exactly as ParameterSet.Initialise does for the graph (same seed, same values), converted to this scalar type.");
                w.Param("seed", "The random seed.");
                w.Param("initialiser", "The initialiser.");
                w.Returns("The new parameters.");
                w.WriteLine("public static Parameters Initialise(int seed, " + Rules + ".Initialiser initialiser = " + Rules + ".Initialiser.Normal005) =>");
                w.WriteLine("    FromParameterSet(" + Rules + ".ParameterSet.Initialise(" + names.Class + ".Graph, seed, initialiser));");
                w.WriteLine();
                w.Summary("Converts a parameter set of the graph (validated against it) to arrays.");
                w.Param("set", "The parameter set; it must hold exactly the graph's parameters.");
                w.Returns("The new parameters.");
                w.Open("public static Parameters FromParameterSet(" + Rules + ".ParameterSet set)");
                w.WriteLine("Parameters result = new Parameters();");
                w.WriteLine("result.CopyFrom(set);");
                w.WriteLine("return result;");
                w.Close();
                w.Close();
                w.WriteLine();
            }

            private void ComputeNode()
            {
                w.WriteLine("/// <inheritdoc/>");
                w.Open("public static void ComputeNode(int node, " + T + "[][] parameters, " + T + "[][] values, " + T + "[][] derivatives, int batch)");
                w.Open("switch (node)");
                foreach (var n in Computed)
                {
                    w.WriteLine("case " + Int(n.Id) + ": // " + Describe(g, n));
                    w.Indent();
                    LoweringOf(n).Forward(c, n);
                    w.WriteLine("return;");
                    w.Outdent();
                }
                w.WriteLine("default: throw NotAnOp(node, \"computed node\");");
                w.Close();
                w.Close();
                w.WriteLine();
            }

            private void Contribute()
            {
                w.WriteLine("/// <inheritdoc/>");
                w.Open("public static void Contribute(int child, int argument, global::System.ReadOnlySpan<" + T + "> cotangent, global::System.Span<" + T + "> target, bool accumulate, int batch, " +
                    T + "[][] values, " + T + "[][] derivatives, global::System.ReadOnlySpan<" + T + "> backwardMatrix, bool useDerivative)");
                EdgeSwitch(parameters: false, (lowering, n, a) => lowering.Contribute(c, n, a));
                w.Close();
                w.WriteLine();
            }

            private void ParameterProduct()
            {
                w.WriteLine("/// <inheritdoc/>");
                w.Open("public static void ParameterProduct(int child, int argument, global::System.ReadOnlySpan<" + T + "> cotangent, " + T + "[][] values, global::System.Span<" + T + "> target, " +
                    T + " scale, bool accumulate, int batch, int rowStart, int rowCount)");
                EdgeSwitch(parameters: true, (lowering, n, a) => lowering.ParameterProduct(c, n, a));
                w.Close();
                w.WriteLine();
            }

            /// <summary>A switch over the (child, argument) edges whose argument is (or is not) a parameter, each case written by <paramref name="write"/>.</summary>
            private void EdgeSwitch(bool parameters, System.Action<Lowering, Node, int> write)
            {
                // An out-of-range argument maps to -1, which no case has, so it cannot land on another edge's case.
                w.Open("switch ((uint)argument < " + Int(MaxArity) + "u ? child * " + Int(MaxArity) + " + argument : -1)");
                foreach (var n in Computed)
                {
                    for (int a = 0; a < n.Inputs.Count; a++)
                    {
                        if ((g.Nodes[n.Inputs[a]].Role == NodeRole.Parameter) != parameters) continue;
                        w.WriteLine("case " + Int(n.Id * MaxArity + a) + ": // " + Describe(g, n) + ", to '" + g.Nodes[n.Inputs[a]].Name + "'");
                        w.Indent();
                        write(LoweringOf(n), n, a);
                        w.WriteLine("return;");
                        w.Outdent();
                    }
                }
                w.WriteLine("default: throw NotAnOp(child, \"" + (parameters ? "parameter" : "per-sample") + " argument \" + argument + \" of a node\");");
                w.Close();
            }

            /// <summary>The largest argument count: (child, argument) pairs are numbered child * MaxArity + argument.</summary>
            private int MaxArity => System.Math.Max(1, g.Nodes.Select(n => n.Inputs.Count).DefaultIfEmpty(1).Max());

            private void Helpers()
            {
                w.Summary("The first batch * size elements of an array, read-only (the product checked: it never wraps).");
                w.WriteLine("private static global::System.ReadOnlySpan<" + T + "> In(" + T + "[] array, int batch, int size) => new global::System.ReadOnlySpan<" + T + ">(array, 0, checked(batch * size));");
                w.WriteLine();
                w.Summary("The first batch * size elements of an array, writable (the product checked: it never wraps).");
                w.WriteLine("private static global::System.Span<" + T + "> Out(" + T + "[] array, int batch, int size) => new global::System.Span<" + T + ">(array, 0, checked(batch * size));");
                w.WriteLine();
                w.Summary("The error for an id that names no such node of the graph.");
                w.WriteLine("private static global::System.ArgumentOutOfRangeException NotAnOp(int id, string what) => new global::System.ArgumentOutOfRangeException(\"id\", id, \"Graph '\" + " + names.Class + ".Graph.Name + \"' has no \" + what + \" with this id.\");");
            }
        }
    }
}
