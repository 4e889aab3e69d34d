using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// Compiles what the generator produced and runs it: the errors inside the generated files, the errors anywhere, and a
/// smoke run of every generated graph struct (forward, backprop, one backprop step through the compiled driver) called
/// generically through reflection, as <see cref="CompiledHarness"/> does.
/// </summary>
public static class GeneratedCode
{
    /// <summary>Which generated structs a check runs after loading the assembly.</summary>
    public enum RunMode
    {
        /// <summary>None: compile, emit and load only.</summary>
        None,
        /// <summary>The Float64 structs.</summary>
        Float64,
        /// <summary>Float64 and Float32.</summary>
        Both,
    }

    /// <summary>The generator's result for a compilation, and the compiler's errors after adding the generated files.</summary>
    public sealed record Outcome(GeneratorRunResult Result, Compilation Output, IReadOnlyList<Diagnostic> GeneratedErrors, IReadOnlyList<Diagnostic> Errors)
    {
        /// <summary>The generator's own diagnostics, as "ID message" lines, for failure messages.</summary>
        public string Describe() =>
            string.Join("\n", Result.Diagnostics.Concat(Errors).Select(d => d.Id + " " + d.Location.GetLineSpan() + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Runs the generator over <paramref name="sources"/> and compiles the result (errors only; nothing is emitted).</summary>
    public static Outcome Generate(params string[] sources) => Generate(GeneratorHarness.Compilation(sources));

    /// <summary>Runs the generator over <paramref name="compilation"/> and compiles the result.</summary>
    public static Outcome Generate(Compilation compilation)
    {
        var (result, output) = GeneratorHarness.Run(compilation);
        var generated = new HashSet<SyntaxTree>(result.GeneratedSources.Select(s => s.SyntaxTree));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var inGenerated = errors.Where(d => d.Location.SourceTree is not null && generated.Contains(d.Location.SourceTree)).ToList();
        return new Outcome(result, output, inGenerated, errors);
    }

    /// <summary>
    /// The warnings the compiler reports inside the generated files (the generated code must be warning-free wherever the
    /// user's code is).
    /// </summary>
    public static IReadOnlyList<Diagnostic> GeneratedWarnings(Outcome outcome)
    {
        var generated = new HashSet<SyntaxTree>(outcome.Result.GeneratedSources.Select(s => s.SyntaxTree));
        return outcome.Output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is not null && generated.Contains(d.Location.SourceTree))
            .ToList();
    }

    /// <summary>Emits a compilation that has no errors (warnings in the user's code allowed) and loads it into a collectible context.</summary>
    public static (Assembly Assembly, AssemblyLoadContext Context) Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, "The compilation failed:\n" + string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
        stream.Position = 0;
        var context = new AssemblyLoadContext("generated" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return (context.LoadFromStream(stream), context);
    }

    /// <summary>The generated primitives structs (Float64 and Float32 of every graph class) of a loaded assembly.</summary>
    public static IEnumerable<(Type Struct, Type Scalar)> GraphStructs(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICompiledGraph<>)).Select(i => (t, i.GetGenericArguments()[0])))
            .OrderBy(p => p.t.FullName, StringComparer.Ordinal);

    /// <summary>The number of elements a run of a graph allocates per sample and for its parameters (to skip graphs too large to run).</summary>
    public static long Elements(ComputationGraph graph) => graph.Nodes.Sum(n => (long)n.Shape.Dims.Aggregate(1L, (a, d) => a * d));

    /// <summary>Runs <see cref="Run{TGraph, T}"/> on a generated struct through reflection.</summary>
    public static double Invoke(Type graphStruct, Type scalar, int seed) =>
        (double)typeof(GeneratedCode).GetMethod(nameof(Run))!.MakeGenericMethod(graphStruct, scalar).Invoke(null, new object[] { seed })!;

    /// <summary>
    /// One smoke run of a generated graph: the generated <c>Parameters.Initialise</c> and properties, the forward pass and
    /// backprop through <see cref="GraphPasses{TGraph, T}"/>, then one backprop step (SGD) through the compiled driver, whose
    /// loss must equal the forward pass's. Returns the loss.
    /// </summary>
    public static double Run<TGraph, T>(int seed)
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int Batch = 2;
        var layout = TGraph.Layout;
        var g = layout.Graph;

        // The generated Parameters class: Initialise equals ParameterSet.Initialise, one property per parameter in order.
        var parametersType = typeof(TGraph).GetNestedType("Parameters")!;
        var generated = (ParameterArrays<T>)parametersType.GetMethod("Initialise")!.Invoke(null, new object[] { seed, Initialiser.Normal005 })!;
        var properties = parametersType.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        Assert.Equal(g.ParameterIds.Count, properties.Length);
        for (int k = 0; k < properties.Length; k++) Assert.Same(generated.Arrays[k], properties[k].GetValue(generated));
        var constants = typeof(TGraph).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.Equal(g.InputIds.Count + 3, constants.Count);

        var p = new ParameterArrays<T>(layout);
        p.CopyFrom(ParameterSet.Initialise(g, seed));
        var random = new Random(seed);
        var inputs = g.InputIds.Select(id => Enumerable.Range(0, Batch * g.Nodes[id].Size).Select(_ => T.CreateChecked(random.NextDouble() - 0.5)).ToArray()).ToArray();
        var targets = new T[Batch * layout.OutputSize];
        for (int s = 0; s < Batch; s++) targets[s * layout.OutputSize + random.Next(layout.OutputSize)] = T.One;
        var data = new CompiledBatch<T>(inputs, targets, Batch);

        var ws = new Workspace<T>(layout, Batch);
        T loss = GraphPasses<TGraph, T>.Forward(p, data, ws);
        GraphPasses<TGraph, T>.Backprop(p, ws, Batch);
        Assert.True(T.IsFinite(loss), "loss " + loss);
        Assert.All(ws.Gradients, gradient => Assert.All(gradient, v => Assert.True(T.IsFinite(v))));

        var rule = new BackpropRule();
        using var state = rule.CreateState<TGraph, T>(Batch);
        T stepLoss = rule.Step(p, data, new Sgd(0.01), state);
        Assert.Equal(double.CreateChecked(loss), double.CreateChecked(stepLoss), 1e-4 * (1 + Math.Abs(double.CreateChecked(loss))));
        return double.CreateChecked(loss);
    }

    /// <summary>
    /// Asserts that every source compiles and runs (<see cref="AssertCompilesAndRuns"/>), all in one compilation (one compile,
    /// one load); when that fails, each source alone, so the message names the culprits. Returns the number of structs run.
    /// </summary>
    public static int AssertEachCompilesAndRuns(IReadOnlyList<(string Label, string Source)> cases, RunMode run = RunMode.Both)
    {
        var together = Generate(cases.Select(c => c.Source).ToArray());
        if (together.Result.Exception is null && together.Result.Diagnostics.IsEmpty && together.Errors.Count == 0 && GeneratedWarnings(together).Count == 0)
        {
            return AssertCompilesAndRuns(together, cases.Count + " sources", run);
        }
        var failures = new List<string>();
        foreach (var (label, source) in cases)
        {
            try
            {
                AssertCompilesAndRuns(Generate(source), label, run);
            }
            catch (Exception e)
            {
                failures.Add(label + ": " + e.Message);
            }
        }
        Assert.True(failures.Count == 0, failures.Count + " of " + cases.Count + " failed:\n" + string.Join("\n\n", failures.Take(10)));
        Assert.Fail("The sources compile and run one by one but not together:\n" + together.Describe());
        return 0;
    }

    /// <summary>
    /// Asserts that the generator reported nothing, that the compilation (user code and generated files) has no error and
    /// no warning inside the generated files, and runs every generated graph struct; returns the number of structs run.
    /// </summary>
    public static int AssertCompilesAndRuns(Outcome outcome, string what, RunMode run = RunMode.Both)
    {
        Assert.True(outcome.Result.Exception is null, "The generator threw " + outcome.Result.Exception + "\non " + what);
        Assert.True(outcome.Result.Diagnostics.IsEmpty && outcome.Errors.Count == 0, "Expected clean code for " + what + ", got:\n" + outcome.Describe());
        var warnings = GeneratedWarnings(outcome);
        Assert.True(warnings.Count == 0, "Warnings in the generated code for " + what + ":\n" + string.Join("\n", warnings));
        var (assembly, context) = Load(outcome.Output);
        int ran = 0;
        try
        {
            foreach (var (type, scalar) in GraphStructs(assembly))
            {
                // Every graph value is built (the static Graph of the declaring class), whatever runs.
                Assert.NotNull(type.DeclaringType!.GetProperty("Graph", BindingFlags.Public | BindingFlags.Static)!.GetValue(null));
                if (run == RunMode.None || (run == RunMode.Float64 && scalar != typeof(double))) continue;
                Invoke(type, scalar, seed: 1);
                ran++;
            }
        }
        finally
        {
            context.Unload();
        }
        return ran;
    }
}
