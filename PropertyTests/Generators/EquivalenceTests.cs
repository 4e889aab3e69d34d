using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FsCheck.Xunit;
using Symbolic.Graph;
using Symbolic.PropertyTests.Arbitraries;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The generated engines agree with the float64 reference engine on random graphs: each graph is printed as a
/// declaration, run through the generator, compiled in memory and loaded; forward values, the loss, backprop's
/// adjoints and gradients, relaxed units and AR updates are compared node by node, and one training step of every
/// registered rule (SGD and Adam, one and two threads) against the reference rule and optimiser.
/// </summary>
public class EquivalenceTests
{
    private static int counter;

    [Property(Arbitrary = new[] { typeof(GraphArbitraries) }, MaxTest = 12)]
    public void Generated_engines_match_the_reference_engine(GraphCase c)
    {
        string className = "Random" + System.Threading.Interlocked.Increment(ref counter);
        var declaration = DeclarationPrinter.Print(c.Graph, className, style: c.Recipe.Seed % 3);
        var (result, output) = GeneratorHarness.Run(GeneratorHarness.Compilation(declaration));
        Assert.Empty(result.Diagnostics);
        var assembly = GeneratorHarness.Load(output);

        var generatedGraph = (ComputationGraph)assembly.GetType("Test." + className)!.GetProperty("Graph")!.GetValue(null)!;
        AssertSameGraph(c.Graph, generatedGraph);

        var random = new Random(c.Recipe.Seed);
        var schedule = (RelaxationSchedule)random.Next(3);
        double eta = new[] { 1.0, 0.7, 0.25 }[random.Next(3)];
        int steps = random.Next(c.Graph.RelaxationDepth + 4);
        double tolerance = random.Next(3) == 0 ? 1e-3 : 0.0;
        var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
        var rules = RuleCatalog.All.Select(entry => entry.Sample(random, c.Graph)).ToArray();
        var inputs = Comparison.Inputs(c.Graph, c.Batch);
        var targets = Comparison.PerSample(c.Batch.Targets);

        var float64 = assembly.GetType("Test." + className + "+Float64")!;
        var float32 = assembly.GetType("Test." + className + "+Float32")!;
        var options64 = new RelaxationOptions(eta, steps, tolerance, schedule, units);
        var got64 = CompiledHarness.Invoke(float64, typeof(double), c.Parameters, inputs, targets, c.Batch.Size, options64, rules);
        Comparison.AgainstReference(c.Graph, c.Parameters, c.Batch, options64, got64, 1e-9, checkIterations: true);
        Comparison.RulesAgainstReference(c.Graph, c.Parameters, c.Batch, rules, got64, 1e-9, typeof(double));

        var options32 = new RelaxationOptions(eta, steps, 0.0, schedule, units);
        var got32 = CompiledHarness.Invoke(float32, typeof(float), c.Parameters, inputs, targets, c.Batch.Size, options32, rules);
        Comparison.AgainstReference(c.Graph, c.Parameters, c.Batch, options32, got32, 1e-4, checkIterations: true);
        Comparison.RulesAgainstReference(c.Graph, c.Parameters, c.Batch, rules, got32, 1e-4, typeof(float));
    }

    /// <summary>The same nodes by name (op, parents by name, shape, slope), output and loss; ids may differ (leaves come first).</summary>
    internal static void AssertSameGraph(ComputationGraph expected, ComputationGraph got)
    {
        Assert.Equal(expected.Nodes.Count, got.Nodes.Count);
        Assert.Equal(expected.Loss, got.Loss);
        Assert.Equal(expected.Output.Name, got.Output.Name);
        foreach (var e in expected.Nodes)
        {
            var n = got[e.Name];
            Assert.Equal(e.Op, n.Op);
            Assert.Equal(e.Shape, n.Shape);
            Assert.Equal(e.Constants, n.Constants);
            Assert.Equal(e.Inputs.Select(p => expected.Nodes[p].Name), n.Inputs.Select(p => got.Nodes[p].Name));
        }
        Assert.Equal(expected.RelaxationDepth, got.RelaxationDepth);
    }
}
