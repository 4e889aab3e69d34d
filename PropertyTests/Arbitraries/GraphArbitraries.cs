using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Symbolic.Graph;

namespace Symbolic.PropertyTests.Arbitraries;

/// <summary>
/// FsCheck generators and shrinkers for random computation graphs: 1-2 inputs, 1-10 hidden steps of mixed ops
/// (dense layers with shared weights and shared biases, activations, n-ary adds, gates, concatenations), widths 1-8, fan-in and
/// fan-out above one, either loss, batches of 1-4; one graph in four is a small CNN over an image input.
/// </summary>
public static class GraphArbitraries
{
    // Every elementwise op of the table, so a new activation is exercised without touching the arbitrary.
    private static readonly OpKind[] Activations = OpTable.All.Where(op => op.IsElementwise).Select(op => op.Kind).ToArray();

    /// <summary>Random recipes.</summary>
    /// <summary>Random recipes, one in four with an image input and convolution and pooling steps.</summary>
    public static Gen<GraphRecipe> Recipes =>
        from hasImage in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from recipe in hasImage ? ImageRecipes : VectorRecipes
        select recipe;

    /// <summary>Recipes over vector inputs only.</summary>
    public static Gen<GraphRecipe> VectorRecipes =>
        from inputCount in Gen.Choose(1, 2)
        from inputWidths in Gen.ArrayOf(Gen.Choose(1, 8), inputCount)
        from stepCount in Gen.Choose(1, 10)
        from steps in Gen.ArrayOf(Steps(VectorKinds), stepCount)
        from outputWidth in Gen.Choose(1, 8)
        from loss in Gen.Elements(LossKind.SquaredError, LossKind.SoftmaxCrossEntropy)
        from batch in Gen.Choose(1, 4)
        from seed in Gen.Choose(0, int.MaxValue)
        select new GraphRecipe(inputWidths.ToEquatableArray(), steps.ToEquatableArray(), outputWidth, loss, batch, seed);

    /// <summary>
    /// Recipes with an image input of 1-3 channels and sides 3-7 (and 0-1 vector inputs): convolutions (odd windows,
    /// strides, paddings, shared kernels, per-channel biases), max- and average-pooling, skip connections by 1x1
    /// convolutions, channel concatenations, then dense steps on the flattened images.
    /// </summary>
    public static Gen<GraphRecipe> ImageRecipes =>
        from channels in Gen.Choose(1, 3)
        from height in Gen.Choose(3, 7)
        from width in Gen.Choose(3, 7)
        from inputCount in Gen.Choose(0, 1)
        from inputWidths in Gen.ArrayOf(Gen.Choose(1, 6), inputCount)
        from stepCount in Gen.Choose(1, 8)
        from steps in Gen.ArrayOf(Steps(ImageKinds), stepCount)
        from outputWidth in Gen.Choose(1, 6)
        from loss in Gen.Elements(LossKind.SquaredError, LossKind.SoftmaxCrossEntropy)
        from batch in Gen.Choose(1, 3)
        from seed in Gen.Choose(0, int.MaxValue)
        select new GraphRecipe(inputWidths.ToEquatableArray(), steps.ToEquatableArray(), outputWidth, loss, batch, seed, EquatableArray.Create(channels, height, width));

    private static readonly Gen<StepKind> VectorKinds =
        Gen.Frequency((4, Gen.Constant(StepKind.Linear)), (4, Gen.Constant(StepKind.Activation)), (2, Gen.Constant(StepKind.Add)), (2, Gen.Constant(StepKind.Mul)), (1, Gen.Constant(StepKind.Concat)),
            (1, Gen.Constant(StepKind.Slice)));

    private static readonly Gen<StepKind> ImageKinds =
        Gen.Frequency((4, Gen.Constant(StepKind.Conv)), (3, Gen.Constant(StepKind.Activation)), (2, Gen.Constant(StepKind.Pool)), (2, Gen.Constant(StepKind.Linear)),
            (2, Gen.Constant(StepKind.Add)), (1, Gen.Constant(StepKind.Mul)), (1, Gen.Constant(StepKind.Concat)));

    private static Gen<RecipeStep> Steps(Gen<StepKind> kinds) =>
        from kind in kinds
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
        if (r.Image.Count == 3 && r.InputWidths.Count > 0) yield return r with { Image = default };
        if (r.Image.Count == 3 && (r.Image[0] > 1 || r.Image[1] > 3 || r.Image[2] > 3))
        {
            yield return r with { Image = EquatableArray.Create(Math.Max(1, r.Image[0] - 1), Math.Max(3, r.Image[1] - 1), Math.Max(3, r.Image[2] - 1)) };
        }
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
