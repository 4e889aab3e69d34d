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
/// adjoints and gradients, relaxed units and AR updates are compared node by node.
/// </summary>
public class EquivalenceTests
{
    private static int counter;

    [Property(Arbitrary = new[] { typeof(GraphArbitraries) }, MaxTest = 12)]
    public void Generated_engines_match_the_reference_engine(GraphCase c)
    {
        string className = "Random" + System.Threading.Interlocked.Increment(ref counter);
        var declaration = DeclarationPrinter.Print(c.Graph, className, style: c.Recipe.Seed % 3);
        var (result, output) = GeneratorHarness.Run(GeneratorHarness.Compilation(declaration, DeclarationPrinter.Harness(c.Graph, className)));
        Assert.Empty(result.Diagnostics);
        var assembly = GeneratorHarness.Load(output);

        var generatedGraph = (ComputationGraph)assembly.GetType("Test." + className)!.GetProperty("Graph")!.GetValue(null)!;
        AssertSameGraph(c.Graph, generatedGraph);

        var random = new Random(c.Recipe.Seed);
        var schedule = random.Next(2) == 0 ? RelaxationSchedule.Synchronous : RelaxationSchedule.TopDown;
        double eta = new[] { 1.0, 0.7, 0.25 }[random.Next(3)];
        int steps = random.Next(c.Graph.RelaxationDepth + 4);
        double tolerance = random.Next(3) == 0 ? 1e-3 : 0.0;
        var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
        var harness = assembly.GetType("Test." + className + "Harness")!;
        var inputs = Comparison.Inputs(c.Graph, c.Batch);
        var targets = Comparison.PerSample(c.Batch.Targets);

        var got64 = Invoke(harness, "RunFloat64", c, inputs, targets, eta, steps, tolerance, schedule, units);
        Comparison.AgainstReference(c.Graph, c.Parameters, c.Batch, new RelaxationOptions(eta, steps, tolerance, schedule, units), got64, 1e-9, checkIterations: true);

        var got32 = Invoke(harness, "RunFloat32", c, inputs, targets, eta, steps, 0.0, schedule, units);
        Comparison.AgainstReference(c.Graph, c.Parameters, c.Batch, new RelaxationOptions(eta, steps, 0.0, schedule, units), got32, 1e-4, checkIterations: true);

        // Training steps (fused SGD, single-threaded and parallel) equal parameters - lr * the checked gradients and AR
        // updates. AR's are compared where the relaxation ran the fixed step count (no tolerance), as TrainStepAr does.
        foreach (var (got, tol, relaxedFixed) in new[] { (got64, 1e-9, tolerance == 0), (got32, 1e-4, true) })
        {
            foreach (var id in c.Graph.ParameterIds)
            {
                string name = c.Graph.Nodes[id].Name;
                var start = Comparison.RowMajor(c.Parameters[name]);
                var afterBp = start.Zip(got["grad:" + name], (v, g) => v - 0.01 * g).ToArray();
                Comparison.Close("step-bp:" + name, got["step-bp:" + name], afterBp, tol);
                Comparison.Close("parallel-bp:" + name, got["parallel-bp:" + name], afterBp, tol);
                if (!relaxedFixed) continue;
                var afterAr = start.Zip(got["ar:" + name], (v, g) => v - 0.01 * g).ToArray();
                Comparison.Close("step-ar:" + name, got["step-ar:" + name], afterAr, tol);
                Comparison.Close("parallel-ar:" + name, got["parallel-ar:" + name], afterAr, tol);
            }
        }
    }

    private static Dictionary<string, double[]> Invoke(Type harness, string method, GraphCase c, double[][] inputs, double[] targets, double eta, int steps, double tolerance, RelaxationSchedule schedule, UnitPlacement units) =>
        (Dictionary<string, double[]>)harness.GetMethod(method)!.Invoke(null, new object[] { c.Parameters, inputs, targets, c.Batch.Size, eta, steps, tolerance, (int)schedule, (int)units })!;

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
            Assert.Equal(e.Alpha, n.Alpha);
            Assert.Equal(e.Inputs.Select(p => expected.Nodes[p].Name), n.Inputs.Select(p => got.Nodes[p].Name));
        }
        Assert.Equal(expected.RelaxationDepth, got.RelaxationDepth);
    }
}
