using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Symbolic.Generators;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>The pipeline caches: an unrelated edit reuses the parse and the output; an edit of the graph reruns them.</summary>
public class IncrementalTests
{
    private static readonly string Source = GeneratorHarness.Declaration(
        "static Node Forward([Input(3)] Node x, [Weight(2, 3)] Node w, [Bias(2)] Node b) => Relu(w * x + b);");

    private static GeneratorRunResult RunTwice(Compilation first, Compilation second)
    {
        var driver = GeneratorHarness.Driver(track: true).RunGenerators(first);
        driver = driver.RunGenerators(second);
        return driver.GetRunResult().Results.Single();
    }

    [Fact]
    public void An_unrelated_edit_is_served_from_the_cache()
    {
        var compilation = GeneratorHarness.Compilation(Source);
        var edited = compilation.Clone().AddSyntaxTrees(CSharpSyntaxTree.ParseText("public static class Unrelated { public static int One => 1; }", GeneratorHarness.ParseOptions));
        var result = RunTwice(compilation, edited);

        var parse = result.TrackedSteps[GraphGenerator.ParseStep].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(parse);
        Assert.All(parse, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "parse step: " + o.Reason));

        var outputs = result.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_one_graph_leaves_another_graphs_output_cached()
    {
        var other = CSharpSyntaxTree.ParseText(Source.Replace("class G", "class Other"), GeneratorHarness.ParseOptions, "Other.cs");
        var compilation = GeneratorHarness.Compilation(Source).AddSyntaxTrees(other);
        var tree = compilation.SyntaxTrees.First();
        var changed = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(tree.ToString().Replace("Weight(2, 3)", "Weight(4, 3)").Replace("Bias(2)", "Bias(4)"), GeneratorHarness.ParseOptions, tree.FilePath));
        var result = RunTwice(compilation, changed);
        // The collected class names did not change, so the hint-name step is not modified and only G's output reruns.
        var names = result.TrackedSteps[GraphGenerator.NamesStep].SelectMany(s => s.Outputs).ToList();
        Assert.All(names, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "names step: " + o.Reason));
        var outputs = result.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs).ToList();
        Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(outputs, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void Adding_a_class_whose_name_differs_only_by_case_numbers_both_files()
    {
        var compilation = GeneratorHarness.Compilation(Source);
        var driver = GeneratorHarness.Driver(track: true).RunGenerators(compilation);
        Assert.Equal("Test.G.g.cs", driver.GetRunResult().Results.Single().GeneratedSources.Single().HintName);
        var twin = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Source.Replace("class G", "class g"), GeneratorHarness.ParseOptions, "Twin.cs"));
        var result = driver.RunGenerators(twin).GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Equal(new[] { "Test.G.1.g.cs", "Test.g.2.g.cs" }, result.GeneratedSources.Select(s => s.HintName).OrderBy(h => h, System.StringComparer.Ordinal));
    }

    [Fact]
    public void Editing_the_declaration_reruns_the_output()
    {
        var compilation = GeneratorHarness.Compilation(Source);
        var tree = compilation.SyntaxTrees.Single();
        string edited = tree.ToString().Replace("Weight(2, 3)", "Weight(4, 3)").Replace("Bias(2)", "Bias(4)");
        var changed = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, tree.FilePath));
        var result = RunTwice(compilation, changed);
        var outputs = result.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.Contains(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("builder.Weight(\"w\", 4, 3)", result.GeneratedSources.Single().SourceText.ToString());
    }
}
