using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// Valid declarations give generated code that compiles with no error (and no warning inside the generated files) and
/// runs, whatever identifiers they use: names of emitted members and of the primitives' arguments, keywords, unicode,
/// names equal up to case or a trailing underscore, shared biases and weights, keyword-escaped namespaces, class names
/// that shadow namespaces, several graph classes whose names differ only by case. Each test compiles its declarations
/// together (one compilation of several graph classes) to keep the suite fast.
/// </summary>
public class CleanCodeTests
{
    private static string Declaration(string forward, string ns = "Test", string className = "G", string members = "") =>
        "using Symbolic.Graph;\n\nnamespace " + ns + ";\n\n[ComputationGraph]\npublic static partial class " + className + "\n{\n" + members + forward + "\n}\n";

    /// <summary>Names a user can give a Forward parameter that the emitted code also uses (members, arguments, locals), keywords, unicode.</summary>
    public static readonly string[] CollidingNames =
    {
        // Members of the old and new emitted code, of Parameters and its base class, and of object.
        "get", "Get", "units", "relax", "In", "Out", "@in", "@out", "Check", "capacity", "MaxBatch", "layout", "Layout", "arrays", "Arrays",
        "parameters", "Parameters", "initialise", "Initialise", "fromParameterSet", "FromParameterSet", "toParameterSet", "ToParameterSet",
        "copyFrom", "CopyFrom", "equals", "Equals", "getHashCode", "toString", "getType", "memberwiseClone", "finalize", "referenceEquals",
        "output", "Output", "outputLength", "OutputLength", "relaxationDepth", "layerRelaxationDepth", "computeNode", "ComputeNode", "contribute",
        "parameterProduct", "notAnOp", "NotAnOp", "float64", "Float64", "float32", "graph", "createGraph", "inputX",
        // The primitives' arguments and the emitted locals.
        "node", "values", "derivatives", "batch", "child", "argument", "cotangent", "target", "accumulate", "backwardMatrix", "useDerivative",
        "scale", "rowStart", "rowCount", "builder", "n0", "n1", "set", "seed", "initialiser", "result", "array", "n", "id", "what",
        // Underscores, keywords (also after PascalCasing), contextual keywords, unicode, formatting characters.
        "_", "__", "_x", "_X", "x_", "X_", "X", "x__", "@__arglist", "@__makeref", "@__reftype", "@__refvalue", "@class", "@int", "@event", "@this",
        "@value", "field", "var", "nameof", "@dynamic", "record", "global", "ä", "Ä", "ß", "中文", "Ω", "ω", "ı", "i", "I", "x\u0301", "a\u200Db",
    };

    /// <summary>Every public or protected member name of the generated Parameters' base classes, as written and camelCased.</summary>
    private static IEnumerable<string> BaseMemberNames() =>
        typeof(ParameterArrays<double>).GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy)
            .Where(m => m is not ConstructorInfo && !m.Name.Contains('.') && !m.Name.StartsWith("get_", StringComparison.Ordinal) && !m.Name.StartsWith("set_", StringComparison.Ordinal) &&
                        !m.Name.StartsWith("<", StringComparison.Ordinal) && m switch
                        {
                            MethodBase method => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly,
                            FieldInfo field => field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly,
                            _ => true,
                        })
            .Select(m => m.Name)
            .SelectMany(n => new[] { n, char.ToLowerInvariant(n[0]) + n.Substring(1) })
            .Distinct();

    private static string[] AllNames() => CollidingNames.Concat(BaseMemberNames().Where(n => !CollidingNames.Contains(n))).ToArray();

    [Fact]
    public void Any_names_compile_and_run_as_inputs_weights_and_biases_all_at_once()
    {
        // One graph per role holding every name at once, so the names also collide with each other (case, trailing '_').
        var names = AllNames();
        string inputs = "static Node Forward([Weight(2, 2)] Node w0, " + string.Join(", ", names.Select(n => "[Input(2)] Node " + n)) + ") => w0 * Add(" + string.Join(", ", names) + ");";
        string weights = "static Node Forward([Input(2)] Node x0, " + string.Join(", ", names.Select(n => "[Weight(2, 2)] Node " + n)) + ") => Add(" + string.Join(", ", names.Select(n => n + " * x0")) + ");";
        string biases = "static Node Forward([Input(2)] Node x0, [Weight(2, 2)] Node w0, " + string.Join(", ", names.Select(n => "[Bias(2)] Node " + n)) + ") => Add(" + string.Join(", ", names.Select(n => "w0 * x0 + " + n)) + ");";
        Assert.Equal(3, GeneratedCode.AssertEachCompilesAndRuns(new[]
        {
            ("inputs", Declaration(inputs, className: "Inputs")),
            ("weights", Declaration(weights, className: "Weights")),
            ("biases", Declaration(biases, className: "Biases")),
        }, GeneratedCode.RunMode.Float64));
    }

    public static readonly string[] Shapes =
    {
        // A bias used by two nodes, a weight used by two nodes.
        "static Node Forward([Input(3)] Node x, [Weight(3, 3)] Node w, [Bias(3)] Node b) { var h = Tanh(w * x + b); return w * h + b; }",
        "static Node Forward([Input(3)] Node x, [Bias(3)] Node b) { var h = Tanh(x + b); var k = Sigmoid(b + x); return Add(h + b, k); }",
        "static Node Forward([Input(3)] Node x, [Weight(3, 3)] Node w, [Bias(3)] Node b) { var h = Relu(w * x + b); var k = Relu(w * h + b); return w * (k + b); }",
        // Names differing only by case or by a trailing underscore, all PascalCasing to one stem, in several orders.
        "static Node Forward([Input(2)] Node x, [Input(2)] Node X, [Input(2)] Node X_, [Input(2)] Node x_, [Weight(2, 2)] Node w, [Weight(2, 2)] Node W, [Weight(2, 2)] Node W_, [Weight(2, 2)] Node w_) => Add(w * x, W * X, W_ * X_, w_ * x_);",
        "static Node Forward([Input(2)] Node X_, [Input(2)] Node x, [Input(2)] Node X, [Weight(2, 2)] Node Parameters_, [Weight(2, 2)] Node parameters, [Bias(2)] Node Parameters__) => Add(Parameters_ * x, parameters * X, X_ + Parameters__);",
        "static Node Forward([Input(2)] Node output, [Input(2)] Node Output, [Input(2)] Node Output_, [Weight(2, 2)] Node arrays, [Weight(2, 2)] Node Arrays, [Weight(2, 2)] Node Arrays_, [Bias(2)] Node get) => Add(arrays * output, Arrays * Output, Arrays_ * Output_ + get);",
        // x beside inputX (the old emitter's locals), and names equal to the emitted constants' names.
        "static Node Forward([Input(2)] Node x, [Input(2)] Node inputX, [Input(2)] Node xLength, [Input(2)] Node XLength, [Weight(2, 2)] Node w) => w * Add(x, inputX, xLength, XLength);",
        // Locals named like emitted members and locals (computed nodes never name a member).
        "static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node w) { var builder = Relu(w * x); var n0 = Tanh(builder); var @var = Identity(n0); var Graph_ = Add(@var, x); return w * Graph_; }",
    };

    [Fact]
    public void Shared_parameters_and_colliding_names_compile_and_run()
    {
        Assert.Equal(2 * Shapes.Length, GeneratedCode.AssertEachCompilesAndRuns(Shapes.Select((s, i) => (s, Declaration(s, className: "S" + i))).ToList()));
    }

    [Fact]
    public void Members_that_change_what_simple_names_mean_do_not_reach_the_generated_code()
    {
        // A type named var, a method named nameof, members named like the primitives' helpers, a nested System.
        const string Members = "public sealed class var { }\nstatic int nameof(int x) => x;\nstatic int In(int x) => x;\nstatic int Out = 1;\nstatic int Layout = 2;\n" +
            "static class System { }\nstatic class Symbolic { }\nstatic int Parameters = 3;\nstatic int NotAnOp = 4;\nstatic int global = 5;\n";
        var outcome = GeneratedCode.Generate(Declaration("static Node Forward([Input(2)] Node x, [Weight(3, 2)] Node w, [Bias(3)] Node b) => Tanh(w * x + b);", members: Members));
        Assert.Equal(2, GeneratedCode.AssertCompilesAndRuns(outcome, Members));
    }

    [Fact]
    public void Keyword_escaped_unicode_and_shadowing_namespaces_and_class_names_work()
    {
        const string Forward = "static Node Forward([Input(2)] Node x, [Weight(3, 2)] Node w, [Bias(3)] Node b) => Tanh(w * x + b);";
        string[] namespaces = { "@class", "@class.@int", "Test.@namespace.@__arglist", "System", "Test.System.Symbolic.Graph", "Symbolic.Graph", "Symbolic", "Ünïcödé.中文", "A\u0301.B\u200Dc", "@var.record.@global_" };
        string[] classNames = { "@class", "@int", "_", "__", "Ä", "中文", "Parameters", "Layout", "In", "Symbolic", "System", "Test", "var", "record", "@dynamic", "G\u0301", "nameof" };
        var cases = namespaces.Select(ns => ("namespace " + ns, Declaration(Forward, ns)))
            .Concat(classNames.Select((c, i) => ("class " + c, Declaration(Forward, "Names" + i, c))))
            .ToList();
        // Compiled, emitted and loaded, and the graph values built; the fuzz runs renamed namespaces and classes.
        Assert.Equal(0, GeneratedCode.AssertEachCompilesAndRuns(cases, GeneratedCode.RunMode.None));
    }

    [Fact]
    public void Graph_classes_whose_names_differ_only_by_case_each_get_their_file()
    {
        const string Forward = "static Node Forward([Input(2)] Node x, [Weight(3, 2)] Node w) => w * x;";
        var outcome = GeneratedCode.Generate(Declaration(Forward, className: "Mlp"), Declaration(Forward, className: "MLP"), Declaration(Forward, className: "mlp"),
            Declaration(Forward, "test", "Mlp"), Declaration(Forward, className: "Other"), Declaration(Forward, "Tests.MLP", "G"), Declaration(Forward, "Tests.mlp", "g"),
            Declaration(Forward, className: "ı"), Declaration(Forward, className: "i"), Declaration(Forward, className: "I"));
        Assert.Equal(10, GeneratedCode.AssertCompilesAndRuns(outcome, "case twins", GeneratedCode.RunMode.Float64));
        var hints = outcome.Result.GeneratedSources.Select(s => s.HintName).OrderBy(h => h, StringComparer.Ordinal).ToList();
        Assert.Equal(10, hints.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Twins are numbered in ordinal order of their full names; a class without a twin keeps the plain name. (Whether 'ı'
        // is a case twin of 'i' is the comparer's business: the generator groups with the comparer Roslyn checks hint names with.)
        Assert.Equal(new[] { "Test.MLP.1.g.cs", "Test.Mlp.2.g.cs", "Test.Other.g.cs", "Test.mlp.3.g.cs", "Tests.MLP.G.1.g.cs", "Tests.mlp.g.2.g.cs", "test.Mlp.4.g.cs" },
            hints.Where(h => !h.StartsWith("Test.I", StringComparison.Ordinal) && !h.StartsWith("Test.i", StringComparison.Ordinal) && !h.StartsWith("Test.ı", StringComparison.Ordinal)));
        Assert.Contains("Test.I.1.g.cs", hints);
        Assert.Contains("Test.i.2.g.cs", hints);
    }

    [Fact]
    public void Sizes_whose_product_with_a_batch_overflows_compile()
    {
        // Per-sample sizes near int.MaxValue: valid, and the generated batch * size arithmetic is checked, never constant-folded.
        var outcome = GeneratedCode.Generate(Declaration(
            "static Node Forward([Input(2147483647)] Node x, [Input(1073741824)] Node y, [Weight(1, 2147483647)] Node w, [Weight(1, 1073741824)] Node v, [Bias(1)] Node b) => Concat(Relu(w * x + b), v * y);"));
        Assert.True(outcome.Result.Diagnostics.IsEmpty && outcome.Errors.Count == 0, outcome.Describe());
        Assert.Empty(GeneratedCode.GeneratedWarnings(outcome));
        string text = outcome.Result.GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("public const int XLength = 2147483647;", text);
        Assert.DoesNotContain("batch * 2147483647)", text.Replace("checked(batch * 2147483647)", ""));
    }
}
