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
        OpKind.Input => "[Input(" + n.Size + ")] Node " + Id(n.Name),
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
            OpKind.Add when a.Length == 2 && style != 0 => a[0] + " + " + a[1],
            OpKind.Mul when style != 0 => a[0] + " * " + a[1],
            _ => Call(OpTable.For(n.Op), n, a),
        };
    }

    /// <summary>DeclarationName(arguments[, constants]), the constants printed round-trip.</summary>
    private static string Call(OpDescriptor op, Node n, string[] arguments) =>
        op.DeclarationName + "(" + string.Join(", ", arguments.Concat(op.ConstantValues(n).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))) + ")";

    /// <summary>
    /// A harness compiled next to the generated code: runs Float64 or Float32 end to end through reflection-friendly
    /// arrays and returns every value, adjoint, gradient, unit and AR update by name (as doubles).
    /// </summary>
    public static string Harness(ComputationGraph graph, string className)
    {
        var sb = new StringBuilder();
        sb.Append("using System.Collections.Generic;\nusing System.Linq;\nusing Symbolic.Graph;\nusing Symbolic.Rules;\n\nnamespace Test;\n\n");
        sb.Append("public static class ").Append(className).Append("Harness\n{\n");
        foreach (var (engine, t) in new[] { ("Float64", "double"), ("Float32", "float") })
        {
            string convertIn = t == "double" ? "a" : "a.Select(v => (float)v).ToArray()";
            string convertOut = t == "double" ? "a.ToArray()" : "a.Select(v => (double)v).ToArray()";
            string args = string.Join(", ", graph.InputIds.Select((_, i) => "In(inputs[" + i + "])"));
            sb.Append($@"    public static Dictionary<string, double[]> Run{engine}(ParameterSet set, double[][] inputs, double[] targets, int batch, double eta, int steps, double tolerance, int schedule, int units)
    {{
        static {t}[] In(double[] a) => {convertIn};
        static double[] Out(IEnumerable<{t}> a) => {convertOut};
        var g = {className}.Graph;
        var p = {className}.{engine}.Parameters.FromParameterSet(set);
        var ws = new {className}.{engine}.Workspace(batch + 1);
        var r = new Dictionary<string, double[]>();
        r[""loss""] = new double[] {{ {className}.{engine}.Forward(p, {args}, In(targets), batch, ws) }};
        foreach (var n in g.Nodes.Where(n => n.Role != NodeRole.Parameter)) r[""value:"" + n.Name] = Out(ws.GetValue(n.Name).Take(batch * n.Size));
        {className}.{engine}.Backprop(p, batch, ws);
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Computed)) r[""adjoint:"" + n.Name] = Out(ws.GetAdjoint(n.Name).Take(batch * n.Size));
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Parameter)) r[""grad:"" + n.Name] = Out(ws.Gradients.Get(n.Name));
        r[""iterations""] = new double[] {{ {className}.{engine}.Relax(p, batch, ({t})eta, steps, tolerance, (RelaxationSchedule)schedule, ws, (UnitPlacement)units) }};
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Computed)) r[""unit:"" + n.Name] = Out(ws.GetUnit(n.Name).Take(batch * n.Size));
        {className}.{engine}.ArUpdates(batch, ws);
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Parameter)) r[""ar:"" + n.Name] = Out(ws.Gradients.Get(n.Name));
        // One training step of each rule (SGD fused into the products), single-threaded and through the Parallel trainer.
        var lr = ({t})0.01;
        var bp1 = {className}.{engine}.Parameters.FromParameterSet(set);
        {className}.{engine}.TrainStepBackprop(bp1, {args}, In(targets), batch, lr, ws);
        var ar1 = {className}.{engine}.Parameters.FromParameterSet(set);
        {className}.{engine}.TrainStepAr(ar1, {args}, In(targets), batch, lr, ({t})eta, steps, ws, (RelaxationSchedule)schedule, (UnitPlacement)units);
        var bp2 = {className}.{engine}.Parameters.FromParameterSet(set);
        var ar2 = {className}.{engine}.Parameters.FromParameterSet(set);
        using (var parallel = new {className}.{engine}.Parallel(2, batch))
        {{
            parallel.TrainStepBackprop(bp2, {args}, In(targets), batch, lr);
            parallel.TrainStepAr(ar2, {args}, In(targets), batch, lr, ({t})eta, steps, (RelaxationSchedule)schedule, (UnitPlacement)units);
        }}
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Parameter))
        {{
            r[""step-bp:"" + n.Name] = Out(bp1.Get(n.Name));
            r[""step-ar:"" + n.Name] = Out(ar1.Get(n.Name));
            r[""parallel-bp:"" + n.Name] = Out(bp2.Get(n.Name));
            r[""parallel-ar:"" + n.Name] = Out(ar2.Get(n.Name));
        }}
        return r;
    }}

");
        }
        sb.Append("}\n");
        return sb.ToString();
    }
}
