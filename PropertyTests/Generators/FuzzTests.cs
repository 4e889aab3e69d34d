using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Symbolic.Graph;
using Symbolic.PropertyTests.Arbitraries;
using Xunit;
using Xunit.Abstractions;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// Mutated valid declarations only ever give SYM diagnostics at the user's code (never SYM099, never an exception, never
/// an error or warning inside a generated file), or code that compiles with zero errors and runs: each case is compiled in
/// memory with what the generator produced and, when it is clean, loaded and run (the forward pass, backprop and one
/// backprop step of every generated Float64 struct, through <see cref="GeneratedCode.Run{TGraph, T}"/>).
/// Mutations: deleted spans, inserted tokens, duplicated, swapped and truncated lines; renames of identifiers to arbitrary
/// ones (keywords with '@', contextual keywords, unicode, names of emitted members, names equal to another up to case or a
/// trailing underscore, leading underscores); sizes up to and past int overflow; shared biases and weights; a second class
/// whose name differs only by case. The seeds are the example models and random recipes (shared weights and biases) printed
/// as declarations. The number of cases is SYMBOLIC_PROPERTY_RUNS (default <see cref="DefaultRuns"/>, about 10 s on 2 cores).
/// </summary>
public class FuzzTests
{
    /// <summary>The number of cases when SYMBOLIC_PROPERTY_RUNS is not set.</summary>
    public const int DefaultRuns = 100;

    /// <summary>Graphs with more elements than this (per sample and in parameters) are compiled and loaded but not run.</summary>
    private const long RunLimit = 1 << 21;

    private readonly ITestOutputHelper output;

    public FuzzTests(ITestOutputHelper output) => this.output = output;

    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : DefaultRuns;

    private static readonly string[] Tokens =
    {
        "+", "*", "-", "(", ")", "{", "}", ";", ",", "=", "=>", "var ", "return ", "Relu(", "LeakyRelu(", "Concat(", "Add(", "Mul(", "MatVec(", "BiasAdd(",
        "x", "w", "h", "Node ", "[Input(3)] ", "[Weight(2, 3)] ", "[Bias(2)] ", "[ComputationGraph] ", "static ", "partial ", "0.5", "-1", "0", "\"s\"",
        "/*", "*/", "//", "\n", "new ", "default", "null", "this.", "<T>", "ref ", "params ", "Forward", "class ", "?", "!", "[", "]", "@",
        "record ", "struct ", "interface ", "sealed ", "abstract ", "[Input(2147483647)] ", "[Weight(65536, 65536)] ", "int.MaxValue", "namespace N;\n",
        "static int Node;\n", "static int Relu;\n", "class var { }\n", "static int nameof(int x) => x;\n", "\u200D", "\u0301", "ä",
    };

    /// <summary>Sizes to put in attributes: small, around sqrt(int.MaxValue), at and past int.MaxValue, not integers.</summary>
    private static readonly string[] Sizes =
    {
        "0", "1", "-3", "2", "7", "65536", "46340", "46341", "1073741824", "1073741825", "2147483647", "2147483648", "99999999999", "2.5", "int.MaxValue", "(1 << 30)", "0x7FFFFFFF",
    };

    /// <summary>Identifiers in unicode scripts, with combining marks and formatting characters, and one outside the BMP.</summary>
    private static readonly string[] Unicode = { "ä", "Ä", "ß", "中文", "Ω", "ω", "ı", "İ", "x\u0301", "a\u200Db", "ǅ", "Σσς", "\U0001D465", "ℌ", "ⅻ", "_\u0660" };

    /// <summary>Names that broke (or would break) the emitted code: keywords after PascalCasing, emitted members, underscores.</summary>
    private static readonly string[] Tricky =
    {
        "@__arglist", "@__makeref", "@__reftype", "@__refvalue", "parameters", "output", "arrays", "layout", "get", "_", "__", "@var", "nameof", "@class", "equals",
    };

    private static readonly Lazy<string[]> Keywords = new(() =>
        SyntaxFacts.GetKeywordKinds().Select(SyntaxFacts.GetText).Where(t => t.Length > 0).Select(t => "@" + t)
            .Concat(SyntaxFacts.GetContextualKeywordKinds().Select(SyntaxFacts.GetText).Where(t => t.Length > 0 && SyntaxFacts.IsValidIdentifier(t)))
            .Distinct().ToArray());

    private static readonly Lazy<string[]> Seeds = new(() =>
    {
        string models = Path.Combine(GeneratorHarness.SourceFolder(), "..", "..", "examples", "Models");
        var random = new RecipeStep[]
        {
            new(StepKind.Linear, 4, 0, 0, 1, false, OpKind.Tanh, 0.1), new(StepKind.Activation, 4, 1, 0, 0, false, OpKind.LeakyRelu, 0.2),
            new(StepKind.Mul, 3, 2, 1, 0, false, OpKind.Relu, 0.1), new(StepKind.Concat, 3, 3, 0, 0, false, OpKind.Relu, 0.1),
            new(StepKind.Add, 3, 4, 2, 3, true, OpKind.Relu, 0.1),
            // A second layer of width 4 sharing the first layer's bias (C odd) and weight.
            new(StepKind.Linear, 4, 1, 0, 1, true, OpKind.Relu, 0.1),
        };
        var graph = RecipeBuilder.Build(new GraphRecipe(EquatableArray.Create(3, 2), random.ToEquatableArray(), 2, LossKind.SoftmaxCrossEntropy, 2, 1)).Graph;
        return new[]
        {
            File.ReadAllText(Path.Combine(models, "PaperMlp.cs")),
            File.ReadAllText(Path.Combine(models, "GatedResidual.cs")),
            DeclarationPrinter.Print(graph, "Printed", style: 0),
            DeclarationPrinter.Print(graph, "Printed", style: 1),
        };
    });

    private static readonly OpKind[] Activations = OpTable.All.Where(op => op.IsElementwise).Select(op => op.Kind).ToArray();

    /// <summary>A random recipe (as GraphArbitraries draws them) printed as a declaration: shared weights and biases, every op.</summary>
    private static string RandomDeclaration(Random r)
    {
        var steps = Enumerable.Range(0, r.Next(1, 8)).Select(_ => new RecipeStep(
            (StepKind)r.Next(5), r.Next(1, 6), r.Next(100), r.Next(100), r.Next(100), r.Next(2) == 0, Activations[r.Next(Activations.Length)], r.Next(1, 30) / 100.0)).ToArray();
        var inputs = Enumerable.Range(0, r.Next(1, 3)).Select(_ => r.Next(1, 6)).ToArray();
        var recipe = new GraphRecipe(inputs.ToEquatableArray(), steps.ToEquatableArray(), r.Next(1, 5), r.Next(2) == 0 ? LossKind.SquaredError : LossKind.SoftmaxCrossEntropy, 1, 1);
        return DeclarationPrinter.Print(RecipeBuilder.Build(recipe).Graph, "Random", style: r.Next(3));
    }

    /// <summary>An arbitrary identifier, often one that collides with an emitted name or with <paramref name="existing"/> up to case.</summary>
    private static string RandomIdentifier(Random r, IReadOnlyList<string> existing)
    {
        switch (r.Next(7))
        {
            case 0:
                return Keywords.Value[r.Next(Keywords.Value.Length)];
            case 6:
                return Tricky[r.Next(Tricky.Length)];
            case 1:
            case 2:
                return CleanCodeTests.CollidingNames[r.Next(CleanCodeTests.CollidingNames.Length)];
            case 3:
                return Unicode[r.Next(Unicode.Length)];
            default:
            {
                // A twin of another identifier of the source: up to case, a trailing or leading underscore.
                string other = existing.Count == 0 ? "x" : existing[r.Next(existing.Count)];
                return r.Next(6) switch
                {
                    0 => char.ToUpperInvariant(other[0]) + other.Substring(1),
                    1 => char.ToLowerInvariant(other[0]) + other.Substring(1),
                    2 => other.ToUpperInvariant(),
                    3 => other + "_",
                    4 => "_" + other,
                    _ => "__" + other,
                };
            }
        }
    }

    private static string Replace(string text, IEnumerable<(TextSpanLike Span, string With)> edits)
    {
        var sb = new StringBuilder(text);
        foreach (var (span, with) in edits.OrderByDescending(e => e.Span.Start))
        {
            sb.Remove(span.Start, span.Length);
            sb.Insert(span.Start, with);
        }
        return sb.ToString();
    }

    private readonly record struct TextSpanLike(int Start, int Length);

    /// <summary>
    /// Renames an identifier everywhere it occurs (usually) or at one occurrence: usually one the user declares (a Forward
    /// parameter, a local, the class, a namespace), sometimes any (an op, an attribute, a type).
    /// </summary>
    private static string Rename(string text, Random r)
    {
        var root = CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions).GetRoot();
        var tokens = root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.Span.Length > 0).ToList();
        if (tokens.Count == 0) return text;
        var names = tokens.Select(t => t.ValueText).Distinct().ToList();
        var declared = root.DescendantNodes().Select(n => n switch
            {
                ParameterSyntax p => p.Identifier,
                VariableDeclaratorSyntax v => v.Identifier,
                BaseTypeDeclarationSyntax t => t.Identifier,
                _ => default,
            })
            .Concat(root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().SelectMany(n => n.Name.DescendantTokens()))
            .Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.Span.Length > 0).Select(t => t.ValueText).Distinct().ToList();
        string target = declared.Count > 0 && r.Next(10) != 0 ? declared[r.Next(declared.Count)] : names[r.Next(names.Count)];
        string replacement = RandomIdentifier(r, names);
        var hits = tokens.Where(t => t.ValueText == target).ToList();
        if (r.Next(5) == 0) hits = new List<SyntaxToken> { hits[r.Next(hits.Count)] };
        return Replace(text, hits.Select(t => (new TextSpanLike(t.Span.Start, t.Span.Length), replacement)));
    }

    /// <summary>
    /// Replaces a numeric literal (a size, usually) with one of <see cref="Sizes"/>: one occurrence (a shape mismatch, usually)
    /// or every occurrence of its value (shapes stay consistent, so products of sizes can overflow).
    /// </summary>
    private static string Resize(string text, Random r)
    {
        var numbers = CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.IsKind(SyntaxKind.NumericLiteralToken)).ToList();
        if (numbers.Count == 0) return text;
        var hit = numbers[r.Next(numbers.Count)];
        var hits = r.Next(2) == 0 ? new List<SyntaxToken> { hit } : numbers.Where(t => t.Text == hit.Text).ToList();
        string size = Sizes[r.Next(Sizes.Length)];
        return Replace(text, hits.Select(t => (new TextSpanLike(t.Span.Start, t.Span.Length), size)));
    }

    /// <summary>Shares a parameter: one of two Forward parameters with the same attribute is removed and its uses read the other.</summary>
    private static string Share(string text, Random r)
    {
        var root = CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions).GetRoot();
        var groups = root.DescendantNodes().OfType<ParameterSyntax>().Where(p => p.AttributeLists.Count > 0)
            .GroupBy(p => p.AttributeLists.ToString().Replace(" ", "")).Where(g => g.Count() > 1).ToList();
        if (groups.Count == 0) return text;
        var group = groups[r.Next(groups.Count)].ToList();
        var removed = group[r.Next(group.Count)];
        var kept = group.First(p => p != removed);
        var annotation = new SyntaxAnnotation();
        root = root.ReplaceNode(removed, removed.WithAdditionalAnnotations(annotation));
        var uses = root.DescendantNodes().OfType<IdentifierNameSyntax>().Where(i => i.Identifier.ValueText == removed.Identifier.ValueText).ToList();
        root = root.ReplaceNodes(uses, (o, _) => SyntaxFactory.IdentifierName(kept.Identifier.WithoutTrivia()).WithTriviaFrom(o));
        var toRemove = root.GetAnnotatedNodes(annotation).First();
        return root.RemoveNode(toRemove, SyntaxRemoveOptions.KeepNoTrivia)?.ToFullString() ?? text;
    }

    /// <summary>One text mutation: a deleted span, an inserted token, a duplicated line, a changed number, truncation or swapped lines.</summary>
    private static string TextMutation(string text, Random random)
    {
        if (text.Length == 0) return text;
        var sb = new StringBuilder(text);
        int at = random.Next(sb.Length);
        switch (random.Next(6))
        {
            case 0:
                sb.Remove(at, Math.Min(random.Next(1, 25), sb.Length - at));
                break;
            case 1:
                sb.Insert(at, Tokens[random.Next(Tokens.Length)]);
                break;
            case 2:
            {
                var lines = text.Split('\n').ToList();
                lines.Insert(random.Next(lines.Count), lines[random.Next(lines.Count)]);
                return string.Join("\n", lines);
            }
            case 3:
            {
                int digit = text.IndexOfAny("0123456789".ToCharArray(), at);
                if (digit < 0) break;
                int end = digit;
                while (end < text.Length && char.IsDigit(text[end])) end++;
                return text.Substring(0, digit) + Sizes[random.Next(Sizes.Length)] + text.Substring(end);
            }
            case 4:
                sb.Length = at;
                break;
            default:
            {
                var lines = text.Split('\n');
                int a = random.Next(lines.Length), b = random.Next(lines.Length);
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return string.Join("\n", lines);
            }
        }
        return sb.ToString();
    }

    /// <summary>The source with its first type (or, when the name has no case, its namespace) renamed to a case twin; null when neither has letters with case.</summary>
    private static string? CaseTwin(string text)
    {
        var root = CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions).GetRoot();
        static string Swap(string s) => new string(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
        var candidates = root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier)
            .Concat(root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().SelectMany(n => n.Name.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken))));
        foreach (var token in candidates)
        {
            string twin = Swap(token.ValueText);
            if (twin == token.ValueText || !SyntaxFacts.IsValidIdentifier(twin)) continue;
            return Replace(text, new[] { (new TextSpanLike(token.Span.Start, token.Span.Length), "@" + twin) });
        }
        return null;
    }

    /// <summary>The sources of case <paramref name="seed"/>: one mutated declaration, sometimes with a case twin of it.</summary>
    public static string[] Case(int seed)
    {
        var r = new Random(seed);
        string source = r.Next(4) == 0 ? RandomDeclaration(r) : Seeds.Value[r.Next(Seeds.Value.Length)];
        int count = r.Next(1, 5);
        // Half the cases keep to the mutations that keep a declaration valid more often than not (renames, sizes, sharing).
        bool textual = r.Next(2) == 0;
        for (int m = 0; m < count; m++)
        {
            source = r.Next(textual ? 12 : 9) switch
            {
                0 or 1 or 2 when textual => TextMutation(source, r),
                0 or 1 or 2 => Rename(source, r),
                3 or 4 or 5 or 6 => Rename(source, r),
                7 or 8 => Resize(source, r),
                9 or 10 => Share(source, r),
                _ => source,
            };
        }
        if (r.Next(5) == 0 && CaseTwin(source) is string twin) return new[] { source, twin };
        return new[] { source };
    }

    /// <summary>What one case gave.</summary>
    public enum Outcome
    {
        /// <summary>SYM diagnostics at the user's code, no error in generated code.</summary>
        Diagnostics,
        /// <summary>No generator diagnostic, but the user's code has C# errors (the compiler reports them at the user's code).</summary>
        UserErrors,
        /// <summary>Clean code, compiled and loaded; too large to run.</summary>
        Compiled,
        /// <summary>Clean code, compiled, loaded and run.</summary>
        Ran,
    }

    /// <summary>Checks one case; throws with the reason when the generator misbehaves.</summary>
    public static Outcome Check(string[] sources)
    {
        var (result, compiled) = GeneratorHarness.Run(sources);
        if (result.Exception is not null) throw new InvalidOperationException("The generator threw " + result.Exception);
        // The generator rebuilds locations from values (Location.Create(path, span, lines)): at the user's code means within
        // one of the user's files.
        var userFiles = compiled.SyntaxTrees.Take(sources.Length).ToDictionary(t => t.FilePath, t => t.Length);
        var wrong = result.Diagnostics.Where(d => d.Id == "SYM099" || !d.Id.StartsWith("SYM", StringComparison.Ordinal) || d.Location.Kind == LocationKind.None ||
            !userFiles.TryGetValue(d.Location.GetLineSpan().Path, out int length) || d.Location.SourceSpan.End > length).ToList();
        if (wrong.Count > 0) throw new InvalidOperationException("Diagnostics that are bugs or not at the user's code: " + string.Join("; ", wrong));
        var hints = result.GeneratedSources.Select(s => s.HintName).ToList();
        if (hints.Distinct(StringComparer.OrdinalIgnoreCase).Count() != hints.Count) throw new InvalidOperationException("Hint names not unique: " + string.Join(", ", hints));

        // The generated files' own diagnostics (binding only them), then, for a declaration the generator accepted, the whole
        // compilation, emitted.
        var inGenerated = result.GeneratedSources.SelectMany(s => compiled.GetSemanticModel(s.SyntaxTree).GetDiagnostics())
            .Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (inGenerated.Count > 0) throw new InvalidOperationException("Errors or warnings inside the generated code:\n" + string.Join("\n", inGenerated.Take(10)));
        if (!result.Diagnostics.IsEmpty) return Outcome.Diagnostics;
        using var stream = new MemoryStream();
        var emitted = compiled.Emit(stream);
        if (!emitted.Success) return Outcome.UserErrors;

        stream.Position = 0;
        var context = new System.Runtime.Loader.AssemblyLoadContext("fuzz" + Guid.NewGuid().ToString("N"), isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(stream);
            bool ran = false;
            foreach (var (type, scalar) in GeneratedCode.GraphStructs(assembly).Where(s => s.Scalar == typeof(double)))
            {
                var graph = (ComputationGraph)type.DeclaringType!.GetProperty("Graph", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
                if (GeneratedCode.Elements(graph) > RunLimit) continue;
                try
                {
                    GeneratedCode.Invoke(type, scalar, seed: 1);
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    throw new InvalidOperationException("Running " + type.FullName + " failed: " + e.InnerException, e.InnerException);
                }
                ran = true;
            }
            return ran ? Outcome.Ran : Outcome.Compiled;
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Mutated_declarations_give_diagnostics_or_code_that_compiles_and_runs()
    {
        int runs = Runs;
        var failures = new ConcurrentBag<(int Seed, string Message)>();
        var outcomes = new int[Enum.GetValues<Outcome>().Length];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, seed =>
        {
            string[] sources = Array.Empty<string>();
            try
            {
                sources = Case(seed);
                Interlocked.Increment(ref outcomes[(int)Check(sources)]);
            }
            catch (Exception e)
            {
                failures.Add((seed, e.Message + "\non:\n" + string.Join("\n// ---- next source ----\n", sources)));
            }
        });
        output.WriteLine(runs + " cases in " + clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " s: " +
            string.Join(", ", Enum.GetValues<Outcome>().Select(o => o + " " + outcomes[(int)o])));
        var first = failures.OrderBy(f => f.Seed).Take(3).ToList();
        Assert.True(failures.IsEmpty, failures.Count + " of " + runs + " cases failed (seeds " + string.Join(", ", failures.Select(f => f.Seed).OrderBy(s => s).Take(20)) + "); first:\n" +
            string.Join("\n\n==== next case ====\n", first.Select(f => "seed " + f.Seed + ": " + f.Message)));
        // The mutations must reach the code paths: some cases compile and run, some give diagnostics.
        if (runs >= 50)
        {
            Assert.True(outcomes[(int)Outcome.Ran] > 0, "No case ran");
            Assert.True(outcomes[(int)Outcome.Diagnostics] > 0, "No case gave diagnostics");
        }
    }

    [Fact]
    public void Unmutated_seeds_compile_and_run()
    {
        foreach (var source in Seeds.Value)
        {
            var (result, _) = GeneratorHarness.Run(source);
            Assert.Empty(result.Diagnostics);
            Assert.Single(result.GeneratedSources);
            Assert.Equal(Outcome.Ran, Check(new[] { source }));
        }
    }
}
