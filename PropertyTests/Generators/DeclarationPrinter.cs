using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using Symbolic.Graph;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// Prints a <c>ComputationGraph</c> as a C# declaration the generator reads back into the same graph: one
/// Forward parameter per leaf (inputs first), one local per computed node, named as the node, and a final return.
/// The style alternates between operators and op calls so both spellings are exercised.
/// </summary>
public static class DeclarationPrinter
{
    /// <summary>The declaration of <paramref name="graph"/> as class <paramref name="className"/> in namespace Test.</summary>
    public static string Print(ComputationGraph graph, string className, int style = 0)
    {
        var sb = new StringBuilder();
        sb.Append("using Symbolic.Graph;\n\nnamespace Test;\n\n");
        sb.Append("[ComputationGraph(Loss = LossKind.").Append(graph.Loss).Append(")]\n");
        sb.Append("public static partial class ").Append(className).Append("\n{\n");
        var leaves = graph.InputIds.Concat(graph.ParameterIds).Select(id => graph.Nodes[id]);
        sb.Append("    static Node Forward(").Append(string.Join(", ", leaves.Select(Leaf))).Append(")\n    {\n");
        foreach (var id in graph.UnitIds)
        {
            var n = graph.Nodes[id];
            sb.Append("        var ").Append(Id(n.Name)).Append(" = ").Append(Expression(graph, n, (n.Id + style) % 3)).Append(";\n");
        }
        sb.Append("        return ").Append(Id(graph.Output.Name)).Append(";\n    }\n}\n");
        return sb.ToString();
    }

    private static string Id(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string Leaf(Node n) => n.Op switch
    {
        OpKind.Input when n.Shape.Rank == 3 => "[Input(" + string.Join(", ", n.Shape.Dims) + ")] Node " + Id(n.Name),
        OpKind.Input => "[Input(" + n.Size + ")] Node " + Id(n.Name),
        OpKind.Kernel => "[Kernel(" + string.Join(", ", n.Shape.Dims) + ")] Node " + Id(n.Name),
        OpKind.Weight => "[Weight(" + n.Shape.Dims[0] + ", " + n.Shape.Dims[1] + ")] Node " + Id(n.Name),
        _ => "[Bias(" + n.Size + ")] Node " + Id(n.Name),
    };

    private static string Expression(ComputationGraph g, Node n, int style)
    {
        var a = n.Inputs.Select(p => Id(g.Nodes[p].Name)).ToArray();
        return n.Op switch
        {
            // The operator spellings the parser also reads; every op (these too, in style 0) has its call spelling.
            OpKind.MatVec when style != 0 => a[0] + " * " + a[1],
            OpKind.BiasAdd when style == 1 => a[0] + " + " + a[1],
            OpKind.BiasAdd when style == 2 => "(" + a[1] + " + " + a[0] + ")",
            OpKind.ChannelBiasAdd when style == 1 => a[0] + " + " + a[1],
            OpKind.ChannelBiasAdd when style == 2 => "(" + a[1] + " + " + a[0] + ")",
            OpKind.Add when a.Length == 2 && style != 0 => a[0] + " + " + a[1],
            OpKind.Mul when style != 0 => a[0] + " * " + a[1],
            _ => Call(OpTable.For(n.Op), n, a),
        };
    }

    /// <summary>DeclarationName(arguments[, constants]), the constants printed round-trip.</summary>
    private static string Call(OpDescriptor op, Node n, string[] arguments) =>
        op.DeclarationName + "(" + string.Join(", ", arguments.Concat(op.ConstantValues(n).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))) + ")";
}
