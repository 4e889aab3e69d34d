using System;
using System.Globalization;
using System.IO;
using System.Linq;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;

namespace Symbolic.Cli;

/// <summary>
/// The demo: a gated residual network built with <see cref="GraphBuilder"/>, run through the float64 reference engine;
/// prints, per node, backprop's gradient norm and the error of Activation Relaxation's units after the chosen steps.
/// </summary>
public static class ArDemo
{
    /// <summary>Runs the demo with command-line options, writing to <paramref name="output"/>.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        var options = DemoOptions.Parse(args);
        var graph = GatedResidualGraph();
        var parameters = ParameterSet.Initialise(graph, options.Seed, Initialiser.Xavier);
        var random = new Random(options.Seed);
        var x = Matrix<double>.Build.Random(graph["x"].Size, options.Batch, new Normal(0, 1, random));
        var targets = Matrix<double>.Build.Random(graph.Output.Size, options.Batch, new Normal(0, 1, random));
        var batch = Batch.Single("x", x, targets);

        var record = Forward.Run(graph, parameters, batch);
        var bp = Backprop.Run(record);
        var relaxation = new RelaxationOptions(options.Eta, options.Steps, 0.0, options.Schedule);
        var relaxed = ActivationRelaxation.Relax(record, relaxation);
        var arUpdates = ActivationRelaxation.ParameterUpdates(record, relaxed);

        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(graph.ToString());
        output.WriteLine();
        output.WriteLine(string.Format(inv, "batch {0}, loss {1:G6}; AR eta {2}, {3} steps, {4} schedule; longest path to the output {5}",
            options.Batch, record.LossValue, options.Eta, relaxed.Iterations, options.Schedule, graph.RelaxationDepth));
        output.WriteLine();
        output.WriteLine(string.Format(inv, "{0,-10} {1,-8} {2,14} {3,14}", "node", "shape", "|dL/dv| (bp)", "AR rel. error"));
        foreach (var id in graph.UnitIds.Reverse())
        {
            var node = graph.Nodes[id];
            var g = bp.NodeGradients[id];
            double error = (relaxed.Units[id]! - g).FrobeniusNorm() / Math.Max(1e-300, g.FrobeniusNorm());
            output.WriteLine(string.Format(inv, "{0,-10} {1,-8} {2,14:E3} {3,14:E3}", node.Name, node.Shape, g.FrobeniusNorm(), error));
        }
        output.WriteLine();
        output.WriteLine(string.Format(inv, "{0,-10} {1,14}", "parameter", "angle to bp"));
        foreach (var (name, angle) in UpdateAngles.PerParameter(arUpdates, bp.ParameterGradients))
        {
            output.WriteLine(string.Format(inv, "{0,-10} {1,13:F6}°", name, angle));
        }
        output.WriteLine();
        output.Write("update norm by iteration:");
        for (int k = 0; k < relaxed.Residuals.Length; k += Math.Max(1, relaxed.Residuals.Length / 10))
        {
            output.Write(string.Format(inv, " {0}:{1:E2}", k + 1, relaxed.Residuals[k]));
        }
        output.WriteLine();
        return 0;
    }

    /// <summary>A small non-chain graph: h = tanh(W1 x + b1); gate = sigmoid(Wg x) * h; r = relu(W2 gate + b2) + h; out = Wo r + bo.</summary>
    public static ComputationGraph GatedResidualGraph()
    {
        var b = new GraphBuilder("gated-residual");
        var x = b.Input("x", 6);
        var h = b.Tanh(b.Linear(b.Weight("W1", 8, 6), x, b.Bias("b1", 8), "a1"), "h");
        var gate = b.Mul(b.Sigmoid(b.MatVec(b.Weight("Wg", 8, 6), x, "ag"), "g"), h, "gated");
        var r = b.SumNamed("r", b.Relu(b.Linear(b.Weight("W2", 8, 8), gate, b.Bias("b2", 8), "a2"), "h2"), h);
        var output = b.Linear(b.Weight("Wo", 3, 8), r, b.Bias("bo", 3), "out");
        return b.Build(output, LossKind.SquaredError);
    }

    private sealed record DemoOptions(double Eta, int Steps, RelaxationSchedule Schedule, int Seed, int Batch)
    {
        public static DemoOptions Parse(string[] args)
        {
            var o = new DemoOptions(0.1, 100, RelaxationSchedule.Synchronous, 1, 4);
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option {args[i]} needs a value.");
                o = args[i] switch
                {
                    "--eta" => o with { Eta = ParseDouble("--eta", Value()) },
                    "--steps" => o with { Steps = ParseInt("--steps", Value()) },
                    "--seed" => o with { Seed = ParseInt("--seed", Value()) },
                    "--batch" => o with { Batch = ParseInt("--batch", Value()) },
                    "--schedule" => o with
                    {
                        Schedule = Value() switch
                        {
                            "sync" => RelaxationSchedule.Synchronous,
                            "topdown" => RelaxationSchedule.TopDown,
                            var s => throw new ArgumentException($"--schedule must be sync or topdown, not '{s}'."),
                        },
                    },
                    _ => throw new ArgumentException($"unknown option '{args[i]}' (see 'symbolic help')."),
                };
            }
            if (o.Batch < 1) throw new ArgumentException("--batch must be at least 1.");
            return o;
        }

        private static double ParseDouble(string name, string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{name} needs a number, not '{text}'.");

        private static int ParseInt(string name, string text) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{name} needs an integer, not '{text}'.");
    }
}
