using System;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>
/// Synchronous Activation Relaxation in closed form. Let x* be the fixed point (backprop's adjoint) and e_0 = x_0 - x*
/// over the free units. One synchronous step maps e to M e with M = (1-eta)I + eta N, where N (the frozen transposed
/// Jacobians between units) is nilpotent: N^j = 0 beyond the longest path D. Hence
/// e_T = sum_{j&lt;=D} C(T,j) (1-eta)^(T-j) eta^j N^j e_0, and the update of step k is eta (N - I) e_{k-1}.
/// </summary>
internal static class ClosedFormRelaxation
{
    public static RelaxationResult Relax(ForwardRecord record, RelaxationOptions options)
    {
        var graph = record.Graph;
        bool layers = options.Units == UnitPlacement.Layers;
        var free = (layers ? graph.LayerUnitIds : graph.UnitIds).Where(id => id != graph.OutputId).ToArray();
        var interior = graph.UnitIds.Where(id => layers && graph.LayerInterior[id]).Reverse().ToArray();
        var parentsOf = new Matrix<double>[graph.Nodes.Count][];
        foreach (var id in graph.UnitIds) parentsOf[id] = record.ParentValues(id);
        var fixedPoint = Backprop.Run(record).NodeGradients;

        // powers[j][u] = (N^j e_0) on free unit u; N applied with the clamped output (the constant source) at zero.
        int depth = options.ExactDepth(graph);
        var powers = new Matrix<double>[depth + 2][];
        powers[0] = free.Select(id => (options.ZeroStart ? 0.0 * record.Values[id] : record.Values[id]) - fixedPoint[id]).ToArray();
        for (int j = 1; j < powers.Length; j++) powers[j] = ApplyN(powers[j - 1]);

        Matrix<double>[] ApplyN(Matrix<double>[] e)
        {
            var v = new Matrix<double>?[graph.Nodes.Count];
            v[graph.OutputId] = Matrix<double>.Build.Dense(record.LossGradient.RowCount, record.LossGradient.ColumnCount);
            for (int u = 0; u < free.Length; u++) v[free[u]] = e[u];
            foreach (var id in interior) v[id] = ActivationRelaxation.Drive(graph, id, v, parentsOf, record.Values[id].RowCount, record.Values[id].ColumnCount);
            return free.Select(id => ActivationRelaxation.Drive(graph, id, v, parentsOf, record.Values[id].RowCount, record.Values[id].ColumnCount)).ToArray();
        }

        Matrix<double>[] Error(int k)
        {
            var weights = Enumerable.Range(0, depth + 1).Select(j => Weight(k, j, options.Eta)).ToArray();
            return Enumerable.Range(0, free.Length)
                .Select(u => Enumerable.Range(0, depth + 1).Where(j => weights[j] != 0).Aggregate(0.0 * powers[0][u], (acc, j) => acc + weights[j] * powers[j][u]))
                .ToArray();
        }

        var residuals = ImmutableArray.CreateBuilder<double>();
        bool converged = false;
        int steps = 0;
        while (steps < options.MaxIterations)
        {
            // Update of step k = eta (N e_{k-1} - e_{k-1}) with e_{k-1} a combination of the powers.
            double squared = 0;
            var weights = Enumerable.Range(0, depth + 1).Select(j => Weight(steps, j, options.Eta)).ToArray();
            for (int u = 0; u < free.Length; u++)
            {
                var update = 0.0 * powers[0][u];
                for (int j = 0; j <= depth; j++)
                {
                    if (weights[j] != 0) update += (options.Eta * weights[j]) * (powers[j + 1][u] - powers[j][u]);
                }
                squared += update.PointwiseMultiply(update).Enumerate().Sum();
            }
            steps++;
            double residual = Math.Sqrt(squared);
            residuals.Add(residual);
            if (options.Tolerance > 0 && residual < options.Tolerance)
            {
                converged = true;
                break;
            }
        }

        var values = new Matrix<double>?[graph.Nodes.Count];
        values[graph.OutputId] = record.LossGradient.Clone();
        var error = Error(steps);
        for (int u = 0; u < free.Length; u++) values[free[u]] = fixedPoint[free[u]] + error[u];
        foreach (var id in interior) values[id] = ActivationRelaxation.Drive(graph, id, values, parentsOf, record.Values[id].RowCount, record.Values[id].ColumnCount);
        return new RelaxationResult(values.ToImmutableArray(), steps, residuals.ToImmutable(), converged);
    }

    /// <summary>C(k, j) (1-eta)^(k-j) eta^j, exact at eta = 1 and zero for j &gt; k.</summary>
    private static double Weight(int k, int j, double eta)
    {
        if (j > k) return 0.0;
        if (eta == 1.0) return j == k ? 1.0 : 0.0;
        double log = (k - j) * Math.Log(1 - eta) + j * Math.Log(eta);
        for (int i = 1; i <= j; i++) log += Math.Log(k - j + i) - Math.Log(i);
        return Math.Exp(log);
    }
}
