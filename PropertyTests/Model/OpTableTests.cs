using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Symbolic.Graph;
using Symbolic.PropertyTests.Generators;
using Symbolic.Rules.Ops;
using Xunit;

namespace Symbolic.PropertyTests.Model;

/// <summary>
/// The op table is complete and every reader of it accepts every op: each op is constructed generically from its
/// descriptor's argument roles and per-sample rank (vectors of one width or images of that many channels, square weights,
/// kernels from and to that many channels, biases of that width), never by name.
/// </summary>
public class OpTableTests
{
    private const int Width = 3;

    /// <summary>The side of the images the image ops are called with here (a 2 x 2 kernel or window leaves 3 x 3).</summary>
    private const int Side = 4;

    /// <summary>The declaration name of every op a Forward declaration can call.</summary>
    public static TheoryData<string> DeclarationNames()
    {
        var data = new TheoryData<string>();
        foreach (var op in OpTable.Declared) data.Add(op.DeclarationName!);
        return data;
    }

    [Fact]
    public void Every_op_kind_has_exactly_one_descriptor()
    {
        foreach (var kind in Enum.GetValues<OpKind>())
        {
            Assert.True(OpTable.TryGet(kind, out var descriptor), kind + " has no descriptor in OpTable.All.");
            Assert.Equal(kind, descriptor.Kind);
            Assert.Same(descriptor, OpTable.For(kind));
            Assert.Single(OpTable.All, d => d.Kind == kind);
        }
        Assert.Equal(Enum.GetValues<OpKind>().Length, OpTable.All.Count);
    }

    [Fact]
    public void Unknown_kinds_and_names_are_clear_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => OpTable.For((OpKind)999));
        Assert.Contains("999 has no descriptor in OpTable", e.Message);
        Assert.False(OpTable.TryGet((OpKind)(-1), out _));
        Assert.False(OpTable.TryGetByDeclarationName("Swish", out _));
        Assert.False(OpTable.TryGetByDeclarationName(OpTable.Declared[0].DeclarationName!.ToLowerInvariant(), out _));
        Assert.Contains("has unknown op 999", Assert.Throws<GraphBuildException>(() => new GraphBuilder().Op((OpKind)999, "n", 0.0)).Message);
    }

    [Fact]
    public void Every_computed_op_has_a_reference_implementation()
    {
        var missing = new List<string>();
        foreach (var op in OpTable.All.Where(d => d.Role == NodeRole.Computed))
        {
            try
            {
                Assert.NotNull(ReferenceOps.For(op.Kind));
            }
            catch (KeyNotFoundException e)
            {
                missing.Add(e.Message);
            }
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
        foreach (var leaf in OpTable.All.Where(d => d.Role != NodeRole.Computed)) Assert.Throws<KeyNotFoundException>(() => ReferenceOps.For(leaf.Kind));
    }

    [Fact]
    public void Declaration_names_are_unique_and_exactly_the_computed_ops()
    {
        var names = OpTable.All.Where(d => d.DeclarationName is not null).Select(d => d.DeclarationName!).ToList();
        var collisions = names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(collisions.Count == 0, "Declaration names used by more than one op: " + string.Join(", ", collisions));
        foreach (var op in OpTable.All)
        {
            // Leaves are declared by [Input], [Weight] and [Bias]; everything computed is called by name.
            Assert.Equal(op.Role == NodeRole.Computed, op.DeclarationName is not null);
            Assert.Equal(op.DeclarationName is not null, op.Signature is not null);
            if (op.DeclarationName is null) continue;
            Assert.True(OpTable.TryGetByDeclarationName(op.DeclarationName, out var found));
            Assert.Same(op, found);
            Assert.True(Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(op.DeclarationName), op.DeclarationName);
            Assert.EndsWith(".", op.Summary);
        }
        Assert.Equal(OpTable.All.Where(d => d.DeclarationName is not null), OpTable.Declared);
    }

    [Fact]
    public void Elementwise_descriptors_have_their_scalar_functions()
    {
        foreach (var op in OpTable.All)
        {
            Assert.Equal(op.IsElementwise, Activation.IsElementwise(op.Kind));
            if (!op.IsElementwise)
            {
                Assert.Throws<ArgumentException>(() => Activation.Apply(op.Kind, 0.0, 1.0));
                continue;
            }
            var f = op.Elementwise!;
            var argument = Assert.Single(op.Arguments);
            Assert.Equal(ArgumentRole.PerSample, argument.Role);
            Assert.Equal(0, op.LayerInteriorArgument);
            double alpha = ConstantOf(op);
            foreach (double x in new[] { -1.3, -0.2, 0.4, 2.1 })
            {
                const double h = 1e-6;
                double value = f.Value(alpha, x);
                Assert.True(double.IsFinite(value), op + " f(" + x + ") = " + value);
                Assert.Equal(value, Activation.Apply(op.Kind, alpha, x));
                double derivative = f.Derivative(alpha, x);
                double difference = (f.Value(alpha, x + h) - f.Value(alpha, x - h)) / (2 * h);
                Assert.True(Math.Abs(derivative - difference) < 1e-6, op + " f'(" + x + ") = " + derivative + ", finite difference " + difference);
                if (!f.HasInverse(alpha)) continue;
                double back = f.Inverse(alpha, value);
                Assert.True(Math.Abs(back - x) < 1e-8, op + " f^-1(f(" + x + ")) = " + back);
            }
            if (!f.HasInverse(alpha)) Assert.Throws<ArgumentException>(() => Activation.Inverse(op.Kind, alpha, 0.5));
        }
    }

    [Fact]
    public void Every_computed_op_builds_from_its_argument_roles_and_reads_its_layer_structure()
    {
        foreach (var op in OpTable.All.Where(d => d.Role == NodeRole.Computed))
        {
            foreach (int count in op.IsVariadic ? new[] { op.MinArity, op.MinArity + 1 } : new[] { op.MinArity })
            {
                var b = new GraphBuilder("g");
                // Per-sample arguments are computed (a projection of an input each), so the layer structure can be read.
                var arguments = Enumerable.Range(0, count).Select(i => op.ArgumentAt(i).Role switch
                {
                    ArgumentRole.Weight => b.Weight("a" + i, Width, Width),
                    ArgumentRole.Bias => b.Bias("a" + i, Width),
                    ArgumentRole.Kernel => b.Kernel("a" + i, Width, Width, 2, 2),
                    _ when op.PerSampleRank == 3 => b.Identity(b.Input("x" + i, Shape.Image(Width, Side, Side)), "a" + i),
                    _ => b.MatVec(b.Weight("w" + i, Width, Width), b.Input("x" + i, Width), "a" + i),
                }).ToArray();
                var node = b.Op(op.Kind, "out", ConstantsOf(op), arguments);
                var graph = b.Build(node.Shape.IsVector ? node : b.Flatten(node, "flat"), LossKind.SquaredError);
                Assert.Equal(op.Kind, graph["out"].Op);
                // A slice keeps its count of units (1 by default); every other op keeps whole widths.
                Assert.True(graph["out"].Size % (op.Kind == OpKind.Slice ? 1 : Width) == 0, op + " gives " + graph["out"].Shape);
                for (int i = 0; i < count; i++)
                {
                    if (graph.Nodes[arguments[i].Id].Role != NodeRole.Computed) continue;
                    Assert.True(graph.LayerInterior[arguments[i].Id] == (op.LayerInteriorArgument == i), op + ": argument " + i + " interior is " + graph.LayerInterior[arguments[i].Id]);
                }
                if (op.Constants.Count > 0) Assert.Contains("out = " + op.Kind + "(" + string.Join(", ", ConstantsOf(op).Select(v => v.ToString(CultureInfo.InvariantCulture))) + ")(", graph.ToString());
                var tooFew = op.MinArity - 1;
                if (tooFew >= 0) Assert.Throws<GraphBuildException>(() => b.Op(op.Kind, "few", ConstantsOf(op), arguments.Take(tooFew).ToArray()));
                // A missing or extra constant is an error naming the op's constants, never a silent default.
                Assert.Contains("constant arguments; it takes", Assert.Throws<GraphBuildException>(() => b.Op(op.Kind, "wrong", ConstantsOf(op).Append(1.0).ToArray(), arguments)).Message);
            }
        }
    }

    [Theory]
    [MemberData(nameof(DeclarationNames))]
    public void The_vocabulary_and_the_parser_accept_every_declared_op(string declarationName)
    {
        Assert.True(OpTable.TryGetByDeclarationName(declarationName, out var op));
        int count = op.IsVariadic ? op.MinArity + 1 : op.MinArity;
        var leaves = new List<string>();
        var expected = new GraphBuilder("G");
        var arguments = new List<NodeRef>();
        for (int i = 0; i < count; i++)
        {
            string name = "a" + i;
            switch (op.ArgumentAt(i).Role)
            {
                case ArgumentRole.Weight:
                    leaves.Add("[Weight(" + Width + ", " + Width + ")] Node " + name);
                    arguments.Add(expected.Weight(name, Width, Width));
                    break;
                case ArgumentRole.Bias:
                    leaves.Add("[Bias(" + Width + ")] Node " + name);
                    arguments.Add(expected.Bias(name, Width));
                    break;
                case ArgumentRole.Kernel:
                    leaves.Add("[Kernel(" + Width + ", " + Width + ", 2, 2)] Node " + name);
                    arguments.Add(expected.Kernel(name, Width, Width, 2, 2));
                    break;
                case ArgumentRole.PerSample when op.PerSampleRank == 3:
                    leaves.Add("[Input(" + Width + ", " + Side + ", " + Side + ")] Node " + name);
                    arguments.Add(expected.Input(name, Shape.Image(Width, Side, Side)));
                    break;
                default:
                    leaves.Add("[Input(" + Width + ")] Node " + name);
                    arguments.Add(expected.Input(name, Width));
                    break;
            }
        }
        var callArguments = arguments.Select(a => a.Name).Concat(op.Constants.Select(c => c.Example.ToString("R", CultureInfo.InvariantCulture)));
        string call = declarationName + "(" + string.Join(", ", callArguments) + ")";
        // An op that gives an image is flattened, since a loss needs a vector; the parser names the inner node after the output.
        var node = expected.Op(op.Kind, op.PerSampleRank == 3 && op.Kind != OpKind.Flatten ? "output_" + op.Kind.ToString().ToLowerInvariant() : "output", ConstantsOf(op), arguments.ToArray());
        bool image = !node.Shape.IsVector;
        string source = GeneratorHarness.Declaration(
            "static Node Forward(" + string.Join(", ", leaves) + ") => " + (image ? "Flatten(" + call + ")" : call) + ";");
        var graph = expected.Build(image ? expected.Flatten(node, "output") : node, LossKind.SquaredError);

        Assert.Equal(graph.ToString(), GeneratorHarness.ParsedGraph(source));
        var (result, output) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Contains("private static Node " + declarationName + op.Signature + " =>", GeneratorHarness.GeneratedText(result, ".g.cs"));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void Unknown_op_diagnostic_lists_the_declared_ops()
    {
        var diagnostic = Assert.Single(GeneratorHarness.Diagnostics(GeneratorHarness.Declaration("static Node Forward([Input(2)] Node x) => Swish(x);")));
        string message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        Assert.StartsWith("'Swish' is not a graph op; the ops are ", message);
        foreach (var op in OpTable.Declared) Assert.Contains(op.DeclarationName!, message);
    }

    /// <summary>The constants an op is called with here: each constant's example.</summary>
    private static double[] ConstantsOf(OpDescriptor op) => op.Constants.Select(c => c.Example).ToArray();

    /// <summary>The constant an elementwise op is called with here: its first constant's example, zero for ops without constants.</summary>
    private static double ConstantOf(OpDescriptor op) => op.Constants.Count == 0 ? 0.0 : op.Constants[0].Example;
}
