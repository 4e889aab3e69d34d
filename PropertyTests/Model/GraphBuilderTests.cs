using System;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Model;

/// <summary>The builder's errors name the node and the shapes involved; valid graphs are values.</summary>
public class GraphBuilderTests
{
    [Fact]
    public void MatVecShapeMismatchNamesNodeAndBothShapes()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 4);
        var w = b.Weight("w1", 3, 5);
        var e = Assert.Throws<GraphBuildException>(() => b.MatVec(w, x, "h1"));
        Assert.Equal("h1", e.NodeName);
        Assert.Contains("'w1'", e.Message);
        Assert.Contains("[3, 5]", e.Message);
        Assert.Contains("'x'", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void AddShapeMismatchNamesBothShapes()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 4);
        var y = b.Input("y", 2);
        var e = Assert.Throws<GraphBuildException>(() => b.SumNamed("s", x, y));
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[2]", e.Message);
        Assert.Contains("'s'", e.Message);
    }

    [Fact]
    public void BiasOfWrongLengthIsRejected()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 4);
        var bias = b.Bias("b", 3);
        var e = Assert.Throws<GraphBuildException>(() => b.BiasAdd(x, bias, "a"));
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void ParameterUsedAsPerSampleInputIsRejected()
    {
        var b = new GraphBuilder("g");
        var w = b.Weight("w", 3, 3);
        var e = Assert.Throws<GraphBuildException>(() => b.Relu(w, "r"));
        Assert.Contains("parameter 'w'", e.Message);
        Assert.Contains("[3, 3]", e.Message);
    }

    [Fact]
    public void VectorInPlaceOfWeightIsRejected()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 3);
        var e = Assert.Throws<GraphBuildException>(() => b.MatVec(x, x, "m"));
        Assert.Contains("must be a weight", e.Message);
    }

    [Fact]
    public void NodeFromAnotherBuilderIsUnknown()
    {
        var other = new GraphBuilder("other").Input("z", 2);
        var b = new GraphBuilder("g");
        var e = Assert.Throws<GraphBuildException>(() => b.Tanh(other, "t"));
        Assert.Contains("unknown to graph 'g'", e.Message);
        Assert.Contains("'z'", e.Message);
    }

    [Fact]
    public void DuplicateNamesAndBadDimensionsAreRejected()
    {
        var b = new GraphBuilder("g");
        b.Input("x", 2);
        Assert.Contains("already has a node named 'x'", Assert.Throws<GraphBuildException>(() => b.Input("x", 3)).Message);
        Assert.Contains("must be positive", Assert.Throws<GraphBuildException>(() => b.Weight("w", 0, 3)).Message);
        var y = b.Identity(b.Input("y", 2));
        Assert.Contains("slope", Assert.Throws<GraphBuildException>(() => b.LeakyRelu(y, 1.5, "lr")).Message);
    }

    [Fact]
    public void NodesThatDoNotReachTheOutputAreRejected()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 2);
        var dead = b.Tanh(x, "dead");
        var live = b.Sigmoid(x, "live");
        var e = Assert.Throws<GraphBuildException>(() => b.Build(live, LossKind.SquaredError));
        Assert.Equal("dead", e.NodeName);
        _ = dead;
    }

    [Fact]
    public void OutputMustBeComputed()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 2);
        Assert.Contains("an input", Assert.Throws<GraphBuildException>(() => b.Build(x, LossKind.SquaredError)).Message);
    }

    [Fact]
    public void GraphsAreValuesAndKnowTheirStructure()
    {
        static ComputationGraph Make()
        {
            var b = new GraphBuilder("mlp");
            var x = b.Input("x", 3);
            var w = b.Weight("w", 4, 3);
            var h = b.Relu(b.Linear(w, x, b.Bias("b", 4), "a"), "h");
            var skip = b.SumNamed("skip", h, b.MatVec(w, x, "again"));
            return b.Build(b.MatVec(b.Weight("v", 2, 4), skip, "out"), LossKind.SoftmaxCrossEntropy);
        }
        var g1 = Make();
        var g2 = Make();
        Assert.Equal(g1, g2);
        Assert.Equal(g1.GetHashCode(), g2.GetHashCode());
        Assert.Equal(2, g1.Children[g1["w"].Id].Count);
        Assert.Equal(4, g1.RelaxationDepth); // matvec -> a -> h -> skip -> out
        Assert.Equal(new[] { g1["x"].Id }, g1.InputIds);
        Assert.Contains("out = MatVec(v, skip) : [2]", g1.ToString());
    }

    [Fact]
    public void ImageShapesFitTheModel()
    {
        var shape = Shape.Image(3, 28, 28);
        Assert.Equal(3, shape.Rank);
        Assert.Equal(3 * 28 * 28, shape.Size);
        Assert.Equal("[3, 28, 28]", shape.ToString());
    }

    [Fact]
    public void EngineInputErrorsNameTheInput()
    {
        var b = new GraphBuilder("g");
        var x = b.Input("x", 3);
        var graph = b.Build(b.MatVec(b.Weight("w", 2, 3), x, "out"), LossKind.SquaredError);
        var parameters = ParameterSet.Initialise(graph, 1);
        var wrongRows = Batch.Single("x", Matrix<double>.Build.Dense(4, 2), Matrix<double>.Build.Dense(2, 2));
        Assert.Contains("Input 'x' has 4 rows", Assert.Throws<ArgumentException>(() => Forward.Run(graph, parameters, wrongRows)).Message);
        var nan = Batch.Single("x", Matrix<double>.Build.Dense(3, 1, double.NaN), Matrix<double>.Build.Dense(2, 1));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Forward.Run(graph, parameters, nan)).Message);
        var badParameters = ParameterSet.From(new[] { ("w", Matrix<double>.Build.Dense(3, 3)) });
        Assert.Contains("'w' has shape [3, 3]", Assert.Throws<ArgumentException>(() => Forward.Run(graph, badParameters, Batch.Single("x", Matrix<double>.Build.Dense(3, 1), Matrix<double>.Build.Dense(2, 1)))).Message);
        var nanUpdate = parameters.Map((_, m) => m.Map(_ => double.NaN));
        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => new Sgd(0.1).Step(parameters, nanUpdate)).Message);
    }
}
