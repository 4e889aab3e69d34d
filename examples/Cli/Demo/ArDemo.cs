using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Cli.CommandLine;
using Symbolic.Rules;

namespace Symbolic.Cli;

/// <summary>
/// The demo: a gated residual network built with <see cref="GraphBuilder"/>, run through the float64 reference engine;
/// prints, per node, backprop's gradient norm and the error of Activation Relaxation's units after the chosen steps.
/// </summary>
public static class ArDemo
{
    /// <summary>Runs the demo with <paramref name="options"/>, writing to <paramref name="output"/>.</summary>
    public static int Run(Settings options, TextWriter output)
    {
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

    /// <summary>The demo's settings (the defaults are the command line's).</summary>
    /// <param name="Eta">The relaxation step size, in (0, 1].</param>
    /// <param name="Steps">Relaxation iterations, at least 0.</param>
    /// <param name="Schedule">Synchronous or top-down updates.</param>
    /// <param name="Seed">Seeds the parameters and the data.</param>
    /// <param name="Batch">Samples, at least 1.</param>
    public sealed record Settings(double Eta = 0.1, int Steps = 100, RelaxationSchedule Schedule = RelaxationSchedule.Synchronous, int Seed = 1, int Batch = 4);

    /// <summary>
    /// The demo's command-line options. The root command (no verb runs the demo) and <c>demo</c> each get their own
    /// instances, with the same names, defaults and checks.
    /// </summary>
    public sealed class Options
    {
        private static readonly Settings Defaults = new();

        /// <summary>--eta X: the relaxation step size.</summary>
        public Option<double> Eta { get; } = CliOptions.Number("--eta", "X", "Relaxation step size, in (0, 1]", Defaults.Eta, v => v > 0 && v <= 1, "in (0, 1]");

        /// <summary>--steps N: relaxation iterations.</summary>
        public Option<int> Steps { get; } = CliOptions.Integer("--steps", "N", "Relaxation iterations (0 or more)", Defaults.Steps, v => v >= 0, "0 or more");

        /// <summary>--schedule sync|topdown.</summary>
        public Option<string> Schedule { get; } = CliOptions.Choice("--schedule", "Relaxation schedule: all units at once (sync), or top-down sweeps", "sync", "sync", "topdown");

        /// <summary>--seed N: seeds the parameters and the data.</summary>
        public Option<int> Seed { get; } = CliOptions.Integer("--seed", "N", "Seed of the parameters and the data", Defaults.Seed, _ => true, "an integer");

        /// <summary>--batch N: samples.</summary>
        public Option<int> Batch { get; } = CliOptions.Integer("--batch", "N", "Samples in the batch (1 or more)", Defaults.Batch, v => v >= 1, "1 or more");

        /// <summary>All the options, in help order.</summary>
        public IEnumerable<Option> All => new Option[] { Eta, Steps, Schedule, Seed, Batch };

        /// <summary>Adds the options to <paramref name="command"/> and makes it run the demo, writing to the invocation's output.</summary>
        public void AttachTo(Command command)
        {
            foreach (var option in All) command.Add(option);
            command.SetAction(parse => Run(Read(parse), parse.InvocationConfiguration.Output));
        }

        /// <summary>The settings given on the command line (the defaults for options not given).</summary>
        public Settings Read(ParseResult parse) =>
            new(parse.GetValue(Eta), parse.GetValue(Steps), parse.GetValue(Schedule) == "topdown" ? RelaxationSchedule.TopDown : RelaxationSchedule.Synchronous,
                parse.GetValue(Seed), parse.GetValue(Batch));
    }

    /// <summary>The <c>demo</c> command.</summary>
    public static Command CreateCommand()
    {
        var command = new Command("demo", "Build a small non-chain graph and compare Activation Relaxation with backprop per node (the default command)");
        new Options().AttachTo(command);
        return command;
    }
}
