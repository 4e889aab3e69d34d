using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Examples;
using Symbolic.Graph;
using Symbolic.PropertyTests.Arbitraries;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Reference;

/// <summary>
/// AR's unfrozen feedforward pass (arXiv 2010.06219), strict predictive coding and learned ψ's decay, float64: each against
/// an update computed by hand on a small MLP, and the unfrozen pass against the frozen one where they must agree. The
/// compiled drivers are checked against these reference rules by the generated-code equivalence test (every catalog rule).
/// </summary>
public class UnfrozenProperties
{
    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    private static Matrix<double> Tanh(Matrix<double> a) => a.Map(Math.Tanh);

    private static Matrix<double> TanhPrime(Matrix<double> a) => a.Map(v => 1 - Math.Tanh(v) * Math.Tanh(v));

    private static void AssertClose(Matrix<double> expected, Matrix<double> actual, string what, double tolerance = 1e-12)
    {
        double error = (expected - actual).FrobeniusNorm();
        Assert.True(error <= tolerance * Math.Max(1, expected.FrobeniusNorm()), $"{what}: off by {error:E3} (norm {expected.FrobeniusNorm():E3})");
    }

    // x -> h1 = tanh(W1 x + b1) -> h2 = tanh(W2 h1 + b2) -> out = W3 h2 + b3, squared error.
    private static (ComputationGraph Graph, ParameterSet Parameters, Batch Batch) TwoHidden()
    {
        var b = new GraphBuilder("two-hidden");
        var x = b.Input("x", 5);
        var h1 = b.Tanh(b.Linear(b.Weight("W1", 7, 5), x, b.Bias("b1", 7)), "h1");
        var h2 = b.Tanh(b.Linear(b.Weight("W2", 6, 7), h1, b.Bias("b2", 6)), "h2");
        var graph = b.Build(b.Linear(b.Weight("W3", 3, 6), h2, b.Bias("b3", 3), "out"), LossKind.SquaredError);
        var random = new Random(17);
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(5, 4, (_, _) => random.NextDouble() * 2 - 1), Matrix<double>.Build.Dense(3, 4, (_, _) => random.NextDouble()));
        var p = ParameterSet.Initialise(graph, 4, Initialiser.Xavier);
        // Non-zero biases, so a pass that forgot them could not agree.
        p = p.Map((name, m) => name.StartsWith('b') ? m.Map(_ => random.NextDouble() - 0.5) : m);
        return (graph, p, batch);
    }

    /// <summary>
    /// Two synchronous steps at eta 1 on a two-hidden-layer tanh MLP, by hand: the first step sees the forward pass, the
    /// second takes f′ of layer 2 at W2 h1′ + b2 with h1′ the unit after the first step; the update takes f′ stored, or at
    /// the final units (f′(W2 h1″ + b2)), and the stored activations or the relaxed units as inputs.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void TheUnfrozenPassMatchesTheUpdateComputedByHand(bool derivativeAtCurrent, bool inputsAtCurrent)
    {
        var (graph, p, batch) = TwoHidden();
        var x = batch.Inputs["x"];
        var record = Forward.Run(graph, p, batch);
        var e = record.LossGradient;
        Matrix<double> Bias(string name) => p[name].Column(0).ToColumnMatrix() * Matrix<double>.Build.Dense(1, x.ColumnCount, 1.0);
        var a1 = p["W1"] * x + Bias("b1");
        var h1 = Tanh(a1);
        var a2 = p["W2"] * h1 + Bias("b2");
        var h2 = Tanh(a2);
        var h1Step1 = p["W2"].Transpose() * h2.PointwiseMultiply(TanhPrime(a2));
        var h2Step1 = p["W3"].Transpose() * e;
        var h1Step2 = p["W2"].Transpose() * h2Step1.PointwiseMultiply(TanhPrime(p["W2"] * h1Step1 + Bias("b2")));
        var h2Step2 = h2Step1;
        var d2 = derivativeAtCurrent ? TanhPrime(p["W2"] * h1Step2 + Bias("b2")) : TanhPrime(a2);
        var expectedW2 = h2Step2.PointwiseMultiply(d2) * (inputsAtCurrent ? h1Step2 : h1).Transpose();
        var expectedW1 = h1Step2.PointwiseMultiply(TanhPrime(a1)) * x.Transpose();
        var expectedW3 = e * (inputsAtCurrent ? h2Step2 : h2).Transpose();

        var options = new RelaxationOptions(1.0, 2, 0, RelaxationSchedule.Synchronous, JacobiansAtCurrentUnits: true);
        var rule = new ActivationRelaxationRule(options, UpdateDerivativeAtCurrentUnits: derivativeAtCurrent, UpdateInputsAtCurrentUnits: inputsAtCurrent);
        var updates = rule.Compute(graph, p, batch).Updates;
        AssertClose(expectedW1, updates["W1"], "W1");
        AssertClose(expectedW2, updates["W2"], "W2");
        AssertClose(expectedW3, updates["W3"], "W3");
        AssertClose(h2Step2.PointwiseMultiply(d2).RowSums().ToColumnMatrix(), updates["b2"], "b2");

        // The frozen relaxation differs after the second step (so the test sees the unfrozen pass).
        var frozen = new ActivationRelaxationRule(options with { JacobiansAtCurrentUnits = false }).Compute(graph, p, batch).Updates;
        Assert.True((frozen["W1"] - updates["W1"]).FrobeniusNorm() > 1e-6 * frozen["W1"].FrobeniusNorm());
    }

    /// <summary>
    /// The first relaxation step at the current units is the frozen one on any graph (the units start at the forward
    /// values, so the recomputed pass is the forward pass): one step, both schedules and placements, any ψ.
    /// </summary>
    [Fact]
    public void TheFirstStepAtTheCurrentUnitsIsTheFrozenStep() =>
        Prop.ForAll(GraphArbitraries.GraphCases(), c =>
        {
            var random = new Random(c.Recipe.Seed);
            var schedule = random.Next(2) == 0 ? RelaxationSchedule.Synchronous : RelaxationSchedule.TopDown;
            var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
            var backward = (BackwardWeights)random.Next(3);
            var options = new RelaxationOptions(new[] { 1.0, 0.3 }[random.Next(2)], 1, 0, schedule, units);
            var frozen = new ActivationRelaxationRule(options, backward, 3);
            var current = new ActivationRelaxationRule(options with { JacobiansAtCurrentUnits = true }, backward, 3);
            var state = frozen.InitialState(c.Graph, c.Parameters);
            var expected = frozen.Compute(c.Graph, c.Parameters, c.Batch, state).Updates;
            var got = current.Compute(c.Graph, c.Parameters, c.Batch, state).Updates;
            foreach (var name in expected.Names) AssertClose(expected[name], got[name], name, 1e-10);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs(40)).WithQuietOnSuccess(true));

    /// <summary>
    /// Strict PC, one hidden tanh layer, one step at rate 1, by hand. Value nodes per layer: h moves to h − W2ᵀe, so its
    /// error is W2ᵀe and W1's update is backprop's exactly; the output's prediction moves too, so W2's update is
    /// (e − 2 W2 W2ᵀ e)(h − W2ᵀ e)ᵀ, not backprop's e hᵀ. Value nodes on every node: see the comment below.
    /// </summary>
    [Theory]
    [InlineData(UnitPlacement.Layers)]
    [InlineData(UnitPlacement.EveryNode)]
    public void StrictPredictiveCodingMatchesTheUpdateComputedByHand(UnitPlacement units)
    {
        var b = new GraphBuilder("one-hidden");
        var xNode = b.Input("x", 6);
        var h = b.Tanh(b.Linear(b.Weight("W1", 8, 6), xNode, b.Bias("b1", 8)), "h");
        var graph = b.Build(b.Linear(b.Weight("W2", 4, 8), h, b.Bias("b2", 4), "out"), LossKind.SquaredError);
        var random = new Random(5);
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(6, 3, (_, _) => random.NextDouble() * 2 - 1), Matrix<double>.Build.Dense(4, 3, (_, _) => random.NextDouble()));
        var p = ParameterSet.Initialise(graph, 6, Initialiser.Xavier);
        var record = Forward.Run(graph, p, batch);
        var bp = new BackpropRule().Compute(graph, p, batch).Updates;
        var e = record.LossGradient;
        var w2 = p["W2"];

        var strict = new PredictiveCodingRule(1, 1.0, RelaxationSchedule.Synchronous, units, FixedPrediction: false).Compute(graph, p, batch).Updates;
        if (units == UnitPlacement.Layers)
        {
            var outputError = e - 2 * w2 * w2.Transpose() * e;
            AssertClose(bp["W1"], strict["W1"], "W1 (backprop's)");
            AssertClose(outputError * (record["h"] - w2.Transpose() * e).Transpose(), strict["W2"], "W2");
            AssertClose(outputError.RowSums().ToColumnMatrix(), strict["b2"], "b2");
            Assert.True((strict["W2"] - bp["W2"]).FrobeniusNorm() > 1e-3 * bp["W2"].FrobeniusNorm());
        }
        else
        {
            // Every node a value node: one step moves only W2 h (to W2 h − e), so its error is e (W2's update is backprop's),
            // the output's prediction falls by e (its error is −e for squared error), and the nodes below still have none.
            AssertClose(bp["W1"] * 0, strict["W1"], "W1 (zero)");
            AssertClose(bp["W2"], strict["W2"], "W2 (backprop's)");
            AssertClose(-bp["b2"], strict["b2"], "b2 (minus backprop's)");
        }
        Assert.Throws<ArgumentException>(() => new PredictiveCodingRule(5, 0.1, RelaxationSchedule.TopDown, units, FixedPrediction: false).Validate());
    }

    /// <summary>
    /// Learned ψ with a decay: over SGD steps, ψ = W − D follows ψ ← (1 − decay) ψ − ΔWᵀ exactly (tracked by hand), and the
    /// compiled float64 driver's parameters and offsets equal the reference's.
    /// </summary>
    [Fact]
    public void DecayingPsiFollowsItsRecursionInBothEngines()
    {
        var data = Training.SyntheticImages.Create(6, 4, "psi-decay");
        var xs = new double[6 * 784];
        var ys = new double[6 * 10];
        var all = Enumerable.Range(0, 6).ToArray();
        data.GatherImages<double>(all, xs);
        data.OneHot<double>(all, ys);
        var batch = Batch.Single("x", Matrix<double>.Build.Dense(784, 6, (i, s) => xs[s * 784 + i]), Matrix<double>.Build.Dense(10, 6, (k, s) => ys[s * 10 + k]));
        const double decay = 0.1;
        var rule = new ActivationRelaxationRule(new RelaxationOptions(0.2, 12, 0, RelaxationSchedule.TopDown), BackwardWeights.Learned, 9, PsiDecay: decay);
        var optimiser = new Sgd(0.01);

        var compiled = PaperMlp.Float64.Parameters.Initialise(5);
        var reference = compiled.ToParameterSet();
        var state = rule.InitialState(PaperMlp.Graph, reference);
        var moments = optimiser.InitialState(reference);
        var psi = ((BackwardState)state).Matrices.Map((name, offset) => reference[name] - offset);
        using var run = rule.CreateState<PaperMlp.Float64, double>(6);
        for (int step = 0; step < 4; step++)
        {
            var update = rule.Compute(PaperMlp.Graph, reference, batch, state);
            var before = reference;
            (reference, moments) = optimiser.Step(reference, update.Updates, moments);
            state = update.State;
            psi = psi.Map((name, m) => (1 - decay) * m + (reference[name] - before[name]));
            rule.Step(compiled, new CompiledBatch<double>(new[] { xs }, ys, 6), optimiser, run);
        }
        foreach (var name in psi.Names) AssertClose(psi[name], reference[name] - ((BackwardState)state).Matrices[name], "psi of " + name, 1e-12);
        foreach (var name in reference.Names) AssertClose(reference[name], compiled.ToParameterSet()[name], "compiled " + name, 1e-9);
        var offsets = ((BackwardState)state).Matrices;
        foreach (var (name, _, values) in run.RuleTensors())
        {
            var d = offsets[name[BackwardBuffers<double>.OffsetPrefix.Length..]];
            Assert.Equal(d[3, 1], values[3 * d.ColumnCount + 1], 12);
        }
        Assert.Throws<ArgumentException>(() => new ActivationRelaxationRule(new RelaxationOptions(), BackwardWeights.FixedRandom, PsiDecay: 0.1).Validate());
    }

    /// <summary>Contradictory unfrozen options are clear errors.</summary>
    [Fact]
    public void ContradictoryOptionsAreClearErrors()
    {
        Assert.Contains("needs f' in the update", Assert.Throws<ArgumentException>(() =>
            new ActivationRelaxationRule(new RelaxationOptions(), DerivativeInUpdate: false, UpdateDerivativeAtCurrentUnits: true).Validate()).Message);
        Assert.Contains("UnitPlacement.Layers", Assert.Throws<ArgumentException>(() =>
            new ActivationRelaxationRule(new RelaxationOptions(Units: UnitPlacement.EveryNode), UpdateDerivativeAtCurrentUnits: true).Validate()).Message);
        Assert.Contains("closed-form", Assert.Throws<ArgumentException>(() =>
            new RelaxationOptions(Schedule: RelaxationSchedule.SynchronousClosedForm, JacobiansAtCurrentUnits: true).Validate()).Message);
    }
}
