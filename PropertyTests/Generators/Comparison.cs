using System;
using System.Collections.Generic;
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
        var record = Forward.Run(graph, parameters, batch);
        var gradients = Backprop.Run(record);
        var relaxed = ActivationRelaxation.Relax(record, options);
        var ar = ActivationRelaxation.ParameterUpdates(record, relaxed);
        Close("loss", got["loss"], new[] { record.LossValue }, tolerance);
        foreach (var n in graph.Nodes)
        {
            switch (n.Role)
            {
                case NodeRole.Input:
                    Close("value of " + n.Name, got["value:" + n.Name], PerSample(record.Values[n.Id]), tolerance);
                    break;
                case NodeRole.Computed:
                    Close("value of " + n.Name, got["value:" + n.Name], PerSample(record.Values[n.Id]), tolerance);
                    Close("adjoint of " + n.Name, got["adjoint:" + n.Name], PerSample(gradients.NodeGradients[n.Id]), tolerance);
                    Close("unit of " + n.Name, got["unit:" + n.Name], PerSample(relaxed.Units[n.Id]!), tolerance);
                    break;
                default:
                    Close("gradient of " + n.Name, got["grad:" + n.Name], RowMajor(gradients.ParameterGradients[n.Name]), tolerance);
                    Close("AR update of " + n.Name, got["ar:" + n.Name], RowMajor(ar[n.Name]), tolerance);
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
            foreach (var optimiser in CompiledHarness.OptimisersFor(scalar))
            {
                var (expected, _) = optimiser.Step(parameters, update.Updates, optimiser.InitialState(parameters));
                foreach (int threads in new[] { 1, 2 })
                {
                    string key = "rule" + k + ":" + optimiser.GetType().Name + ":" + threads;
                    Close(key + ":loss (" + rules[k] + ")", got[key + ":loss"], new[] { update.Forward.LossValue }, tolerance);
                    foreach (var id in graph.ParameterIds)
                    {
                        string name = graph.Nodes[id].Name;
                        Close(key + ":" + name + " (" + rules[k] + ")", got[key + ":" + name], RowMajor(expected[name]), tolerance);
                    }
                }
            }
        }
    }
}
