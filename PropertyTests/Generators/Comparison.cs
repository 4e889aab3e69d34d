using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>Compares the generated engines' arrays with the reference engine's matrices.</summary>
internal static class Comparison
{
    /// <summary>A per-sample (size x batch) matrix in the generated layout: sample s, element i at [s * size + i].</summary>
    public static double[] PerSample(Matrix<double> m)
    {
        var a = new double[m.RowCount * m.ColumnCount];
        for (int s = 0; s < m.ColumnCount; s++) for (int i = 0; i < m.RowCount; i++) a[s * m.RowCount + i] = m[i, s];
        return a;
    }

    /// <summary>A parameter matrix (rows x cols; a bias is n x 1) row-major.</summary>
    public static double[] RowMajor(Matrix<double> m)
    {
        var a = new double[m.RowCount * m.ColumnCount];
        for (int r = 0; r < m.RowCount; r++) for (int c = 0; c < m.ColumnCount; c++) a[r * m.ColumnCount + c] = m[r, c];
        return a;
    }

    /// <summary>max |got - expected| / max(1, max |expected|).</summary>
    public static double RelativeError(IReadOnlyList<double> got, IReadOnlyList<double> expected)
    {
        Assert.Equal(expected.Count, got.Count);
        double diff = 0, scale = 1;
        for (int k = 0; k < got.Count; k++)
        {
            diff = Math.Max(diff, Math.Abs(got[k] - expected[k]));
            scale = Math.Max(scale, Math.Abs(expected[k]));
        }
        return double.IsNaN(diff) ? double.PositiveInfinity : diff / scale;
    }

    /// <summary>Asserts an array matches within a relative tolerance, naming it on failure.</summary>
    public static void Close(string what, IReadOnlyList<double> got, IReadOnlyList<double> expected, double tolerance)
    {
        double error = RelativeError(got, expected);
        Assert.True(error < tolerance, what + ": relative error " + error.ToString("G3") + " >= " + tolerance.ToString("G3") +
            "\n got      " + string.Join(", ", got.Take(6).Select(v => v.ToString("G6"))) +
            "\n expected " + string.Join(", ", expected.Take(6).Select(v => v.ToString("G6"))));
    }

    /// <summary>
    /// How far the float64 reference's SGD step (lr 0.01) moves, relative, when its parameters and batch are first rounded
    /// to float32, as the float32 compiled code sees them. Rules whose inference is nonlinear in the units (Jacobians at the
    /// current units, strict PC) can amplify that rounding over their steps on graphs with products; a float32 result
    /// can be no closer to the exact one than this, so the float32 check allows it on top of its tolerance.
    /// </summary>
    private static double Float32Sensitivity(ComputationGraph graph, ParameterSet parameters, Batch batch, LearningRule rule, ParameterSet updates)
    {
        static Matrix<double> Round(Matrix<double> m) => m.Map(v => (double)(float)v);
        var roundedParameters = parameters.Map((_, m) => Round(m));
        var roundedBatch = new Batch(batch.Inputs.ToImmutableSortedDictionary(kv => kv.Key, kv => Round(kv.Value)), Round(batch.Targets));
        ParameterSet rounded;
        try
        {
            rounded = rule.Compute(graph, roundedParameters, roundedBatch).Updates;
        }
        catch (ArithmeticException)
        {
            return double.PositiveInfinity;
        }
        double worst = 0;
        foreach (var name in updates.Names)
        {
            var exact = RowMajor(parameters[name] - 0.01 * updates[name]);
            var moved = RowMajor(roundedParameters[name] - 0.01 * rounded[name]);
            double error = RelativeError(moved, exact);
            worst = Math.Max(worst, double.IsNaN(error) ? double.PositiveInfinity : error);
        }
        return worst;
    }

    /// <summary>
    /// Adam's first step moves each parameter by lr g / (|g| + eps), whose derivative in g is lr eps / (|g| + eps)²: a
    /// gradient element near zero (a cancellation, e.g. a closed-form relaxation a few steps from a zero start) carries
    /// its rounding into the parameter amplified up to lr / eps. Each element may therefore differ by the tolerance plus
    /// that amplification of the gradient's own tolerance (tolerance × its largest element).
    /// </summary>
    public static void CloseAfterAdam(string what, IReadOnlyList<double> got, IReadOnlyList<double> expected, IReadOnlyList<double> gradient, Adam adam, double tolerance)
    {
        Assert.Equal(expected.Count, got.Count);
        double scale = 1, largest = 1;
        for (int k = 0; k < expected.Count; k++)
        {
            scale = Math.Max(scale, Math.Abs(expected[k]));
            largest = Math.Max(largest, Math.Abs(gradient[k]));
        }
        for (int k = 0; k < expected.Count; k++)
        {
            double denominator = Math.Abs(gradient[k]) + adam.Epsilon;
            double allowed = tolerance * scale + adam.LearningRate * adam.Epsilon * tolerance * largest / (denominator * denominator);
            double error = Math.Abs(got[k] - expected[k]);
            Assert.True(error <= allowed, what + ": element " + k + " differs by " + error.ToString("G3") + " > " + allowed.ToString("G3") +
                " (gradient " + gradient[k].ToString("G3") + ")\n got      " + string.Join(", ", got.Take(6).Select(v => v.ToString("G6"))) +
                "\n expected " + string.Join(", ", expected.Take(6).Select(v => v.ToString("G6"))));
        }
    }

    private static Matrix<double> Round(Matrix<double> m) => m.Map(v => (double)(float)v);

    private static (ForwardRecord Record, Gradients Gradients, RelaxationResult Relaxed, ParameterSet Ar) ReferencePasses(ComputationGraph graph, ParameterSet parameters, Batch batch, RelaxationOptions options)
    {
        var record = Forward.Run(graph, parameters, batch);
        var relaxed = ActivationRelaxation.Relax(record, options);
        return (record, Backprop.Run(record), relaxed, ActivationRelaxation.ParameterUpdates(record, relaxed));
    }

    /// <summary>The batch inputs in input-declaration order, per-sample layout.</summary>
    public static double[][] Inputs(ComputationGraph graph, Batch batch) =>
        graph.InputIds.Select(id => PerSample(batch.Inputs[graph.Nodes[id].Name])).ToArray();

    /// <summary>
    /// Checks a harness result (see <see cref="CompiledHarness"/>) against the reference engine on the same graph,
    /// parameters and batch, node by node and parameter by parameter.
    /// </summary>
    public static void AgainstReference(ComputationGraph graph, ParameterSet parameters, Batch batch, RelaxationOptions options,
        IReadOnlyDictionary<string, double[]> got, double tolerance, bool checkIterations)
    {
        var (record, gradients, relaxed, ar) = ReferencePasses(graph, parameters, batch, options);
        // A float32 check (tolerance above 1e-6) also allows what rounding the parameters and batch to float32 moves the
        // float64 reference itself: products of products (gates squared, then multiplied again) amplify it past any
        // fixed tolerance on some graphs, and the compiled float32 code can be no closer than that.
        var rounded = tolerance > 1e-6 ? ReferencePasses(graph, parameters.Map((_, m) => Round(m)),
            new Batch(batch.Inputs.ToImmutableSortedDictionary(kv => kv.Key, kv => Round(kv.Value)), Round(batch.Targets)), options) : default;
        void Check(string what, double[] actual, Func<(ForwardRecord Record, Gradients Gradients, RelaxationResult Relaxed, ParameterSet Ar), double[]> of)
        {
            var expected = of((record, gradients, relaxed, ar));
            double allowed = tolerance + (rounded.Record is null ? 0 : 4 * RelativeError(of(rounded), expected));
            Close(what, actual, expected, allowed);
        }
        Check("loss", got["loss"], r => new[] { r.Record.LossValue });
        foreach (var n in graph.Nodes)
        {
            switch (n.Role)
            {
                case NodeRole.Input:
                    Check("value of " + n.Name, got["value:" + n.Name], r => PerSample(r.Record.Values[n.Id]));
                    break;
                case NodeRole.Computed:
                    Check("value of " + n.Name, got["value:" + n.Name], r => PerSample(r.Record.Values[n.Id]));
                    Check("adjoint of " + n.Name, got["adjoint:" + n.Name], r => PerSample(r.Gradients.NodeGradients[n.Id]));
                    Check("unit of " + n.Name, got["unit:" + n.Name], r => PerSample(r.Relaxed.Units[n.Id]!));
                    break;
                default:
                    Check("gradient of " + n.Name, got["grad:" + n.Name], r => RowMajor(r.Gradients.ParameterGradients[n.Name]));
                    Check("AR update of " + n.Name, got["ar:" + n.Name], r => RowMajor(r.Ar[n.Name]));
                    break;
            }
        }
        if (checkIterations) Assert.Equal(relaxed.Iterations, (int)got["iterations"][0]);
    }

    /// <summary>
    /// Checks each rule's compiled step (see <see cref="CompiledHarness"/>) against the reference: the rule's updates from
    /// <c>Compute</c>, then the optimiser's reference step from its initial state.
    /// </summary>
    public static void RulesAgainstReference(ComputationGraph graph, ParameterSet parameters, Batch batch, IReadOnlyList<LearningRule> rules,
        IReadOnlyDictionary<string, double[]> got, double tolerance, Type scalar)
    {
        for (int k = 0; k < rules.Count; k++)
        {
            var update = rules[k].Compute(graph, parameters, batch);
            double largest = update.Updates.Names.SelectMany(n => update.Updates[n].Enumerate()).Select(Math.Abs).DefaultIfEmpty(0).Max();
            bool diverged = !double.IsFinite(largest);
            // An update beyond float32's range (the reference's is finite in float64) cannot be compared in float32: the
            // compiled step may refuse it or overflow in its fused product; float64 checks these cases.
            if (scalar == typeof(float) && !diverged && largest > 1e30) continue;
            double sensitivity = scalar == typeof(float) && !diverged ? Float32Sensitivity(graph, parameters, batch, rules[k], update.Updates) : 0;
            // Rules whose inference is nonlinear in the units (Jacobians at the current units, strict PC) follow a
            // trajectory that float32 rounding can move by far more than any tolerance: a ReLU's f' at a recomputed
            // pre-activation near zero flips with one rounding, and the steps after it amplify the jump (seen: 1%
            // after 5 steps). They are compared in float64 (1e-9), which runs the same generic compiled code.
            bool nonlinear = rules[k] is PredictiveCodingRule { FixedPrediction: false } || rules[k] is ActivationRelaxationRule { Options.JacobiansAtCurrentUnits: true };
            if (scalar == typeof(float) && nonlinear) continue;
            double allowed = tolerance + 4 * sensitivity;
            foreach (var optimiser in CompiledHarness.OptimisersFor(scalar))
            {
                var (expected, _) = diverged ? (parameters, null!) : optimiser.Step(parameters, update.Updates, optimiser.InitialState(parameters));
                foreach (int threads in new[] { 1, 2 })
                {
                    string key = "rule" + k + ":" + optimiser.GetType().Name + ":" + threads;
                    bool threw = got.ContainsKey(key + ":threw");
                    // The reference diverged: the compiled step must refuse it, parameters unchanged. A compiled step may
                    // also overflow where the reference stays finite: when the update is far beyond 1e20 (its
                    // intermediates, summed in another order, may pass the type's range), or when the rule's inference
                    // amplifies float32 rounding (its trajectory is then not float64's).
                    if (diverged) Assert.True(threw, key + " (" + rules[k] + "): the reference update is not finite but the compiled step did not refuse it");
                    else if (threw) Assert.True(largest > 1e20 || sensitivity > tolerance, key + " (" + rules[k] + "): the compiled step refused an update the reference computes (largest element " + largest.ToString("G3") + ")");
                    if (threw)
                    {
                        foreach (var id in graph.ParameterIds) Close(key + ":" + graph.Nodes[id].Name + " unchanged", got[key + ":" + graph.Nodes[id].Name], RowMajor(parameters[graph.Nodes[id].Name]), tolerance);
                        continue;
                    }
                    Close(key + ":loss (" + rules[k] + ")", got[key + ":loss"], new[] { update.Forward.LossValue }, tolerance);
                    foreach (var id in graph.ParameterIds)
                    {
                        string name = graph.Nodes[id].Name;
                        if (optimiser is Adam adam) CloseAfterAdam(key + ":" + name + " (" + rules[k] + ")", got[key + ":" + name], RowMajor(expected[name]), RowMajor(update.Updates[name]), adam, allowed);
                        else Close(key + ":" + name + " (" + rules[k] + ")", got[key + ":" + name], RowMajor(expected[name]), allowed);
                    }
                }
            }
        }
    }
}
