using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;

namespace Symbolic.Cli.Bench;

/// <summary>
/// Full training steps of the declared example graphs (float32) through the generic compiled drivers over the
/// primitives the source generator emitted: <c>rule.Step(parameters, batch, new Sgd(lr), state)</c>, one state per case
/// (one thread: one shard, no pool; more: the data-parallel training run).
/// </summary>
public static class GeneratedCases
{
    /// <summary>
    /// The rule a case name stands for: "bp"; "ar" (synchronous), "ar-topdown", "ar-sync-exact" (eta 1 for the unit depth),
    /// "ar-closed-form" (the synchronous state after the steps, computed from the unit depth's powers); the rule family:
    /// "ar-learned-psi" and "ar-random-psi" (top-down, as "ar-topdown"), "ar-no-fprime", "ar-learned-psi-no-fprime",
    /// "ar-current-fprime" (f' at the current units in the relaxation), "ar-current-inputs" (the relaxed units as the
    /// update's inputs), "fa", "dfa", "pc" (synchronous, errors on every node), "pc-strict".
    /// </summary>
    public static LearningRule Rule(BenchCase c) => c.Rule switch
    {
        "bp" => new BackpropRule(),
        "ar" or "ar-sync-exact" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.Synchronous)),
        "ar-topdown" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown)),
        "ar-closed-form" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.SynchronousClosedForm)),
        "ar-learned-psi" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown), BackwardWeights.Learned),
        "ar-random-psi" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown), BackwardWeights.FixedRandom),
        "ar-no-fprime" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown, UseDerivative: false)),
        "ar-learned-psi-no-fprime" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown, UseDerivative: false), BackwardWeights.Learned),
        "ar-current-fprime" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown, JacobiansAtCurrentUnits: true)),
        "ar-current-inputs" => new ActivationRelaxationRule(new RelaxationOptions(c.Eta, c.Steps, 0, RelaxationSchedule.TopDown), UpdateInputsAtCurrentUnits: true),
        "fa" => new FeedbackAlignmentRule(),
        "dfa" => new DirectFeedbackAlignmentRule(),
        "pc" => new PredictiveCodingRule(c.Steps, c.Eta),
        "pc-strict" => new PredictiveCodingRule(c.Steps, c.Eta, FixedPrediction: false),
        _ => throw new ArgumentException("Unknown generated-code rule '" + c.Rule + "'."),
    };

    /// <summary>Multiply-adds per sample of a training step, counted from the graph: the forward products, then for
    /// backprop the weight gradients and the cotangents of every product whose input is not a graph input; for AR the
    /// weight updates plus, per relaxation step, those same input-side products; for the closed form, the unit depth's
    /// sweeps instead of the steps; the rules that recompute the forward pass from the units every step (f' at the
    /// current units, strict PC) add those products once more per step.</summary>
    public static double Macs(ComputationGraph graph, string rule, int steps)
    {
        var products = graph.Nodes.Where(n => n.Op is OpKind.MatVec or OpKind.Conv2d).ToArray();
        double forward = products.Sum(n => ProductMacs(graph, n));
        double backward = products.Where(n => graph.Nodes[n.Inputs[1]].Op != OpKind.Input).Sum(n => ProductMacs(graph, n));
        return rule switch
        {
            "bp" or "fa" => 2 * forward + backward,
            "dfa" => 2 * forward + graph.Nodes.Where(n => n.Id != graph.OutputId && !graph.LayerInterior[n.Id] && n.Op != OpKind.Input && graph.UnitIds.Contains(n.Id)).Sum(n => (double)n.Shape.Size * graph.Output.Size),
            "ar-closed-form" => 2 * forward + graph.LayerRelaxationDepth * backward,
            "ar-current-fprime" or "pc-strict" => 2 * forward + 2 * steps * backward,
            _ => 2 * forward + steps * backward,
        };
    }

    /// <summary>Multiply-adds per sample of one product: a weight's size for W x; output size × patch (in · kh · kw) for a convolution.</summary>
    private static double ProductMacs(ComputationGraph graph, Node n)
    {
        var parameter = graph.Nodes[n.Inputs[0]];
        return n.Op == OpKind.Conv2d ? (double)n.Size * (parameter.Size / parameter.Shape.Dims[0]) : parameter.Size;
    }

    /// <summary>
    /// Multiply-adds per sample of a GAIT-prop square-network step of <paramref name="batch"/> samples: the forward products
    /// and the weight updates (2 n² per layer), then for "bp" the cotangents below the top (n² per layer), for the target
    /// rules the solves (2 n² per inverted layer) and their LU factorisations (2 n³ / 3 per inverted layer, per batch), and
    /// for "gait-ortho" the penalty's two products (2 n³ per weight, per batch); "lu" is the factorisations alone.
    /// </summary>
    public static double GaitMacs(ComputationGraph graph, string rule, int batch)
    {
        var weights = graph.Nodes.Where(n => n.Op == OpKind.Weight).Select(n => (double)n.Shape.Dims[0]).ToArray();
        double squares = weights.Sum(n => n * n), inverted = weights.Skip(1).Sum(n => n * n), lu = weights.Skip(1).Sum(n => 2 * n * n * n / 3) / batch;
        return rule switch
        {
            "bp" => 2 * squares + inverted,
            "gait" => 2 * squares + 2 * inverted + lu,
            "gait-ortho" => 2 * squares + 2 * inverted + lu + weights.Sum(n => 2 * n * n * n) / batch,
            "lu" => lu,
            _ => throw new ArgumentException("Unknown GAIT-prop bench rule '" + rule + "'."),
        };
    }

    /// <summary>Sets up a GAIT-prop square-network case (orthogonal weights, pixels uniform in [0, 1), SGD), in float64 or float32.</summary>
    public static CaseRun GaitSquareSetup(BenchCase c) => c.Float64 ? GaitSetup<GaitSquare.Float64, double>(c) : GaitSetup<GaitSquare.Float32, float>(c);

    private static CaseRun GaitSetup<TGraph, T>(BenchCase c) where TGraph : struct, ICompiledGraph<T> where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var layout = TGraph.Layout;
        var parameters = new ParameterArrays<T>(layout);
        parameters.CopyFrom(ParameterSet.Initialise(layout.Graph, 1, Initialiser.Orthogonal));
        var random = new Random(6);
        var inputs = layout.InputIds.Select(id => Enumerable.Range(0, c.Batch * layout.Sizes[id]).Select(_ => T.CreateChecked(random.NextDouble())).ToArray()).ToArray();
        var targets = new T[c.Batch * layout.OutputSize];
        for (int s = 0; s < c.Batch; s++) targets[s * layout.OutputSize + random.Next(layout.OutputSize)] = T.One;
        var batch = new CompiledBatch<T>(inputs, targets, c.Batch);
        if (c.Rule == "lu")
        {
            var chain = Symbolic.Rules.TargetPropagation.InvertibleChain.Of(layout.Graph);
            var inverses = new Symbolic.Rules.TargetPropagation.LayerInverses<T>(layout, chain);
            return new CaseRun(() => inverses.BeginStep(parameters));
        }
        LearningRule rule = c.Rule switch
        {
            "bp" => new BackpropRule(),
            "gait" => new Symbolic.Rules.TargetPropagation.GaitPropRule(),
            _ => new OrthogonalityRegularised(new Symbolic.Rules.TargetPropagation.GaitPropRule(), 0.1),
        };
        // A learning rate too small to move the weights: they stay orthogonal over the timed steps, as at the start of training,
        // and GAIT-prop's float32 updates (rounding amplified by 1/gamma per layer, see docs/training.md) cannot blow them up.
        var optimiser = new Sgd(1e-30);
        var state = rule.CreateState<TGraph, T>(c.Batch, c.Threads);
        return new CaseRun(() => rule.Step(parameters, batch, optimiser, state), null, state);
    }

    /// <summary>Sets up a PaperCnn case (the follow-up's CNN on 28x28 grey images, tanh; inputs uniform in [-1, 1)).</summary>
    public static CaseRun PaperCnnSetup(BenchCase c) => Setup<PaperCnn.Float32>(c, PaperCnn.Float32.Parameters.Initialise(1), 4, 5e-4);

    /// <summary>Sets up a PaperMlp case.</summary>
    public static CaseRun PaperMlpSetup(BenchCase c) => Setup<PaperMlp.Float32>(c, PaperMlp.Float32.Parameters.Initialise(1), 2, 1e-5);

    /// <summary>Sets up a GatedResidual case (the non-chain example: gate, skip connection, fan-out).</summary>
    public static CaseRun GatedResidualSetup(BenchCase c) => Setup<GatedResidual.Float32>(c, GatedResidual.Float32.Parameters.Initialise(1, Initialiser.Xavier), 3, 1e-4);

    private static CaseRun Setup<TGraph>(BenchCase c, ParameterArrays<float> parameters, int seed, double learningRate) where TGraph : struct, ICompiledGraph<float>
    {
        var layout = TGraph.Layout;
        var random = new Random(seed);
        var inputs = layout.InputIds.Select(id => Enumerable.Range(0, c.Batch * layout.Sizes[id]).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var targets = new float[c.Batch * layout.OutputSize];
        for (int s = 0; s < c.Batch; s++) targets[s * layout.OutputSize + random.Next(layout.OutputSize)] = 1f;
        var batch = new CompiledBatch<float>(inputs, targets, c.Batch);
        var rule = Rule(c);
        var optimiser = new Sgd(learningRate);
        var state = rule.CreateState<TGraph, float>(c.Batch, c.Threads);
        return new CaseRun(() => rule.Step(parameters, batch, optimiser, state), () => c.Steps, state);
    }
}
