using System;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;

namespace Symbolic.Cli.Bench;

/// <summary>The float64 reference engine on the paper MLP: a rule's Compute (forward, backprop or relaxation, updates) then an SGD step.</summary>
public static class ReferenceCases
{
    /// <summary>The paper MLP 784-300-300-100-10 (Linear + ReLU hidden layers, a linear output, squared error).</summary>
    public static ComputationGraph PaperMlp()
    {
        var g = new GraphBuilder("mlp-784-300-300-100-10");
        var x = g.Input("x", 784);
        var h = x;
        int[] sizes = MlpFlops.Sizes;
        for (int l = 1; l < sizes.Length; l++)
        {
            var w = g.Weight("w" + l, sizes[l], sizes[l - 1]);
            var b = g.Bias("b" + l, sizes[l]);
            h = l < sizes.Length - 1 ? g.Relu(g.Linear(w, h, b), "h" + l) : g.Linear(w, h, b, "out");
        }
        return g.Build(h, LossKind.SquaredError);
    }

    /// <summary>Sets up a reference case for <paramref name="c"/> (rule "bp", "ar" or "ar-closed-form").</summary>
    public static CaseRun Setup(BenchCase c)
    {
        var graph = PaperMlp();
        var parameters = ParameterSet.Initialise(graph, 1);
        var r = new Random(2);
        var input = Matrix<double>.Build.Dense(784, c.Batch, (i, j) => r.NextDouble());
        var targets = Matrix<double>.Build.Dense(10, c.Batch, (i, j) => r.NextDouble() < 0.1 ? 1.0 : 0.0);
        var batch = Batch.Single("x", input, targets);
        LearningRule rule = c.Rule == "bp" ? new BackpropRule() : new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps,
            Schedule: c.Rule == "ar-closed-form" ? RelaxationSchedule.SynchronousClosedForm : RelaxationSchedule.Synchronous));
        var sgd = new Sgd(1e-4);
        double iterations = 0;
        return new CaseRun(() =>
        {
            var update = rule.Compute(graph, parameters, batch);
            iterations = update.Metrics.TryGetValue("iterations", out var it) ? it : 0;
            parameters = sgd.Step(parameters, update.Updates);
        }, () => iterations);
    }
}
