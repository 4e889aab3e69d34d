using System;
using System.Linq;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.PropertyTests.Arbitraries;
using Symbolic.Rules.TargetPropagation;
using static Symbolic.PropertyTests.Arbitraries.InvertibleChains;
using Xunit;
using Xunit.Abstractions;

namespace Symbolic.PropertyTests.Reference;

/// <summary>
/// GAIT-prop and target propagation in float64 on random invertible chains (issue 18): exact inverses, GAIT-prop's
/// approach to backprop as γ → 0 with orthogonal weights, the cases where they equal backprop exactly, the
/// orthogonality regulariser's gradient, and clear errors for graphs that are not invertible chains.
/// </summary>
public class TargetPropagationProperties(ITestOutputHelper output)
{
    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    private static double RelativeError(ParameterSet got, ParameterSet expected)
    {
        double num = 0, den = 0;
        foreach (var (name, e) in expected.Items)
        {
            num += (got[name] - e).Enumerate().Sum(v => v * v);
            den += e.Enumerate().Sum(v => v * v);
        }
        return Math.Sqrt(num / Math.Max(den, 1e-300));
    }

    /// <summary>g(f(W x + b)) = x to 1e-10 for every layer of random invertible chains (Xavier-normal weights, any invertible activation).</summary>
    [Fact]
    public void The_inverse_reconstructs_every_layers_input()
    {
        var r = new Random(1806);
        for (int run = 0; run < Runs(200); run++)
        {
            var c = RandomChain(r, orthogonal: false, Activations.Any, slices: true);
            var chain = InvertibleChain.Of(c.Graph);
            var record = Forward.Run(c.Graph, c.Parameters, c.Batch);
            foreach (var layer in chain.Layers)
            {
                var w = c.Parameters[layer.Weight.Name];
                // Gaussian matrices are sometimes nearly singular; the bound is relative to how well the solve is conditioned.
                double condition = w.ConditionNumber();
                var x = record.Values[layer.Input];
                var back = LayerTargets.Invert(c.Graph, layer, c.Parameters, record.Values[layer.Output]);
                double error = (back - x).Enumerate().Max(Math.Abs);
                Assert.True(error < 1e-12 * Math.Max(1, condition) * Math.Max(1, x.Enumerate().Max(Math.Abs)) || error < 1e-10,
                    $"layer '{c.Graph.Nodes[layer.Output].Name}' of {c.Graph}: reconstruction error {error:E2}, condition {condition:E2}");
            }
        }
    }

    /// <summary>
    /// With orthogonal weights and curved activations (tanh, softplus), GAIT-prop's updates approach backprop's linearly in γ:
    /// the relative error's slope on a log-log scale between γ = 1e-2 and 1e-3 is 1 (each tenth of γ a tenth of the error), on
    /// random square chains and towers. The first-order term comes from the curvature of the top layer's f⁻¹ (a lower layer's
    /// comes in at a higher power of γ), so every layer here is curved.
    /// </summary>
    [Fact]
    public void Gait_prop_approaches_backprop_linearly_in_gamma_with_orthogonal_weights()
    {
        var r = new Random(2006);
        var slopes = new System.Collections.Generic.List<double>();
        for (int run = 0; run < Runs(100); run++)
        {
            var c = RandomChain(r, orthogonal: true, Activations.Smooth, slices: true, layerCount: r.Next(2, 4));
            var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch).Updates;
            double coarse = RelativeError(new GaitPropRule(1e-2).Compute(c.Graph, c.Parameters, c.Batch).Updates, bp);
            double fine = RelativeError(new GaitPropRule(1e-3).Compute(c.Graph, c.Parameters, c.Batch).Updates, bp);
            double slope = Math.Log10(coarse / fine);
            slopes.Add(slope);
            Assert.True(fine < 0.05, $"{c.Graph}: relative error {fine:E2} at gamma 1e-3");
            Assert.True(slope > 0.85 && slope < 1.2, $"{c.Graph}: relative error {coarse:E2} at gamma 1e-2, {fine:E2} at 1e-3 (slope {slope:F3})");
        }
        output.WriteLine($"{slopes.Count} slopes, {slopes.Min():F3} to {slopes.Max():F3}, median {slopes.OrderBy(s => s).ElementAt(slopes.Count / 2):F3}");
    }

    /// <summary>
    /// With orthogonal weights and piecewise-linear layers (the authors' leaky ReLU, or linear), every increment is inverted
    /// exactly by the linear piece it starts on, so GAIT-prop is backprop up to rounding, at any γ, unless an increment
    /// crosses a kink: then that unit's target moves by O(γ), the layer below's error by O(1). Checked on the runs without a crossing.
    /// </summary>
    [Fact]
    public void Gait_prop_is_backprop_on_orthogonal_piecewise_linear_chains_unless_an_increment_crosses_a_kink()
    {
        var r = new Random(2007);
        int crossed = 0, runs = Runs(100);
        for (int run = 0; run < runs; run++)
        {
            var c = RandomChain(r, orthogonal: true, Activations.PiecewiseLinear, slices: true, layerCount: r.Next(2, 5));
            const double gamma = 1e-2;
            var walk = LayerTargets.Run(c.Graph, c.Parameters, c.Batch, new LayerTargets.Increment(gamma));
            bool crossing = InvertibleChain.Of(c.Graph).Layers.Any(layer =>
            {
                if (layer.Activation != OpKind.LeakyRelu) return false;
                var h = walk.Forward.Values[layer.Output];
                var d = walk.Forward.Values[layer.PreActivationId].Map(layer.Derivative);
                var z = h + gamma * d.PointwiseMultiply(d).PointwiseMultiply(walk.Targets[layer.Output] - h);
                return h.Enumerate().Zip(z.Enumerate()).Any(p => Math.Sign(p.First) != Math.Sign(p.Second));
            });
            if (crossing)
            {
                crossed++;
                continue;
            }
            var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch).Updates;
            double error = RelativeError(walk.Updates, bp);
            // Layer l's error is (h − t) / γ^(L−l) with h − t of order γ^(L−l): float64 rounding of h, amplified.
            double rounding = 1e-12 / Math.Pow(gamma, InvertibleChain.Of(c.Graph).Layers.Count() - 1);
            Assert.True(error < rounding, $"{c.Graph}: relative error {error:E2} at gamma {gamma} with no kink crossed (rounding allows {rounding:E1})");
        }
        output.WriteLine($"{crossed} of {runs} chains crossed a kink");
        Assert.True(crossed < runs / 2, $"{crossed} of {runs} chains crossed a kink: the property checked too few");
    }

    /// <summary>On a one-layer chain the output's target is the whole story: GAIT-prop, TP and backprop give the same updates.</summary>
    [Fact]
    public void On_one_layer_gait_prop_target_propagation_and_backprop_agree()
    {
        var r = new Random(61);
        for (int run = 0; run < Runs(50); run++)
        {
            var c = RandomChain(r, orthogonal: r.Next(2) == 0, Activations.Any, slices: true, layerCount: 1);
            var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch).Updates;
            Assert.True(RelativeError(new GaitPropRule(0.37).Compute(c.Graph, c.Parameters, c.Batch).Updates, bp) < 1e-12, c.Graph.ToString());
            Assert.True(RelativeError(new TargetPropagationRule().Compute(c.Graph, c.Parameters, c.Batch).Updates, bp) < 1e-12, c.Graph.ToString());
        }
    }

    /// <summary>On linear chains with orthogonal weights, the exact inverse is the transpose: target propagation is backprop, and so is GAIT-prop at any γ.</summary>
    [Fact]
    public void On_linear_orthogonal_chains_target_propagation_and_gait_prop_are_backprop()
    {
        var r = new Random(62);
        for (int run = 0; run < Runs(50); run++)
        {
            var c = RandomChain(r, orthogonal: true, Activations.Linear, slices: true);
            var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch).Updates;
            Assert.True(RelativeError(new TargetPropagationRule().Compute(c.Graph, c.Parameters, c.Batch).Updates, bp) < 1e-10, c.Graph.ToString());
            Assert.True(RelativeError(new GaitPropRule(0.5).Compute(c.Graph, c.Parameters, c.Batch).Updates, bp) < 1e-10, c.Graph.ToString());
        }
    }

    /// <summary>Both penalties' gradients equal central finite differences, and the regularised rule adds batch size × λ × the gradient to every weight's update only.</summary>
    [Fact]
    public void The_orthogonality_gradient_equals_its_finite_difference_and_enters_every_weights_update()
    {
        var r = new Random(63);
        for (int run = 0; run < Runs(40); run++)
        {
            int rows = r.Next(1, 6), cols = r.Next(1, 6);
            var w = Matrix<double>.Build.Random(rows, cols, new Normal(0, 1, r));
            foreach (var form in new[] { OrthogonalityPenalty.OffDiagonal, OrthogonalityPenalty.Frobenius })
            {
                var gradient = Orthogonality.Gradient(w, form);
                const double h = 1e-6;
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < cols; j++)
                    {
                        var plus = w.Clone(); plus[i, j] += h;
                        var minus = w.Clone(); minus[i, j] -= h;
                        double difference = (Orthogonality.Penalty(plus, form) - Orthogonality.Penalty(minus, form)) / (2 * h);
                        Assert.True(Math.Abs(difference - gradient[i, j]) < 1e-5 * Math.Max(1, Math.Abs(difference)), $"{form} at ({i}, {j}) of {rows}x{cols}: {gradient[i, j]} against {difference}");
                    }
                }
            }
            var q = Matrix<double>.Build.Random(rows, rows, new Normal(0, 1, r)).QR().Q;
            Assert.True(Orthogonality.Penalty(q, OrthogonalityPenalty.Frobenius) < 1e-24, "an orthogonal matrix has no penalty");
        }
        var c = RandomChain(r, orthogonal: false, Activations.Any, slices: true, layerCount: 3);
        var rules = new LearningRule[] { new BackpropRule(), new GaitPropRule(), new TargetPropagationRule() };
        foreach (var rule in rules.Where(_ => true))
        {
            if (rule is TargetPropagationRule && c.Graph.Nodes.Any(n => n.Op is OpKind.Tanh or OpKind.Softplus)) continue;
            var plain = rule.Compute(c.Graph, c.Parameters, c.Batch);
            var regularised = new OrthogonalityRegularised(rule, 0.25).Compute(c.Graph, c.Parameters, c.Batch);
            Assert.Equal(rule.Name, new OrthogonalityRegularised(rule, 0.25).Name);
            foreach (var (name, update) in plain.Updates.Items)
            {
                var expected = c.Graph[name].Op == OpKind.Weight ? update + c.Batch.Size * 0.25 * Orthogonality.Gradient(c.Parameters[name], OrthogonalityPenalty.OffDiagonal) : update;
                Assert.True((regularised.Updates[name] - expected).Enumerate().All(v => Math.Abs(v) < 1e-12), rule.Name + " " + name);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new OrthogonalityRegularised(new BackpropRule(), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OrthogonalityRegularised(new BackpropRule(), double.NaN));
    }

    /// <summary>Graphs that are not invertible chains, and a singular weight, are errors naming the node and what is wrong.</summary>
    [Fact]
    public void Graphs_that_are_not_invertible_chains_are_clear_errors()
    {
        string Refused(Func<GraphBuilder, NodeRef> build, LossKind loss = LossKind.SquaredError)
        {
            var b = new GraphBuilder("bad");
            var graph = b.Build(build(b), loss);
            var batch = Batch.Single(graph.Nodes[graph.InputIds[0]].Name, Matrix<double>.Build.Dense(graph.Nodes[graph.InputIds[0]].Size, 1, 0.5), Matrix<double>.Build.Dense(graph.Output.Size, 1));
            return Assert.Throws<ArgumentException>(() => new GaitPropRule().Compute(graph, ParameterSet.Initialise(graph, 1), batch)).Message;
        }
        Assert.Contains("weight 'w' of node 'm' has shape [3, 4]; an invertible layer needs a square weight", Refused(b => b.MatVec(b.Weight("w", 3, 4), b.Input("x", 4), "m")));
        Assert.Contains("node 'h' is Relu, which has no inverse", Refused(b => b.Op(OpKind.Relu, "h", 0.0, b.MatVec(b.Weight("w", 3, 3), b.Input("x", 3), "m"))));
        Assert.Contains("node 'h' is LeakyRelu with slope 0, which has no inverse", Refused(b => b.Op(OpKind.LeakyRelu, "h", 0.0, b.MatVec(b.Weight("w", 3, 3), b.Input("x", 3), "m"))));
        Assert.Contains("weight 'w' is shared by 2 layers", Refused(b =>
        {
            var w = b.Weight("w", 3, 3);
            return b.MatVec(w, b.Op(OpKind.Tanh, "h", 0.0, b.MatVec(w, b.Input("x", 3), "m")), "top");
        }));
        Assert.Contains("must close with squared error", Refused(b => b.MatVec(b.Weight("w", 3, 3), b.Input("x", 3), "m"), LossKind.SoftmaxCrossEntropy));
        Assert.Contains("node 'g' is Mul", Refused(b =>
        {
            var x = b.Input("x", 3);
            return b.MatVec(b.Weight("w", 3, 3), b.Mul(b.MatVec(b.Weight("v", 3, 3), x, "m"), b.Op(OpKind.Tanh, "t", 0.0, b.MatVec(b.Weight("u", 3, 3), x, "n")), "g"), "top");
        }));

        var sb = new GraphBuilder("singular");
        var sg = sb.Build(sb.Op(OpKind.LeakyRelu, "h1", 0.1, sb.MatVec(sb.Weight("w1", 2, 2), sb.Op(OpKind.LeakyRelu, "h0", 0.1, sb.MatVec(sb.Weight("w0", 2, 2), sb.Input("x", 2), "m0")), "m1")), LossKind.SquaredError);
        var singular = ParameterSet.From(new[] { ("w0", Matrix<double>.Build.DenseIdentity(2)), ("w1", Matrix<double>.Build.DenseOfArray(new double[,] { { 1, 2 }, { 2, 4 } })) });
        var sbatch = Batch.Single("x", Matrix<double>.Build.Dense(2, 1, 0.5), Matrix<double>.Build.Dense(2, 1));
        Assert.Contains("weight 'w1' is singular", Assert.Throws<ArithmeticException>(() => new TargetPropagationRule().Compute(sg, singular, sbatch)).Message);
    }
}
