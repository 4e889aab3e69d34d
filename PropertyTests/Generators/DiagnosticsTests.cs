using System.Linq;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>Every diagnostic ID fires on a minimal declaration, at the offending syntax.</summary>
public class DiagnosticsTests
{
    private const string Ok = "[Input(2)] Node x, [Weight(3, 2)] Node w";

    public static TheoryData<string, string, string> Cases => new()
    {
        // id, whole source (or a Forward declaration), the source text the diagnostic must point at
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public static class G { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public partial class G { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM002", "using Symbolic.Graph;\n[ComputationGraph] public static partial class G<T> { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM003", "using Symbolic.Graph;\npublic static partial class Outer { [ComputationGraph] public static partial class G { static Node Forward(" + Ok + ") => w * x; } }", "G" },
        { "SYM004", "static Node Backward(" + Ok + ") => w * x;", "G" },
        { "SYM005", "static Node Forward(" + Ok + ") { var h = w * x; if (h == null) { } return h; }", "if (h == null) { }" },
        { "SYM006", "static Node Forward(" + Ok + ") { var h = w * x; return h - h; }", "h - h" },
        { "SYM006", "static Node Forward(" + Ok + ") { var h = w * x; return Relu(h).Foo(); }", "Relu(h).Foo" },
        { "SYM007", "static Node Forward(" + Ok + ") { var h = w * x; return Swish(h); }", "Swish" },
        { "SYM008", "static Node Forward([Input(4)] Node x, [Weight(3, 2)] Node w) => w * x;", "w * x" },
        { "SYM008", "static Node Forward(" + Ok + ", [Bias(2)] Node b) => w * x + b;", "w * x + b" },
        { "SYM009", "static Node Forward(" + Ok + ", Node extra) => w * x;", "Node extra" },
        { "SYM010", "static Node Forward([Input(2)][Bias(2)] Node x, [Weight(3, 2)] Node w) => w * x;", "[Input(2)][Bias(2)] Node x" },
        { "SYM011", "static Node Forward(" + Ok + ", [Bias(7)] Node unused) => w * x;", "unused" },
        { "SYM012", "static Node Forward(" + Ok + ") { var h = w * x; return x; }", "x" },
        { "SYM012", "static Node Forward([Weight(3, 2)] Node w, [Bias(3)] Node b) => b;", "b" },
        { "SYM013", "static Node Forward([Input(0)] Node x, [Weight(3, 2)] Node w) => w * x;", "[Input(0)] Node x" },
        { "SYM014", "static Node Forward(" + Ok + ") => w * y;", "y" },
        { "SYM015", "static double s = 0.1;\nstatic Node Forward(" + Ok + ") => LeakyRelu(w * x, s);", "s" },
        { "SYM016", "static Node Forward(" + Ok + ") { var h = w * x; }", "Forward" },
        { "SYM017", "static Node Forward(" + Ok + ") { var h = w * x; var dead = Relu(h); return h; }", "dead" },
        { "SYM018", "using Symbolic.Graph;\n[ComputationGraph] public static partial class Float32 { static Node Forward(" + Ok + ") => w * x; }", "Float32" },
        { "SYM018", "static int Graph = 1;\nstatic Node Forward(" + Ok + ") => w * x;", "Graph" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_id_fires_at_its_location(string id, string source, string at)
    {
        if (!source.StartsWith("using", System.StringComparison.Ordinal)) source = GeneratorHarness.Declaration(source);
        var diagnostics = GeneratorHarness.Diagnostics(source);
        var hit = diagnostics.FirstOrDefault(d => d.Id == id);
        Assert.True(hit is not null, id + " was not reported; got: " + string.Join("; ", diagnostics.Select(d => d.Id + " " + d.GetMessage())));
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Error, hit!.Severity);
        var span = hit.Location.SourceSpan;
        Assert.Equal(at, source.Substring(span.Start, span.Length));
        Assert.DoesNotContain(diagnostics, d => d.Id == "SYM099");
    }

    [Fact]
    public void Shape_mismatch_names_both_shapes()
    {
        var diagnostics = GeneratorHarness.Diagnostics(GeneratorHarness.Declaration("static Node Forward([Input(4)] Node x, [Weight(3, 2)] Node w) => w * x;"));
        var message = Assert.Single(diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("[3, 2]", message);
        Assert.Contains("[4]", message);
    }

    [Fact]
    public void A_valid_declaration_has_no_diagnostics_and_compiles_cleanly()
    {
        var (result, output) = GeneratorHarness.Run(GeneratorHarness.Declaration("static Node Forward([Input(2)] Node x, [Weight(3, 2)] Node w, [Bias(3)] Node b) => Tanh(w * x + b);"));
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.GeneratedSources);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && d.Id != "CS1701" && d.Id != "CS1702"));
    }

    [Fact]
    public void An_invalid_declaration_still_gets_the_vocabulary_so_only_the_generator_reports()
    {
        var (result, output) = GeneratorHarness.Run(GeneratorHarness.Declaration("static Node Forward([Input(2)] Node x, [Weight(3, 2)] Node w) => Swish(w * x);"));
        Assert.Contains(result.Diagnostics, d => d.Id == "SYM007");
        // The only compiler error is the call of the unknown op itself.
        var errors = output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
        Assert.All(errors, e => Assert.Equal("CS0103", e.Id));
    }

    [Fact]
    public void Two_marked_parts_of_one_class_produce_one_file()
    {
        string source = "using Symbolic.Graph;\nnamespace Test;\n[ComputationGraph] public static partial class G { static Node Forward([Input(2)] Node x, [Weight(3, 2)] Node w) => w * x; }\n" +
            "[ComputationGraph] public static partial class G { }\n";
        var (result, _) = GeneratorHarness.Run(source);
        Assert.Null(result.Exception);
        Assert.Single(result.GeneratedSources);
    }
}
