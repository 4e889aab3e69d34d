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
        // A record, struct or interface: SYM001 at its name instead of silence.
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public partial record G { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public partial record struct G { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public partial struct G { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public partial interface G { static Node Forward(" + Ok + ") => w * x; }", "G" },
        { "SYM001", "using Symbolic.Graph;\n[ComputationGraph] public enum G { A }", "G" },
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
        { "SYM013", "static Node Forward([Input(0)] Node x, [Weight(3, 2)] Node w) => w * x;", "Input(0)" },
        // Sizes whose product overflows int: at the attribute; a computed shape that overflows: at the op.
        { "SYM013", "static Node Forward([Input(65536)] Node x, [Weight(65536, 65536)] Node w) => w * x;", "Weight(65536, 65536)" },
        { "SYM013", "static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node w, [Weight(46341, 46341)] Node big) => w * x;", "Weight(46341, 46341)" },
        { "SYM008", "static Node Forward([Input(2147483647)] Node x, [Weight(3, 2)] Node w) => w * Concat(x, x);", "Concat(x, x)" },
        { "SYM008", "static Node Forward([Input(1073741824)] Node x, [Input(1073741824)] Node y, [Weight(3, 2)] Node w) { var c = Concat(x, y); return w * c; }", "Concat(x, y)" },
        { "SYM013", "using Symbolic.Graph;\n[ComputationGraph(Loss = (LossKind)7)] public static partial class G { static Node Forward(" + Ok + ") => w * x; }", "Loss = (LossKind)7" },
        { "SYM014", "static Node Forward(" + Ok + ") => w * y;", "y" },
        { "SYM015", "static double s = 0.1;\nstatic Node Forward(" + Ok + ") => LeakyRelu(w * x, s);", "s" },
        // Image ops: a stride that is not an integer constant, a zero stride, a window that does not fit, channels that differ, a kernel attribute of three sizes.
        { "SYM015", "static Node Forward([Input(1, 6, 6)] Node x, [Kernel(2, 1, 3, 3)] Node k, [Weight(3, 32)] Node w) => w * Flatten(Conv2d(k, x, 1.5, 0));", "1.5" },
        { "SYM008", "static Node Forward([Input(1, 6, 6)] Node x, [Kernel(2, 1, 3, 3)] Node k, [Weight(3, 32)] Node w) => w * Flatten(Conv2d(k, x, 0, 0));", "Conv2d(k, x, 0, 0)" },
        { "SYM008", "static Node Forward([Input(1, 6, 6)] Node x, [Kernel(2, 1, 3, 3)] Node k, [Weight(3, 32)] Node w) => w * Flatten(MaxPool(Conv2d(k, x, 1, 0), 5, 1));", "MaxPool(Conv2d(k, x, 1, 0), 5, 1)" },
        { "SYM008", "static Node Forward([Input(2, 6, 6)] Node x, [Kernel(2, 1, 3, 3)] Node k, [Weight(3, 32)] Node w) => w * Flatten(Conv2d(k, x, 1, 0));", "Conv2d(k, x, 1, 0)" },
        { "SYM013", "static Node Forward([Input(1, 6, 6)] Node x, [Kernel(2, 1, 3)] Node k, [Weight(3, 32)] Node w) => w * Flatten(Conv2d(k, x, 1, 0));", "Kernel(2, 1, 3)" },
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

    [Theory]
    [InlineData("public partial record G", "a record")]
    [InlineData("public partial struct G", "a struct")]
    [InlineData("public partial interface G", "an interface")]
    [InlineData("public partial class G", "not static")]
    [InlineData("public static class G", "not partial")]
    public void Not_a_static_partial_class_says_what_it_is(string head, string what)
    {
        var (result, _) = GeneratorHarness.Run("using Symbolic.Graph;\n[ComputationGraph] " + head + " { static Node Forward(" + Ok + ") => w * x; }");
        var hit = Assert.Single(result.Diagnostics);
        Assert.Equal("SYM001", hit.Id);
        var message = hit.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("must be a static partial class", message);
        Assert.EndsWith("it is " + what, message);
        // Only a class can take the vocabulary; nothing is emitted into a record, struct or interface.
        Assert.Equal(head.Contains("class") && head.Contains("partial") ? 1 : 0, result.GeneratedSources.Length);
    }

    [Fact]
    public void Overflowing_sizes_have_a_clear_message()
    {
        var diagnostics = GeneratorHarness.Diagnostics(GeneratorHarness.Declaration("static Node Forward([Input(65536)] Node x, [Weight(65536, 65536)] Node w) => w * x;"));
        var message = Assert.Single(diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("Weight(65536, 65536) has 4294967296 elements", message);
        Assert.Contains("int.MaxValue", message);
        diagnostics = GeneratorHarness.Diagnostics(GeneratorHarness.Declaration("static Node Forward([Input(2147483647)] Node x, [Weight(3, 2)] Node w) => w * Concat(x, x);"));
        message = Assert.Single(diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("4294967294 elements in all", message);
    }

    public static TheoryData<string> ReservedMembers => new()
    {
        "static int Node = 1;", "class Node { }", "static int Relu(int x) => x;", "static int Concat = 2;", "static void Graph() { }", "static int Float64 = 1;",
        "struct Float32 { }", "static int CreateGraph;", "static int MatVec(int a, int b) => a;",
    };

    [Theory]
    [MemberData(nameof(ReservedMembers))]
    public void A_reserved_member_is_SYM018_and_the_generated_file_stays_free_of_errors(string member)
    {
        var outcome = GeneratedCode.Generate(GeneratorHarness.Declaration(member + "\nstatic Node Forward(" + Ok + ") => w * x;"));
        Assert.Contains(outcome.Result.Diagnostics, d => d.Id == "SYM018");
        Assert.DoesNotContain(outcome.Result.Diagnostics, d => d.Id == "SYM099");
        Assert.True(outcome.GeneratedErrors.Count == 0, outcome.Describe());
    }

    [Theory]
    [InlineData("Node")]
    [InlineData("Relu")]
    [InlineData("Graph")]
    [InlineData("Float32")]
    public void A_class_named_like_a_generated_member_is_SYM018_and_the_generated_file_stays_free_of_errors(string name)
    {
        var outcome = GeneratedCode.Generate(GeneratorHarness.Declaration("static Node Forward(" + Ok + ") => w * x;", className: name));
        Assert.Contains(outcome.Result.Diagnostics, d => d.Id == "SYM018");
        Assert.True(outcome.GeneratedErrors.Count == 0, outcome.Describe());
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
