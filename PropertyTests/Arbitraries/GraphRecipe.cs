using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;

namespace Symbolic.PropertyTests.Arbitraries;

/// <summary>The kinds of step a random graph is grown from.</summary>
public enum StepKind
{
    /// <summary>
    /// W a (+ b when the step's B is even): a dense layer, possibly sharing an earlier weight of the same shape (when ShareWeight
    /// is set) and an earlier bias of the same length (when the step's C is odd), so a bias can feed two BiasAdd nodes.
    /// </summary>
    Linear,
    /// <summary>An elementwise activation of a.</summary>
    Activation,
    /// <summary>a + b (+ c when the step's C is divisible by 3), projected to a's width where needed.</summary>
    Add,
    /// <summary>a * b, a gate (b projected to a's width where needed).</summary>
    Mul,
    /// <summary>concat(a, b): of two images of one height and width along their channels, else of vectors (images flattened).</summary>
    Concat,
    /// <summary>
    /// A convolution of the latest image at or before a (a vector step when there is none): 1 + Width % 4 output channels,
    /// a (1 + B % 3)-wide window, stride 1 + C % 2, padding C / 2 % 2, a per-channel bias when B is even, an earlier kernel
    /// of the same shape when ShareWeight is set.
    /// </summary>
    Conv,
    /// <summary>Max-pooling (B even) or average-pooling of the latest image at or before a: window 1 + C % 3 (at most the image's side), stride 1 + B / 2 % 2.</summary>
    Pool,
    /// <summary>The units [B % n, B % n + 1 + C % (n − B % n)) of a (flattened) with n units: a slice, the rest of a left to its other consumers or to none.</summary>
    Slice,
}

/// <summary>One step of a recipe; parent indices are taken modulo the number of values so far, so any recipe builds.</summary>
public sealed record RecipeStep(StepKind Kind, int Width, int A, int B, int C, bool ShareWeight, OpKind Activation, double Alpha);

/// <summary>
/// A random graph as data: inputs, steps, output width, loss, batch size and a seed for values. Every recipe builds a
/// valid graph (shapes are adapted by projections), so shrinking can drop steps and shrink widths freely.
/// </summary>
/// <param name="InputWidths">The vector inputs' widths.</param>
/// <param name="Steps">The hidden steps, in order.</param>
/// <param name="OutputWidth">The output's width.</param>
/// <param name="Loss">The loss.</param>
/// <param name="BatchSize">The batch size.</param>
/// <param name="Seed">The seed of parameter and batch values.</param>
/// <param name="Image">An image input's (channels, height, width), first among the inputs; empty for none.</param>
public sealed record GraphRecipe(EquatableArray<int> InputWidths, EquatableArray<RecipeStep> Steps, int OutputWidth, LossKind Loss, int BatchSize, int Seed, EquatableArray<int> Image = default)
{
    /// <summary>A readable summary for failure messages.</summary>
    public override string ToString() =>
        (Image.Count == 3 ? "image " + Image + ", " : "") + $"inputs {InputWidths}, {Steps.Count} steps [{string.Join("; ", Steps.Select(s => s.Kind == StepKind.Activation ? s.Activation.ToString() : s.Kind + "(" + s.Width + ")"))}], out {OutputWidth}, {Loss}, batch {BatchSize}, seed {Seed}";
}

/// <summary>A built test case: the graph, its parameters and a batch.</summary>
public sealed record GraphCase(GraphRecipe Recipe, ComputationGraph Graph, ParameterSet Parameters, Batch Batch)
{
    /// <summary>The recipe and the graph, for failure messages.</summary>
    public override string ToString() => Recipe + "\n" + Graph;
}

/// <summary>Turns recipes into graphs, parameters and batches.</summary>
public static class RecipeBuilder
{
    /// <summary>An activation step's constant: its alpha where the op takes a constant that alpha fits, else the constant's example.</summary>
    private static double Constant(RecipeStep step)
    {
        var constants = OpTable.For(step.Activation).Constants;
        if (constants.Count == 0) return 0.0;
        return constants[0].IsValid(step.Alpha) ? step.Alpha : constants[0].Example;
    }

    /// <summary>Builds the case a recipe describes.</summary>
    public static GraphCase Build(GraphRecipe recipe)
    {
        var b = new GraphBuilder("random");
        var pool = new List<NodeRef>();
        var weights = new List<NodeRef>();
        var biases = new List<NodeRef>();
        int projections = 0;

        NodeRef Weight(int rows, int cols, bool share)
        {
            if (share)
            {
                var existing = weights.FirstOrDefault(w => w.Shape.Dims[0] == rows && w.Shape.Dims[1] == cols);
                if (existing is not null) return existing;
            }
            var w = b.Weight("w" + weights.Count, rows, cols);
            weights.Add(w);
            return w;
        }

        NodeRef Bias(int length, bool share, int step)
        {
            if (share)
            {
                var existing = biases.FirstOrDefault(p => p.Shape.Dims[0] == length);
                if (existing is not null) return existing;
            }
            var bias = b.Bias("bias" + step, length);
            biases.Add(bias);
            return bias;
        }

        var kernels = new List<NodeRef>();
        int flattens = 0;

        NodeRef Kernel(int outputs, int inputs, int window, bool share)
        {
            if (share)
            {
                var existing = kernels.FirstOrDefault(k => k.Shape.Dims[0] == outputs && k.Shape.Dims[1] == inputs && k.Shape.Dims[2] == window);
                if (existing is not null) return existing;
            }
            var k = b.Kernel("k" + kernels.Count, outputs, inputs, window, window);
            kernels.Add(k);
            return k;
        }

        // Images enter vector ops flattened (one flatten per use keeps every flatten a sole consumer's argument or not, at random).
        NodeRef Vector(NodeRef value) => value.Shape.IsVector ? value : b.Flatten(value, "flat" + flattens++);

        NodeRef Fit(NodeRef value, int width) =>
            value.Shape.Size == width && value.Shape.IsVector ? value : b.MatVec(Weight(width, value.Shape.Size, share: false), Vector(value), "proj" + projections++);

        // A second argument of an elementwise op on a: itself when shapes match; for an image a, a 1x1 convolution of a (a skip connection).
        NodeRef Like(NodeRef a, NodeRef second, int step) =>
            second.Shape.Equals(a.Shape) ? second
            : a.Shape.IsVector ? Fit(second, a.Shape.Size)
            : b.Conv2d(Kernel(a.Shape.Dims[0], a.Shape.Dims[0], 1, share: false), a, 1, 0, "skip" + step + "_" + projections++);

        NodeRef? LatestImage(int index)
        {
            for (int i = Math.Min(index % pool.Count, pool.Count - 1); i >= 0; i--) if (pool[i].Shape.Rank == 3) return pool[i];
            return pool.LastOrDefault(p => p.Shape.Rank == 3);
        }

        if (recipe.Image.Count == 3) pool.Add(b.Input("image", Shape.Image(recipe.Image[0], recipe.Image[1], recipe.Image[2])));
        for (int i = 0; i < recipe.InputWidths.Count; i++) pool.Add(b.Input("x" + i, recipe.InputWidths[i]));
        for (int s = 0; s < recipe.Steps.Count; s++)
        {
            var step = recipe.Steps[s];
            var a = pool[step.A % pool.Count];
            var second = pool[step.B % pool.Count];
            NodeRef result;
            var image = step.Kind is StepKind.Conv or StepKind.Pool ? LatestImage(step.A) : null;
            switch (image is null && step.Kind is StepKind.Conv or StepKind.Pool ? StepKind.Linear : step.Kind)
            {
                case StepKind.Conv:
                {
                    int outputs = 1 + step.Width % 4, padding = step.C / 2 % 2, stride = 1 + step.C % 2;
                    int window = Math.Min(1 + step.B % 3, Math.Min(image!.Shape.Dims[1], image.Shape.Dims[2]) + 2 * padding);
                    result = b.Conv2d(Kernel(outputs, image.Shape.Dims[0], window, step.ShareWeight), image, stride, padding, "conv" + s);
                    if (step.B % 2 == 0) result = b.ChannelBiasAdd(result, Bias(outputs, share: step.C % 4 == 1, s), "cb" + s);
                    break;
                }
                case StepKind.Pool:
                {
                    int window = Math.Min(1 + step.C % 3, Math.Min(image!.Shape.Dims[1], image.Shape.Dims[2])), stride = 1 + step.B / 2 % 2;
                    result = step.B % 2 == 0 ? b.MaxPool(image, window, stride, "max" + s) : b.AvgPool(image, window, stride, "avg" + s);
                    break;
                }
                case StepKind.Linear:
                    result = b.MatVec(Weight(step.Width, a.Shape.Size, step.ShareWeight), Vector(a), "h" + s);
                    if (step.B % 2 == 0) result = b.BiasAdd(result, Bias(step.Width, share: step.C % 2 == 1, s), "a" + s);
                    break;
                case StepKind.Activation:
                    result = b.Op(step.Activation, "f" + s, Constant(step), a);
                    break;
                case StepKind.Add:
                    result = step.C % 3 == 0
                        ? b.SumNamed("sum" + s, a, Like(a, second, s), Like(a, pool[step.C % pool.Count], s))
                        : b.SumNamed("sum" + s, a, Like(a, second, s));
                    break;
                case StepKind.Mul:
                    result = b.Mul(a, Like(a, second, s), "gate" + s);
                    break;
                case StepKind.Slice:
                {
                    var v = Vector(a);
                    int start = step.B % v.Shape.Size;
                    result = b.Slice(v, start, 1 + step.C % (v.Shape.Size - start), "slice" + s);
                    break;
                }
                case StepKind.Concat:
                    bool channels = a.Shape.Rank == 3 && second.Shape.Rank == 3 && a.Shape.Dims[1] == second.Shape.Dims[1] && a.Shape.Dims[2] == second.Shape.Dims[2];
                    result = channels ? b.Op(OpKind.Concat, "cat" + s, 0.0, a, second) : b.Op(OpKind.Concat, "cat" + s, 0.0, Vector(a), Vector(second));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(recipe), step.Kind, "Unknown step kind.");
            }
            pool.Add(result);
        }

        var used = new HashSet<int>(b.Nodes.SelectMany(n => n.Inputs));
        var sinks = pool.Where(p => !used.Contains(p.Id)).ToList();
        var heads = sinks.Select((sink, i) => b.MatVec(Weight(recipe.OutputWidth, sink.Shape.Size, share: false), Vector(sink), "out" + i)).ToArray();
        var output = heads.Length == 1 ? heads[0] : b.SumNamed("output", heads);
        var graph = b.Build(output, recipe.Loss);

        var random = new Random(recipe.Seed);
        var parameters = ParameterSet.Initialise(graph, recipe.Seed, Initialiser.Xavier)
            .Map((name, m) => graph[name].Op == OpKind.Bias ? Matrix<double>.Build.Random(m.RowCount, 1, new Normal(0, 0.5, random)) : m * 1.5);
        var normal = new Normal(0, 1, random);
        var inputs = graph.InputIds.Select(id => graph.Nodes[id]).Select(n => (n.Name, Matrix<double>.Build.Random(n.Size, recipe.BatchSize, normal)));
        Matrix<double> targets;
        if (recipe.Loss == LossKind.SquaredError)
        {
            targets = Matrix<double>.Build.Random(recipe.OutputWidth, recipe.BatchSize, normal);
        }
        else
        {
            targets = Matrix<double>.Build.Dense(recipe.OutputWidth, recipe.BatchSize);
            for (int s = 0; s < recipe.BatchSize; s++) targets[random.Next(recipe.OutputWidth), s] = 1.0;
        }
        return new GraphCase(recipe, graph, parameters, Batch.Create(inputs, targets));
    }
}
