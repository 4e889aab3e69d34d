using System;
using System.IO;
using System.Linq;
using System.Text;
using FsCheck.Xunit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Symbolic.Graph;
using Symbolic.PropertyTests.Arbitraries;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// A generator that throws is a bug: random mutations of valid declarations (deleted spans, inserted tokens,
/// duplicated lines, changed numbers, truncation) only ever produce diagnostics or code.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Tokens =
    {
        "+", "*", "-", "(", ")", "{", "}", ";", ",", "=", "=>", "var ", "return ", "Relu(", "LeakyRelu(", "Concat(", "Add(", "Mul(", "MatVec(", "BiasAdd(",
        "x", "w", "h", "Node ", "[Input(3)] ", "[Weight(2, 3)] ", "[Bias(2)] ", "[ComputationGraph] ", "static ", "partial ", "0.5", "-1", "0", "\"s\"",
        "/*", "*/", "//", "\n", "new ", "default", "null", "this.", "<T>", "ref ", "params ", "Forward", "class ", "?", "!", "[", "]", "@",
    };

    private static readonly Lazy<string[]> Seeds = new(() =>
    {
        string models = Path.Combine(GeneratorHarness.SourceFolder(), "..", "..", "examples", "Models");
        var random = new RecipeStep[]
        {
            new(StepKind.Linear, 4, 0, 0, 0, false, OpKind.Tanh, 0.1), new(StepKind.Activation, 4, 1, 0, 0, false, OpKind.LeakyRelu, 0.2),
            new(StepKind.Mul, 3, 2, 1, 0, false, OpKind.Relu, 0.1), new(StepKind.Concat, 3, 3, 0, 0, false, OpKind.Relu, 0.1),
            new(StepKind.Add, 3, 4, 2, 3, true, OpKind.Relu, 0.1),
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

    private static string Mutate(string text, Random random)
    {
        var sb = new StringBuilder(text);
        int count = random.Next(1, 6);
        for (int m = 0; m < count && sb.Length > 0; m++)
        {
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
                    var lines = sb.ToString().Split('\n').ToList();
                    int line = random.Next(lines.Count);
                    lines.Insert(line, lines[random.Next(lines.Count)]);
                    sb = new StringBuilder(string.Join("\n", lines));
                    break;
                }
                case 3:
                {
                    string s = sb.ToString();
                    int digit = s.IndexOfAny("0123456789".ToCharArray(), at);
                    if (digit < 0) break;
                    int end = digit;
                    while (end < s.Length && char.IsDigit(s[end])) end++;
                    string[] numbers = { "0", "1", "-3", "2147483647", "99999999999", "7", "2.5" };
                    sb = new StringBuilder(s.Substring(0, digit) + numbers[random.Next(numbers.Length)] + s.Substring(end));
                    break;
                }
                case 4:
                    sb.Length = at;
                    break;
                default:
                {
                    // Swap two identifiers' positions: swap two random lines.
                    var lines = sb.ToString().Split('\n');
                    int a = random.Next(lines.Length), b = random.Next(lines.Length);
                    (lines[a], lines[b]) = (lines[b], lines[a]);
                    sb = new StringBuilder(string.Join("\n", lines));
                    break;
                }
            }
        }
        return sb.ToString();
    }

    [Property(MaxTest = 250)]
    public void The_generator_never_throws(int seed)
    {
        var random = new Random(seed);
        var seeds = Seeds.Value;
        string source = Mutate(seeds[random.Next(seeds.Length)], random);
        var (result, _) = GeneratorHarness.Run(source);
        Assert.True(result.Exception is null, "The generator threw " + result.Exception + "\non:\n" + source);
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "SYM099" || d.Id == "CS8785");
        foreach (var generated in result.GeneratedSources)
        {
            var errors = CSharpSyntaxTree.ParseText(generated.SourceText, GeneratorHarness.ParseOptions).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, "Generated source does not parse: " + string.Join("; ", errors) + "\nfrom:\n" + source);
        }
    }

    [Fact]
    public void Unmutated_seeds_are_valid()
    {
        foreach (var source in Seeds.Value)
        {
            var (result, _) = GeneratorHarness.Run(source);
            Assert.Empty(result.Diagnostics);
            Assert.Single(result.GeneratedSources);
        }
    }
}
