using System;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules;

/// <summary>What strict predictive coding's inference produced.</summary>
/// <param name="Errors">By node id, the errors at the final value nodes as cotangents (μ − x on a value node, dL/dμ at the output, the instant cotangent inside a layer); null for inputs and parameters.</param>
/// <param name="Values">By node id, the final values: inputs and parameters as given, a value node's x, a node inside a layer its prediction.</param>
/// <param name="Residuals">The L2 norm of each step's change of the value nodes, in order.</param>
public sealed record StrictInference(ImmutableArray<Matrix<double>?> Errors, ImmutableArray<Matrix<double>> Values, ImmutableArray<double> Residuals);

/// <summary>
/// Predictive coding without the fixed-prediction assumption (Whittington &amp; Bogacz 2017; Millidge, Tschantz &amp; Buckley
/// 2020, arXiv 2006.04182 §2), float64, on any computation graph. Value nodes x_i (every computed node but the output, or
/// one per layer output) start at the feedforward values. The energy is F = Σ_i |x_i − μ_i|² / 2 + L(μ_out), with each
/// prediction μ_i = f_i(parents' values) recomputed from the current x. With the errors written as cotangents
/// c_i = μ_i − x_i (and c_out = dL/dμ_out), −dF/dx_i = c_i − Σ_j J_jiᵀ c_j with the Jacobians at x, so each step moves
/// every x_i by rate (c_i − Σ_j J_jiᵀ c_j) at once; the weights then descend dF/dW, the local products of the errors.
/// </summary>
public static class StrictPredictiveCoding
{
    /// <summary>Runs <paramref name="steps"/> inference steps from the forward pass <paramref name="record"/> of <paramref name="targets"/>' batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The steps are negative or the rate is outside (0, 1].</exception>
    public static StrictInference Infer(ForwardRecord record, Matrix<double> targets, int steps, double rate, UnitPlacement units)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(targets);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The inference steps must be non-negative.");
        if (!(rate > 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The inference rate must be in (0, 1].");
        var graph = record.Graph;
        bool IsValueNode(int id) => id != graph.OutputId && (units == UnitPlacement.EveryNode || !graph.LayerInterior[id]);
        var free = graph.UnitIds.Where(IsValueNode).ToArray();
        var interior = graph.UnitIds.Where(id => id != graph.OutputId && !IsValueNode(id)).Reverse().ToArray();
        var x = new Matrix<double>?[graph.Nodes.Count];
        foreach (var id in free) x[id] = record.Values[id].Clone();

        (Matrix<double>[] Values, Matrix<double>?[] Errors, Matrix<double>[][] Parents) Predict()
        {
            var values = new Matrix<double>[graph.Nodes.Count];
            var errors = new Matrix<double>?[graph.Nodes.Count];
            foreach (var node in graph.Nodes)
            {
                int id = node.Id;
                if (node.Role != NodeRole.Computed)
                {
                    values[id] = record.Values[id];
                    continue;
                }
                var prediction = ReferenceOps.For(node.Op).Forward(graph, node, node.Inputs.Select(p => values[p]).ToArray());
                if (id == graph.OutputId) errors[id] = Loss.Gradient(graph.Loss, prediction, targets);
                if (IsValueNode(id)) errors[id] = prediction - x[id]!;
                values[id] = IsValueNode(id) ? x[id]! : prediction;
            }
            var parents = new Matrix<double>[graph.Nodes.Count][];
            foreach (var id in graph.UnitIds) parents[id] = graph.Nodes[id].Inputs.Select(p => values[p]).ToArray();
            foreach (var id in interior) errors[id] = ActivationRelaxation.Drive(graph, id, errors, parents, values[id].RowCount, values[id].ColumnCount);
            return (values, errors, parents);
        }

        var residuals = ImmutableArray.CreateBuilder<double>(steps);
        for (int step = 0; step < steps; step++)
        {
            var (values, errors, parents) = Predict();
            double squared = 0;
            var moves = free.Select(id => rate * (errors[id]! - ActivationRelaxation.Drive(graph, id, errors, parents, values[id].RowCount, values[id].ColumnCount))).ToArray();
            for (int u = 0; u < free.Length; u++)
            {
                squared += moves[u].PointwiseMultiply(moves[u]).Enumerate().Sum();
                x[free[u]] = x[free[u]]! + moves[u];
            }
            residuals.Add(Math.Sqrt(squared));
        }
        var final = Predict();
        return new StrictInference(final.Errors.ToImmutableArray(), final.Values.ToImmutableArray(), residuals.MoveToImmutable());
    }
}
