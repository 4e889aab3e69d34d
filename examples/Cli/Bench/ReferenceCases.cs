using System;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;

namespace Symbolic.Cli.Bench;

/// <summary>The float64 reference engine on the declared paper MLP (<c>Symbolic.Examples.PaperMlp.Graph</c>): a rule's Compute (forward, backprop or relaxation, updates) then an SGD step.</summary>
public static class ReferenceCases
{
    /// <summary>Sets up a reference case for <paramref name="c"/> (rule "bp", "ar" or "ar-closed-form").</summary>
    public static CaseRun Setup(BenchCase c)
    {
        var graph = Symbolic.Examples.PaperMlp.Graph; // the declared graph, the same one the generated cases run
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
