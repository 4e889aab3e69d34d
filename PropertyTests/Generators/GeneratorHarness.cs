using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Symbolic.Generators;

namespace Symbolic.PropertyTests.Generators;

/// <summary>Runs the generator over in-memory compilations and loads what they produce.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Concat(new[]
            {
                typeof(Symbolic.Graph.ComputationGraph).Assembly,
                typeof(Symbolic.Rules.ParameterSet).Assembly,
                typeof(MathNet.Numerics.LinearAlgebra.Matrix<double>).Assembly,
                typeof(System.Numerics.Tensors.TensorPrimitives).Assembly,
            }.Select(a => MetadataReference.CreateFromFile(a.Location)))
            .ToImmutableArray());

    /// <summary>The references of every test compilation: the .NET 10 reference pack, Graph, Rules and MathNet.</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>The source folder of this file (for baselines and the examples' sources).</summary>
    public static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    /// <summary>A compilation of the given sources (a library, nullable enabled).</summary>
    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("Gen" + Guid.NewGuid().ToString("N"),
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Source" + i + ".cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
                {
                    // MathNet 5 targets System.Runtime 6.0; the SDK silences these unification notes too.
                    ["CS1701"] = ReportDiagnostic.Suppress,
                    ["CS1702"] = ReportDiagnostic.Suppress,
                }));

    /// <summary>A driver for the generator, optionally tracking steps.</summary>
    public static GeneratorDriver Driver(bool track = false) =>
        CSharpGeneratorDriver.Create(new[] { new GraphGenerator().AsSourceGenerator() }, parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    /// <summary>Runs the generator on the sources; returns its single result and the updated compilation.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(params string[] sources) => Run(Compilation(sources));

    /// <summary>Runs the generator on a compilation.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(Compilation compilation, bool track = false)
    {
        var driver = Driver(track).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>The generator's diagnostics for the sources.</summary>
    public static ImmutableArray<Diagnostic> Diagnostics(params string[] sources) => Run(sources).Result.Diagnostics;

    /// <summary>The model the parse step made (tracked), as an object of the generator's internal GraphModel type.</summary>
    public static object ParsedModel(string source)
    {
        var (result, _) = Run(Compilation(source), track: true);
        var step = result.TrackedSteps[GraphGenerator.ParseStep].Single();
        return step.Outputs.Single().Value;
    }

    /// <summary>The graph the parser made, printed with ComputationGraph.ToString (null when the declaration has errors).</summary>
    public static string? ParsedGraph(string source)
    {
        var model = ParsedModel(source);
        return model.GetType().GetProperty("Graph")!.GetValue(model)?.ToString();
    }

    /// <summary>Emits the compilation (failing on any error or warning) and loads it into a collectible context.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        var problems = emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!emitted.Success || problems.Count > 0)
        {
            throw new InvalidOperationException("The compilation failed:\n" + string.Join("\n", problems.Take(20)));
        }
        stream.Position = 0;
        var context = new AssemblyLoadContext("generated" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return context.LoadFromStream(stream);
    }

    /// <summary>The text of the generated file whose hint name ends with <paramref name="suffix"/>.</summary>
    public static string GeneratedText(GeneratorRunResult result, string suffix) =>
        result.GeneratedSources.Single(s => s.HintName.EndsWith(suffix, StringComparison.Ordinal)).SourceText.ToString();

    /// <summary>Wraps a Forward declaration in a [ComputationGraph] class.</summary>
    public static string Declaration(string forward, string loss = "SquaredError", string className = "G", string head = "public static partial class") =>
        "using Symbolic.Graph;\n\nnamespace Test;\n\n[ComputationGraph(Loss = LossKind." + loss + ")]\n" + head + " " + className + "\n{\n" + forward + "\n}\n";
}
