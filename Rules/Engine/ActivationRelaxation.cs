using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules;

/// <summary>The order in which relaxation units are updated within one iteration.</summary>
public enum RelaxationSchedule
{
    /// <summary>Every unit from the previous iteration's values at once (Jacobi): the paper's single parallel phase.</summary>
    Synchronous,
    /// <summary>Units from the output down, each using the values just updated above it (Gauss-Seidel), as in the authors' main.py.</summary>
    TopDown,
    /// <summary>
    /// The synchronous schedule's state after the same number of steps, computed in closed form: with frozen Jacobians the
    /// step matrix is (1-eta)I + eta N with N nilpotent, so T steps need only the fixed point and N^j e_0 for j up to the
    /// unit depth (O(depth) backward sweeps instead of T). Residuals and tolerance behave as in <see cref="Synchronous"/>.
    /// </summary>
    SynchronousClosedForm,
}

/// <summary>Which computed nodes carry a relaxation unit.</summary>
public enum UnitPlacement
{
    /// <summary>
    /// One unit per layer output (the paper's neurons): nodes interior to a layer (W h, W h + b before the activation)
    /// take their cotangent instantly from the unit above. The paper's MLP has units at h1, h2, h3 and the output.
    /// </summary>
    Layers,
    /// <summary>A unit on every computed node, including matrix products and bias-adds: the finest-grained dynamics.</summary>
    EveryNode,
}

/// <summary>Settings of the relaxation phase.</summary>
/// <param name="Eta">The step size of x_i &lt;- x_i + eta (-x_i + sum_j J_ji^T x_j); the authors use 0.1.</param>
/// <param name="MaxIterations">The iteration budget; the authors run 100.</param>
/// <param name="Tolerance">Stop once the L2 norm of an iteration's update over all units and samples falls below this (0: run the whole budget).</param>
/// <param name="Schedule">Synchronous (Jacobi) or top-down sweep.</param>
/// <param name="Units">Where units sit: one per layer output (the paper's, default) or on every computed node.</param>
/// <param name="ZeroStart">
/// Start the units at zero instead of at their feedforward values: the prediction errors of predictive coding with the
/// fixed-prediction assumption, which start at zero and follow the same dynamics to the same fixed point (arXiv 2006.04182).
/// </param>
/// <param name="UseDerivative">
/// Carry the cotangents through f′ of the elementwise ops (true: AR's dynamics, whose fixed point is backprop's
/// gradient); false drops f′ in the relaxation (AR v5 §4, "no nonlinear derivative"): x_i ← … + eta Wᵀ x_j.
/// </param>
/// <param name="JacobiansAtCurrentUnits">
/// Evaluate the Jacobians (f′, a product's other operand) at the current units instead of at the feedforward pass: the
/// unfrozen feedforward pass of arXiv 2010.06219. Before every iteration a node with a unit takes its unit's value and a
/// node inside a layer is recomputed from its parents (so f′ of a layer is taken at W x_i + b of the relaxing unit
/// below it). The fixed point is then no longer backprop's gradient.
/// </param>
public sealed record RelaxationOptions(double Eta = 0.1, int MaxIterations = 100, double Tolerance = 0.0, RelaxationSchedule Schedule = RelaxationSchedule.Synchronous, UnitPlacement Units = UnitPlacement.Layers, bool ZeroStart = false, bool UseDerivative = true,
    bool JacobiansAtCurrentUnits = false)
{
    /// <summary>The steps after which synchronous relaxation with eta = 1 is exact on <paramref name="graph"/> under this placement.</summary>
    public int ExactDepth(ComputationGraph graph) => Units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (!(Eta > 0 && Eta <= 1)) throw new ArgumentException("Relaxation eta must be in (0, 1]; got " + Eta + ".");
        if (MaxIterations < 0) throw new ArgumentException("Relaxation max iterations must be non-negative; got " + MaxIterations + ".");
        if (!(Tolerance >= 0)) throw new ArgumentException("Relaxation tolerance must be non-negative; got " + Tolerance + ".");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentException("Relaxation schedule " + (int)Schedule + " is not one of " + string.Join(", ", Enum.GetNames<RelaxationSchedule>()) + ".");
        if (!Enum.IsDefined(Units)) throw new ArgumentException("Unit placement " + (int)Units + " is not one of " + string.Join(", ", Enum.GetNames<UnitPlacement>()) + ".");
        if (!UseDerivative && Schedule == RelaxationSchedule.SynchronousClosedForm)
        {
            throw new ArgumentException("The closed-form schedule computes backprop's fixed point, which needs f'; use the synchronous or top-down schedule without f'.");
        }
        if (JacobiansAtCurrentUnits && Schedule == RelaxationSchedule.SynchronousClosedForm)
        {
            throw new ArgumentException("The closed-form schedule needs the Jacobians frozen at the forward pass; use the synchronous or top-down schedule with Jacobians at the current units.");
        }
    }
}

/// <summary>What a relaxation produced.</summary>
/// <param name="Units">By node id, the relaxed cotangent estimate of every computed node (size x batch): the unit where the
/// node carries one, else the value that follows instantly from the units above; null for inputs and parameters.</param>
/// <param name="Iterations">The iterations run.</param>
/// <param name="Residuals">The L2 norm of each iteration's update, over all units and samples, in order.</param>
/// <param name="Converged">True when the tolerance was reached within the budget.</param>
public sealed record RelaxationResult(ImmutableArray<Matrix<double>?> Units, int Iterations, ImmutableArray<double> Residuals, bool Converged);

/// <summary>
/// Activation Relaxation (Millidge et al. 2020, arXiv 2009.05359, Appendix A), float64. Every unit is initialised at its
/// node's feedforward value; the output unit is clamped to dL/dv_out; the others follow
/// x_i &lt;- x_i + eta (-x_i + sum_{j in children(i)} J_ji^T x_j) with the Jacobians frozen at the forward pass.
/// The fixed point is backprop's adjoint.
/// </summary>
public static class ActivationRelaxation
{
    /// <summary>Relaxes the units of <paramref name="record"/>'s graph.</summary>
    /// <param name="record">The forward pass.</param>
    /// <param name="options">The relaxation settings.</param>
    /// <param name="backward">
    /// By weight name, the matrices that carry the relaxation through each weight in place of the weight (learned or fixed
    /// random ψ, in the weight's shape); null for the weights themselves.
    /// </param>
    public static RelaxationResult Relax(ForwardRecord record, RelaxationOptions options, ParameterSet? backward = null)
    {
        options.Validate();
        var through = backward is null ? record : BackwardMatrices.Substitute(record, backward);
        if (options.Schedule == RelaxationSchedule.SynchronousClosedForm) return ClosedFormRelaxation.Relax(through, options);
        var graph = record.Graph;
        bool layers = options.Units == UnitPlacement.Layers;
        bool IsInterior(int id) => layers && graph.LayerInterior[id];
        var values = new Matrix<double>?[graph.Nodes.Count];
        foreach (var id in graph.UnitIds) values[id] = options.ZeroStart ? 0.0 * record.Values[id] : record.Values[id].Clone();
        values[graph.OutputId] = record.LossGradient.Clone();
        var parentsOf = JacobianPoint(through, through.Values.ToArray());

        // Computed nodes in reverse topological order, output excluded: the top-down sweep's order.
        var order = graph.UnitIds.Where(id => id != graph.OutputId).Reverse().ToArray();
        var interior = order.Where(IsInterior).ToArray();
        void Propagate(Matrix<double>?[] v)
        {
            foreach (var id in interior) v[id] = Drive(graph, id, v, parentsOf, v[id]!.RowCount, v[id]!.ColumnCount, options.UseDerivative);
        }

        Propagate(values);
        var residuals = ImmutableArray.CreateBuilder<double>();
        bool converged = false;
        int iteration = 0;
        while (iteration < options.MaxIterations)
        {
            if (options.JacobiansAtCurrentUnits)
            {
                parentsOf = JacobianPoint(through, CurrentValues(record, values, options.Units, backward));
                if (options.Schedule == RelaxationSchedule.Synchronous) Propagate(values);
            }
            double squared = 0;
            var source = options.Schedule == RelaxationSchedule.Synchronous ? (Matrix<double>?[])values.Clone() : values;
            foreach (var id in order)
            {
                var x = values[id]!;
                if (IsInterior(id) && options.Schedule == RelaxationSchedule.Synchronous) continue;
                var drive = Drive(graph, id, source, parentsOf, x.RowCount, x.ColumnCount, options.UseDerivative);
                if (IsInterior(id))
                {
                    // Interior nodes carry no unit: in a sweep they follow the units just updated above them.
                    values[id] = drive;
                    continue;
                }
                var update = options.Eta * (drive - x);
                squared += update.PointwiseMultiply(update).Enumerate().Sum();
                values[id] = x + update;
            }
            if (options.Schedule == RelaxationSchedule.Synchronous) Propagate(values);
            iteration++;
            double residual = Math.Sqrt(squared);
            residuals.Add(residual);
            if (options.Tolerance > 0 && residual < options.Tolerance)
            {
                converged = true;
                break;
            }
        }
        return new RelaxationResult(values.ToImmutableArray(), iteration, residuals.ToImmutable(), converged);
    }

    /// <summary>
    /// The forward values at the current units, as the unfrozen feedforward pass sees them: inputs and parameters as in
    /// <paramref name="record"/>, a node with a unit (under <paramref name="units"/>) its unit's value, a node inside a layer
    /// recomputed from its parents' current values (with the forward weights). Weights named in <paramref name="backward"/>
    /// then hold their backward matrices, for the VJPs.
    /// </summary>
    public static Matrix<double>[] CurrentValues(ForwardRecord record, IReadOnlyList<Matrix<double>?> unitValues, UnitPlacement units, ParameterSet? backward = null)
    {
        var graph = record.Graph;
        var current = new Matrix<double>[graph.Nodes.Count];
        foreach (var node in graph.Nodes)
        {
            int id = node.Id;
            bool hasUnit = node.Role == NodeRole.Computed && (units == UnitPlacement.EveryNode || !graph.LayerInterior[id]);
            current[id] = node.Role != NodeRole.Computed ? record.Values[id]
                : hasUnit ? unitValues[id]!
                : ReferenceOps.For(node.Op).Forward(graph, node, node.Inputs.Select(p => current[p]).ToArray());
        }
        if (backward is not null)
        {
            foreach (var node in BackwardMatrices.Weights(graph)) current[node.Id] = backward[node.Name];
        }
        return current;
    }

    // Each computed node's parent values (the point its Jacobians are evaluated at), from node values by id.
    private static Matrix<double>[][] JacobianPoint(ForwardRecord record, Matrix<double>[] values)
    {
        var graph = record.Graph;
        var parentsOf = new Matrix<double>[graph.Nodes.Count][];
        foreach (var id in graph.UnitIds) parentsOf[id] = graph.Nodes[id].Inputs.Select(p => values[p]).ToArray();
        return parentsOf;
    }

    /// <summary>
    /// AR's local parameter updates: for each parameter, the VJP of each consuming node (MatVec: x_c ⊗ input;
    /// BiasAdd: x_c) with that node's relaxed unit as the cotangent, summed over consumers and the batch.
    /// At equilibrium these equal backprop's parameter gradients.
    /// </summary>
    /// <param name="record">The forward pass.</param>
    /// <param name="relaxed">The relaxed units.</param>
    /// <param name="values">The node values the VJPs are taken at (default: the forward pass's; <see cref="CurrentValues"/> for the current units).</param>
    public static ParameterSet ParameterUpdates(ForwardRecord record, RelaxationResult relaxed, IReadOnlyList<Matrix<double>>? values = null)
    {
        var graph = record.Graph;
        values ??= record.Values;
        var items = new List<(string, Matrix<double>)>();
        foreach (var pid in graph.ParameterIds)
        {
            var p = graph.Nodes[pid];
            var total = Matrix<double>.Build.Dense(ParameterSet.Rows(p), ParameterSet.Cols(p));
            foreach (var cid in graph.Children[pid])
            {
                var consumer = graph.Nodes[cid];
                var op = ReferenceOps.For(consumer.Op);
                var parents = consumer.Inputs.Select(i => values[i]).ToArray();
                for (int a = 0; a < consumer.Inputs.Count; a++)
                {
                    if (consumer.Inputs[a] == pid) total += op.Vjp(graph, consumer, a, parents, relaxed.Units[cid]!);
                }
            }
            items.Add((p.Name, total));
        }
        return ParameterSet.From(items);
    }

    /// <summary>
    /// <paramref name="relaxed"/> with the nodes inside each layer recomputed from the relaxed units, through f′ or not
    /// (for a weight update whose use of f′ differs from the relaxation's), with the Jacobians at the forward pass of
    /// <paramref name="record"/> or at the node values <paramref name="at"/> (e.g. <see cref="CurrentValues"/>). Units per layer only.
    /// </summary>
    public static RelaxationResult RecomputeInterior(ForwardRecord record, RelaxationResult relaxed, bool useDerivative, Matrix<double>[]? at = null)
    {
        var graph = record.Graph;
        var units = relaxed.Units.ToArray();
        var parentsOf = JacobianPoint(record, at ?? record.Values.ToArray());
        foreach (var id in graph.UnitIds.Where(id => graph.LayerInterior[id]).Reverse())
        {
            units[id] = Drive(graph, id, units, parentsOf, record.Values[id].RowCount, record.Values[id].ColumnCount, useDerivative);
        }
        return relaxed with { Units = units.ToImmutableArray() };
    }

    /// <summary>sum_{j in children(i)} J_ji^T x_j at the frozen forward pass.</summary>
    internal static Matrix<double> Drive(ComputationGraph graph, int id, Matrix<double>?[] units, Matrix<double>[][] parentsOf, int rows, int cols, bool useDerivative = true)
    {
        var total = Matrix<double>.Build.Dense(rows, cols);
        foreach (var cid in graph.Children[id])
        {
            var child = graph.Nodes[cid];
            if (!useDerivative && OpTable.For(child.Op).IsElementwise)
            {
                total += units[cid]!;   // without f' an activation passes its cotangent through
                continue;
            }
            var op = ReferenceOps.For(child.Op);
            for (int a = 0; a < child.Inputs.Count; a++)
            {
                if (child.Inputs[a] == id) total += op.Vjp(graph, child, a, parentsOf[cid], units[cid]!);
            }
        }
        return total;
    }
}
