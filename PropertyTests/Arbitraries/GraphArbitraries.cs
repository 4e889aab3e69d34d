using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Symbolic.Graph;

namespace Symbolic.PropertyTests.Arbitraries;

/// <summary>
/// FsCheck generators and shrinkers for random computation graphs: 1-2 inputs, 1-10 hidden steps of mixed ops
/// (dense layers with shared weights and shared biases, activations, n-ary adds, gates, concatenations), widths 1-8, fan-in and
/// fan-out above one, either loss, batches of 1-4.
/// </summary>
public static class GraphArbitraries
{
    // Every elementwise op of the table, so a new activation is exercised without touching the arbitrary.
    private static readonly OpKind[] Activations = OpTable.All.Where(op => op.IsElementwise).Select(op => op.Kind).ToArray();

    /// <summary>Random recipes.</summary>
    public static Gen<GraphRecipe> Recipes =>
        from inputCount in Gen.Choose(1, 2)
        from inputWidths in Gen.ArrayOf(Gen.Choose(1, 8), inputCount)
        from stepCount in Gen.Choose(1, 10)
        from steps in Gen.ArrayOf(Steps, stepCount)
        from outputWidth in Gen.Choose(1, 8)
        from loss in Gen.Elements(LossKind.SquaredError, LossKind.SoftmaxCrossEntropy)
        from batch in Gen.Choose(1, 4)
        from seed in Gen.Choose(0, int.MaxValue)
        select new GraphRecipe(inputWidths.ToEquatableArray(), steps.ToEquatableArray(), outputWidth, loss, batch, seed);

    private static Gen<RecipeStep> Steps =>
        from kind in Gen.Frequency((4, Gen.Constant(StepKind.Linear)), (4, Gen.Constant(StepKind.Activation)), (2, Gen.Constant(StepKind.Add)), (2, Gen.Constant(StepKind.Mul)), (1, Gen.Constant(StepKind.Concat)))
        from width in Gen.Choose(1, 8)
        from a in Gen.Choose(0, 100)
        from b in Gen.Choose(0, 100)
        from c in Gen.Choose(0, 100)
        from share in Gen.Elements(true, false)
        from activation in Gen.Elements(Activations)
        from alpha in Gen.Choose(1, 30).Select(k => k / 100.0)
        select new RecipeStep(kind, width, a, b, c, share, activation, alpha);

    /// <summary>Smaller recipes: fewer steps, fewer inputs, narrower widths, batch 1.</summary>
    public static IEnumerable<GraphRecipe> Shrink(GraphRecipe r)
    {
        for (int i = 0; i < r.Steps.Count && r.Steps.Count > 1; i++)
        {
            yield return r with { Steps = r.Steps.Where((_, k) => k != i).ToEquatableArray() };
        }
        if (r.InputWidths.Count > 1) yield return r with { InputWidths = r.InputWidths.Take(1).ToEquatableArray() };
        if (r.BatchSize > 1) yield return r with { BatchSize = 1 };
        if (r.OutputWidth > 1) yield return r with { OutputWidth = r.OutputWidth / 2 };
        if (r.InputWidths.Any(w => w > 1)) yield return r with { InputWidths = r.InputWidths.Select(w => (w + 1) / 2).ToEquatableArray() };
        for (int i = 0; i < r.Steps.Count; i++)
        {
            if (r.Steps[i].Width > 1)
            {
                var narrowed = r.Steps.Select((s, k) => k == i ? s with { Width = s.Width / 2 } : s).ToEquatableArray();
                yield return r with { Steps = narrowed };
            }
        }
    }

    /// <summary>The FsCheck arbitrary of built graph cases (registered through <c>Arbitrary = new[] { typeof(GraphArbitraries) }</c>).</summary>
    public static Arbitrary<GraphCase> GraphCases() =>
        Arb.Convert(Arb.From(Recipes, Shrink), RecipeBuilder.Build, (GraphCase c) => c.Recipe);
}
