using System;
using System.Linq;
using Symbolic.PropertyTests.Arbitraries;
using Symbolic.Rules;
using Symbolic.Rules.TargetPropagation;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The compiled float64 drivers of GAIT-prop, target propagation and the orthogonality regulariser (on them and on
/// backprop) equal their reference rules to 1e-9 (issue 18; for
/// GAIT-prop times its amplification of rounding, 1/γ per layer below the top):
/// random invertible chains are printed as declarations, generated, compiled and stepped with SGD and Adam on one and
/// two threads (the LU factors made once per step, the solves per shard).
/// </summary>
public class TargetPropagationEquivalenceTests
{
    private static int counter;

    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    [Fact]
    public void Compiled_gait_prop_and_target_propagation_equal_their_reference()
    {
        var r = new Random(1818);
        for (int run = 0; run < Runs(8); run++)
        {
            // Target propagation inverts full targets, which may leave tanh's range: its chains are piecewise linear.
            bool curved = run % 2 == 0;
            var c = InvertibleChains.RandomChain(r, orthogonal: run % 3 != 0, curved ? InvertibleChains.Activations.Any : InvertibleChains.Activations.PiecewiseLinear, slices: true);
            // The authors' gamma 1e-3 on shallow chains only: below two layers its rounding amplification (see below) leaves no bound.
            bool shallow = InvertibleChain.Of(c.Graph).Layers.Count() <= 2;
            var rules = new LearningRule[]
                {
                    new GaitPropRule(0.25), new GaitPropRule(shallow ? 1e-3 : 0.05),
                    new OrthogonalityRegularised(new GaitPropRule(0.25), 0.1), new OrthogonalityRegularised(new BackpropRule(), 0.5, OrthogonalityPenalty.Frobenius),
                }
                .Concat(curved ? Array.Empty<LearningRule>() : new LearningRule[] { new TargetPropagationRule(), new OrthogonalityRegularised(new TargetPropagationRule(), 3) }).ToArray();
            string className = "Chain" + System.Threading.Interlocked.Increment(ref counter);
            var (result, output) = GeneratorHarness.Run(GeneratorHarness.Compilation(DeclarationPrinter.Print(c.Graph, className, style: run % 3)));
            Assert.Empty(result.Diagnostics);
            var assembly = GeneratorHarness.Load(output);
            var float64 = assembly.GetType("Test." + className + "+Float64")!;
            var got = CompiledHarness.Invoke(float64, typeof(double), c.Parameters, Comparison.Inputs(c.Graph, c.Batch), Comparison.PerSample(c.Batch.Targets), c.Batch.Size,
                new RelaxationOptions(1.0, 1), rules);
            // Layer l's error is (h − t) / γ^(L−l) with h − t of order γ^(L−l): rounding (here, two LU implementations) is
            // amplified by 1/γ per layer below the top, so the bound is 1e-9 times that amplification.
            int layers = InvertibleChain.Of(c.Graph).Layers.Count();
            for (int k = 0; k < rules.Length; k++)
            {
                var walked = rules[k] is OrthogonalityRegularised regularised ? regularised.Rule : rules[k];
                double amplification = walked is GaitPropRule gait ? Math.Pow(1 / gait.Gamma, layers - 1) : 1;
                var one = new[] { rules[k] };
                var gotOne = got.Where(kv => !kv.Key.StartsWith("rule", StringComparison.Ordinal) || kv.Key.StartsWith("rule" + k + ":", StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key.StartsWith("rule", StringComparison.Ordinal) ? "rule0" + kv.Key.Substring(("rule" + k).Length) : kv.Key, kv => kv.Value);
                Comparison.RulesAgainstReference(c.Graph, c.Parameters, c.Batch, one, gotOne, 1e-9 * amplification, typeof(double));
            }
        }
    }
}
