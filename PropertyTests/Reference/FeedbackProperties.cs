using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Examples;
using Symbolic.PropertyTests.Arbitraries;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Reference;

/// <summary>
/// The rules with their own backward matrices (feedback alignment, AR with learned or fixed random ψ) on random DAGs in
/// float64: each reduces to its exact rule when its matrices are the forward weights, and learned ψ follows the weights'
/// updates over several steps in the compiled driver exactly as in the reference. SYMBOLIC_PROPERTY_RUNS raises the cases.
/// </summary>
public class FeedbackProperties
{
    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    private static void Check(Action<GraphCase> property, int defaultRuns = 60) =>
        Prop.ForAll(GraphArbitraries.GraphCases(), property).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs(defaultRuns)).WithQuietOnSuccess(true));

    private static ParameterSet WeightsOnly(Symbolic.Graph.ComputationGraph graph, ParameterSet parameters) =>
        ParameterSet.From(BackwardMatrices.Weights(graph).Select(n => (n.Name, parameters[n.Name])));

    private static void AssertClose(ParameterSet expected, ParameterSet actual, double tolerance, string what)
    {
        foreach (var name in expected.Names)
        {
            double scale = Math.Max(1, expected[name].Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max());
            double error = (expected[name] - actual[name]).Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max();
            Assert.True(error <= tolerance * scale, $"{what}: {name} differs by {error:E3}");
        }
    }

    /// <summary>Feedback alignment with B = W is backprop.</summary>
    [Fact]
    public void FeedbackAlignmentWithTheForwardWeightsIsBackprop() => Check(c =>
    {
        var fa = new FeedbackAlignmentRule(c.Recipe.Seed).Compute(c.Graph, c.Parameters, c.Batch, new BackwardState(WeightsOnly(c.Graph, c.Parameters)));
        var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch);
        AssertClose(bp.Updates, fa.Updates, 1e-12, "fa with B = W");
    });

    /// <summary>Feedback alignment with its random B is not backprop (the property above could not pass by ignoring B).</summary>
    [Fact]
    public void FeedbackAlignmentWithRandomMatricesDiffersFromBackprop()
    {
        var data = Training.SyntheticImages.Create(8, 3, "fa");
        var x = Matrix<double>.Build.Dense(784, 8, (i, s) => data.ImageBytes(s)[i] / 255.0);
        var y = Matrix<double>.Build.Dense(10, 8, (k, s) => data.Label(s) == k ? 1.0 : 0.0);
        var batch = Batch.Single("x", x, y);
        var p = PaperMlp.Float64.Parameters.Initialise(2).ToParameterSet();
        var fa = new FeedbackAlignmentRule(5).Compute(PaperMlp.Graph, p, batch);
        var bp = new BackpropRule().Compute(PaperMlp.Graph, p, batch);
        Assert.True((fa.Updates["w1"] - bp.Updates["w1"]).FrobeniusNorm() > 1e-3 * bp.Updates["w1"].FrobeniusNorm());
        AssertClose(bp.Updates.Map((n, m) => n is "w4" or "b4" ? m : m * 0), fa.Updates.Map((n, m) => n is "w4" or "b4" ? m : m * 0), 1e-12, "the output layer's update needs no backward matrix");
    }

    /// <summary>AR with learned ψ starting at ψ₀ = W₀ (offset zero) is AR, and so is fixed ψ = W.</summary>
    [Fact]
    public void ArWithPsiEqualToTheWeightsIsAr() => Check(c =>
    {
        var options = new RelaxationOptions(0.5, c.Graph.LayerRelaxationDepth + 2, 0, RelaxationSchedule.TopDown);
        var ar = new ActivationRelaxationRule(options).Compute(c.Graph, c.Parameters, c.Batch);
        var zero = new BackwardState(WeightsOnly(c.Graph, c.Parameters).Map((_, m) => m * 0));
        var learned = new ActivationRelaxationRule(options, BackwardWeights.Learned).Compute(c.Graph, c.Parameters, c.Batch, zero);
        var fixedPsi = new ActivationRelaxationRule(options, BackwardWeights.FixedRandom).Compute(c.Graph, c.Parameters, c.Batch, new BackwardState(WeightsOnly(c.Graph, c.Parameters)));
        AssertClose(ar.Updates, learned.Updates, 1e-12, "learned psi = W");
        AssertClose(ar.Updates, fixedPsi.Updates, 1e-12, "fixed psi = W");
    });

    /// <summary>
    /// Over several SGD and Adam steps, the compiled learned-ψ driver (ψ = W − D, D taken at the first step) equals the
    /// reference rule stepped with its state, in float64: ψ follows the weights' updates, so W − ψ stays at W₀ − ψ₀.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LearnedPsiFollowsTheWeightsOverSteps(bool adam)
    {
        var data = Training.SyntheticImages.Create(6, 4, "psi");
        var xs = new double[6 * 784];
        var ys = new double[6 * 10];
        var all = Enumerable.Range(0, 6).ToArray();
        data.GatherImages<double>(all, xs);
        data.OneHot<double>(all, ys);
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(784, 6, (i, s) => xs[s * 784 + i]), Matrix<double>.Build.Dense(10, 6, (k, s) => ys[s * 10 + k]));
        var rule = new ActivationRelaxationRule(new RelaxationOptions(0.2, 12, 0, RelaxationSchedule.TopDown), BackwardWeights.Learned, 9);
        Optimiser optimiser = adam ? new Adam(1e-3) : new Sgd(0.01);

        var compiled = PaperMlp.Float64.Parameters.Initialise(5);
        var reference = compiled.ToParameterSet();
        var state = rule.InitialState(PaperMlp.Graph, reference);
        var moments = optimiser.InitialState(reference);
        using var run = rule.CreateState<PaperMlp.Float64, double>(6);
        for (int step = 0; step < 4; step++)
        {
            var update = rule.Compute(PaperMlp.Graph, reference, batch, state);
            (reference, moments) = optimiser.Step(reference, update.Updates, moments);
            state = update.State;
            rule.Step(compiled, new CompiledBatch<double>(new[] { xs }, ys, 6), optimiser, run);
        }
        AssertClose(reference, compiled.ToParameterSet(), 1e-9, "learned psi after 4 steps");
        var offsets = run.RuleTensors();
        Assert.Equal(4, offsets.Count);
        var expected = ((BackwardState)rule.InitialState(PaperMlp.Graph, PaperMlp.Float64.Parameters.Initialise(5).ToParameterSet())).Matrices;
        foreach (var (name, _, values) in offsets)
        {
            string weight = name[BackwardBuffers<double>.OffsetPrefix.Length..];
            var d = expected[weight];
            Assert.Equal(d.RowCount * d.ColumnCount, values.Length);
            Assert.Equal(d[1, 2], values[1 * d.ColumnCount + 2], 15);
        }
    }
}

/// <summary>Predictive coding with the fixed-prediction assumption against backprop on random DAGs (arXiv 2006.04182), float64.</summary>
public class PredictiveCodingProperties
{
    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    /// <summary>
    /// At equilibrium PC's errors are backprop's gradients: synchronous inference at rate 1 reaches it exactly after the
    /// value nodes' depth (errors start at zero, the coupling is nilpotent), and at rate 0.5 after 200 steps to 1e-8 (the transient of a deep graph is polynomial in the steps, so a small rate needs many more);
    /// <see cref="TooFewStepsLeaveTheDeepestLayerOff"/> shows the property is not met by accident.
    /// </summary>
    [Fact]
    public void AtEquilibriumTheErrorsAreBackpropsGradients() =>
        Prop.ForAll(GraphArbitraries.GraphCases(), c =>
        {
            var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch).Updates;
            foreach (var units in new[] { UnitPlacement.EveryNode, UnitPlacement.Layers })
            {
                int depth = units == UnitPlacement.Layers ? c.Graph.LayerRelaxationDepth : c.Graph.RelaxationDepth;
                var exact = new PredictiveCodingRule(depth, 1.0, RelaxationSchedule.Synchronous, units).Compute(c.Graph, c.Parameters, c.Batch).Updates;
                var slow = new PredictiveCodingRule(200, 0.5, RelaxationSchedule.Synchronous, units).Compute(c.Graph, c.Parameters, c.Batch).Updates;
                foreach (var name in bp.Names)
                {
                    double scale = Math.Max(1e-3, bp[name].Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max());
                    Assert.True((exact[name] - bp[name]).Enumerate().All(d => Math.Abs(d) <= 1e-9 * Math.Max(1, scale)), $"pc exact {units} {name}");
                    Assert.True((slow[name] - bp[name]).Enumerate().All(d => Math.Abs(d) <= 1e-8 * Math.Max(1, scale)), $"pc rate 0.5 {units} {name}");
                }
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs(60)).WithQuietOnSuccess(true));

    /// <summary>On the paper's MLP, one step short of the depth (rate 1) leaves the first layer's update off: the errors start at zero.</summary>
    [Fact]
    public void TooFewStepsLeaveTheDeepestLayerOff()
    {
        var data = Training.SyntheticImages.Create(5, 8, "pc");
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(784, 5, (i, s) => data.ImageBytes(s)[i] / 255.0), Matrix<double>.Build.Dense(10, 5, (k, s) => data.Label(s) == k ? 1.0 : 0.0));
        var p = PaperMlp.Float64.Parameters.Initialise(3).ToParameterSet();
        var bp = new BackpropRule().Compute(PaperMlp.Graph, p, batch).Updates;
        int depth = PaperMlp.Graph.RelaxationDepth;
        var early = new PredictiveCodingRule(depth - 1, 1.0).Compute(PaperMlp.Graph, p, batch).Updates;
        var exact = new PredictiveCodingRule(depth, 1.0).Compute(PaperMlp.Graph, p, batch).Updates;
        Assert.True((early["w1"] - bp["w1"]).FrobeniusNorm() > 0.5 * bp["w1"].FrobeniusNorm());
        Assert.True((exact["w1"] - bp["w1"]).FrobeniusNorm() < 1e-9 * bp["w1"].FrobeniusNorm());
    }
}

/// <summary>Direct feedback alignment against backprop (Nøkland 2016), float64.</summary>
public class DirectFeedbackProperties
{
    /// <summary>
    /// With one hidden layer (h = f(W₁x + b₁), out = W₂h + b₂) and B = W₂ᵀ, DFA is backprop, for every activation the op
    /// table has; with its random B it is not (beyond the output layer).
    /// </summary>
    [Theory]
    [InlineData("relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void OneHiddenLayerWithTheOutputWeightsTransposedIsBackprop(string activation)
    {
        var b = new Symbolic.Graph.GraphBuilder("one-hidden");
        var x = b.Input("x", 7);
        var a = b.Linear(b.Weight("W1", 5, 7), x, b.Bias("b1", 5), "a");
        var h = activation switch { "relu" => b.Relu(a, "h"), "tanh" => b.Tanh(a, "h"), _ => b.Sigmoid(a, "h") };
        var output = b.Linear(b.Weight("W2", 3, 5), h, b.Bias("b2", 3), "out");
        var graph = b.Build(output, Symbolic.Graph.LossKind.SquaredError);
        var p = ParameterSet.Initialise(graph, 4, Initialiser.Xavier);
        var random = new Random(6);
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(7, 4, (_, _) => random.NextDouble() - 0.5), Matrix<double>.Build.Dense(3, 4, (_, _) => random.NextDouble()));
        var bp = new BackpropRule().Compute(graph, p, batch).Updates;
        var state = new BackwardState(ParameterSet.From(new[] { ("h", p["W2"].Transpose()) }));
        var dfa = new DirectFeedbackAlignmentRule().Compute(graph, p, batch, state).Updates;
        foreach (var name in bp.Names) Assert.True((dfa[name] - bp[name]).FrobeniusNorm() <= 1e-12 * Math.Max(1, bp[name].FrobeniusNorm()), name);

        var randomDfa = new DirectFeedbackAlignmentRule(3).Compute(graph, p, batch).Updates;
        Assert.True((randomDfa["W1"] - bp["W1"]).FrobeniusNorm() > 1e-3 * bp["W1"].FrobeniusNorm());
        Assert.True((randomDfa["W2"] - bp["W2"]).FrobeniusNorm() <= 1e-12 * bp["W2"].FrobeniusNorm());
    }

    /// <summary>Every layer of the paper's MLP receives the output error directly: h1, h2 and h3, each B of its size by 10.</summary>
    [Fact]
    public void EveryHiddenLayerOfTheMlpReceivesTheError()
    {
        var receivers = DirectFeedbackAlignmentRule.Receivers(PaperMlp.Graph).Select(n => (n.Name, n.Size)).ToArray();
        Assert.Equal(new[] { ("h1", 300), ("h2", 300), ("h3", 100) }, receivers);
        var drawn = DirectFeedbackAlignmentRule.Draw(PaperMlp.Graph, 1, FeedbackInit.UniformFanOut);
        Assert.Equal(10, drawn["h3"].ColumnCount);
        Assert.InRange(drawn["h3"].Enumerate().Max(Math.Abs), 0.05, 0.1);
    }
}

/// <summary>AR without f′ (AR v5 §4) on a network with one hidden layer, where its effect can be stated exactly, float64.</summary>
public class NoDerivativeProperties
{
    private static (Symbolic.Graph.ComputationGraph Graph, ParameterSet Parameters, Batch Batch) OneHidden(string activation)
    {
        var b = new Symbolic.Graph.GraphBuilder("one-hidden");
        var x = b.Input("x", 6);
        var a = b.Linear(b.Weight("W1", 9, 6), x, b.Bias("b1", 9), "a");
        var h = activation == "relu" ? b.Relu(a, "h") : b.Tanh(a, "h");
        var graph = b.Build(b.Linear(b.Weight("W2", 4, 9), h, b.Bias("b2", 4), "out"), Symbolic.Graph.LossKind.SquaredError);
        var random = new Random(11);
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(6, 5, (_, _) => random.NextDouble() * 2 - 1), Matrix<double>.Build.Dense(4, 5, (_, _) => random.NextDouble()));
        return (graph, ParameterSet.Initialise(graph, 3, Initialiser.Xavier), batch);
    }

    /// <summary>
    /// With one hidden layer f′ appears once, between W₁'s update and the unit h: dropping it in the relaxation but keeping
    /// it in the update is backprop exactly (at equilibrium, every schedule); dropping it in both gives dW₁ = (W₂ᵀe) xᵀ, not backprop's.
    /// </summary>
    [Theory]
    [InlineData("relu", RelaxationSchedule.Synchronous)]
    [InlineData("tanh", RelaxationSchedule.TopDown)]
    public void DroppingFPrimeInTheRelaxationOnlyIsBackpropWithOneHiddenLayer(string activation, RelaxationSchedule schedule)
    {
        var (graph, p, batch) = OneHidden(activation);
        var bp = new BackpropRule().Compute(graph, p, batch).Updates;
        var options = new RelaxationOptions(1.0, graph.LayerRelaxationDepth + 1, 0, schedule, UseDerivative: false);
        var relaxOnly = new ActivationRelaxationRule(options).Compute(graph, p, batch).Updates;
        var both = new ActivationRelaxationRule(options, DerivativeInUpdate: false).Compute(graph, p, batch).Updates;
        foreach (var name in bp.Names) Assert.True((relaxOnly[name] - bp[name]).FrobeniusNorm() <= 1e-12 * Math.Max(1, bp[name].FrobeniusNorm()), name);

        var record = Forward.Run(graph, p, batch);
        var expected = (p["W2"].Transpose() * record.LossGradient) * batch.Inputs["x"].Transpose();
        Assert.True((both["W1"] - expected).FrobeniusNorm() <= 1e-12 * expected.FrobeniusNorm());
        Assert.True((both["W1"] - bp["W1"]).FrobeniusNorm() > 1e-3 * bp["W1"].FrobeniusNorm());
    }

    /// <summary>A different f′ in the update with a unit on every node is a clear error (there is no layer interior to recompute).</summary>
    [Fact]
    public void DifferentFPrimeNeedsUnitsPerLayer()
    {
        var rule = new ActivationRelaxationRule(new RelaxationOptions(0.1, 10, 0, RelaxationSchedule.Synchronous, UnitPlacement.EveryNode, UseDerivative: false));
        var e = Assert.Throws<ArgumentException>(() => rule.Validate());
        Assert.Contains("UnitPlacement.Layers", e.Message);
        Assert.Throws<ArgumentException>(() => new RelaxationOptions(0.1, 10, 0, RelaxationSchedule.SynchronousClosedForm, UseDerivative: false).Validate());
    }
}
