using System.IO;
using Symbolic.Graph;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>The parser turns declarations into the expected graph specs (compared as the model's full printout).</summary>
public class ParserTests
{
    private static string Parsed(string forward, string loss = "SquaredError") =>
        GeneratorHarness.ParsedGraph(GeneratorHarness.Declaration(forward, loss)) ?? "(no graph)";

    [Fact]
    public void PaperMlp_parses_to_the_layered_graph()
    {
        string source = File.ReadAllText(Path.Combine(GeneratorHarness.SourceFolder(), "..", "..", "examples", "Models", "PaperMlp.cs"));
        var b = new GraphBuilder("PaperMlp");
        var x = b.Input("x", 784);
        var w1 = b.Weight("w1", 300, 784);
        var b1 = b.Bias("b1", 300);
        var w2 = b.Weight("w2", 300, 300);
        var b2 = b.Bias("b2", 300);
        var w3 = b.Weight("w3", 100, 300);
        var b3 = b.Bias("b3", 100);
        var w4 = b.Weight("w4", 10, 100);
        var b4 = b.Bias("b4", 10);
        var h1 = b.Relu(b.BiasAdd(b.MatVec(w1, x, "h1_matvec"), b1, "h1_biasadd"), "h1");
        var h2 = b.Relu(b.BiasAdd(b.MatVec(w2, h1, "h2_matvec"), b2, "h2_biasadd"), "h2");
        var h3 = b.Relu(b.BiasAdd(b.MatVec(w3, h2, "h3_matvec"), b3, "h3_biasadd"), "h3");
        var output = b.BiasAdd(b.MatVec(w4, h3, "output_matvec"), b4, "output");
        var expected = b.Build(output, LossKind.SquaredError);
        Assert.Equal(expected.ToString(), GeneratorHarness.ParsedGraph(source));
    }

    [Fact]
    public void Operators_and_op_calls_give_the_same_spec()
    {
        const string Leaves = "[Input(3)] Node x, [Weight(4, 3)] Node w, [Bias(4)] Node b, [Weight(4, 4)] Node v";
        string operators = Parsed("static Node Forward(" + Leaves + ") { var a = w * x; var c = a + b; var t = Tanh(c); var g = t * c; var s = t + g; return v * s; }");
        string calls = Parsed("static Node Forward(" + Leaves + ") { var a = MatVec(w, x); var c = BiasAdd(a, b); var t = Tanh(c); var g = Mul(t, c); var s = Add(t, g); return MatVec(v, s); }");
        string commuted = Parsed("static Node Forward(" + Leaves + ") { var a = (w * x); var c = b + a; var t = Tanh(c); var g = t * c; var s = t + g; return v * s; }");
        Assert.Equal(operators, calls);
        Assert.Equal(operators, commuted);
        Assert.DoesNotContain("(no graph)", operators);
    }

    [Fact]
    public void Fan_out_shared_weights_gates_concat_and_nary_sums_make_a_dag()
    {
        string parsed = Parsed(
            "const double Slope = 0.25;\n" +
            "static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node w, [Weight(3, 4)] Node u) {\n" +
            "  var h = LeakyRelu(w * x, Slope);\n" +
            "  var k = Sigmoid(w * h);\n" +
            "  var sum = Add(h, k, x);\n" +
            "  return u * Concat(sum, h * k);\n}", "SoftmaxCrossEntropy");
        var b = new GraphBuilder("G");
        var x = b.Input("x", 2);
        var w = b.Weight("w", 2, 2);
        var u = b.Weight("u", 3, 4);
        var h = b.LeakyRelu(b.MatVec(w, x, "h_matvec"), 0.25, "h");
        var k = b.Sigmoid(b.MatVec(w, h, "k_matvec"), "k");
        var sum = b.SumNamed("sum", h, k, x);
        var gate = b.Mul(h, k, "output_mul");
        var cat = b.Op(OpKind.Concat, "output_concat", 0.0, sum, gate);
        var expected = b.Build(b.MatVec(u, cat, "output"), LossKind.SoftmaxCrossEntropy);
        Assert.Equal(expected.ToString(), parsed);
    }

    [Fact]
    public void Expression_bodied_forward_and_returned_locals_are_read()
    {
        string bodied = Parsed("static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node w) => Softplus(w * x);");
        var b = new GraphBuilder("G");
        var x = b.Input("x", 2);
        var w = b.Weight("w", 2, 2);
        var expected = b.Build(b.Softplus(b.MatVec(w, x, "output_matvec"), "output"), LossKind.SquaredError);
        Assert.Equal(expected.ToString(), bodied);

        string local = Parsed("static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node w) { var y = Identity(w * x); return (y); }");
        Assert.Contains("y = Identity(y_matvec) : [2]", local);
        Assert.Contains("on y)", local);
    }

    [Fact]
    public void Generated_names_avoid_user_names()
    {
        string parsed = Parsed("static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node output_matvec) { var output = Relu(output_matvec * x); return output_matvec * output; }");
        Assert.Contains("output2 = MatVec(output_matvec, output)", parsed);
        Assert.Contains("output = Relu(output_matvec2)", parsed);
    }
}
