using System;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules;

/// <summary>
/// The forward pass's full record: every node's value (parameters included), the loss and its gradient with
/// respect to the output. Rules read Jacobians from it: they are frozen at this pass.
/// </summary>
/// <param name="Graph">The graph that was run.</param>
/// <param name="Values">Each node's value by id: (size x batch) for inputs and computed nodes, the parameter's own matrix for parameters.</param>
/// <param name="LossValue">The loss summed over the batch.</param>
/// <param name="LossGradient">dL/dv_out, (output size x batch).</param>
public sealed record ForwardRecord(ComputationGraph Graph, ImmutableArray<Matrix<double>> Values, double LossValue, Matrix<double> LossGradient)
{
    /// <summary>The number of samples.</summary>
    public int BatchSize => LossGradient.ColumnCount;

    /// <summary>The output's value.</summary>
    public Matrix<double> Output => Values[Graph.OutputId];

    /// <summary>The value of the node named <paramref name="name"/>.</summary>
    public Matrix<double> this[string name] => Values[Graph[name].Id];

    /// <summary>The parent values of node <paramref name="id"/>, in argument order.</summary>
    public Matrix<double>[] ParentValues(int id) => Graph.Nodes[id].Inputs.Select(p => Values[p]).ToArray();
}

/// <summary>The float64 reference forward pass.</summary>
public static class Forward
{
    /// <summary>Runs <paramref name="graph"/> on <paramref name="batch"/> with <paramref name="parameters"/>, storing every node's value.</summary>
    /// <exception cref="ArgumentException">The parameters or the batch do not fit the graph (the message names which).</exception>
    public static ForwardRecord Run(ComputationGraph graph, ParameterSet parameters, Batch batch)
    {
        parameters.Validate(graph);
        parameters.ValidateFinite();
        batch.Validate(graph);
        var values = new Matrix<double>[graph.Nodes.Count];
        foreach (var node in graph.Nodes)
        {
            values[node.Id] = node.Role switch
            {
                NodeRole.Input => batch.Inputs[node.Name],
                NodeRole.Parameter => parameters[node.Name],
                _ => ReferenceOps.For(node.Op).Forward(graph, node, node.Inputs.Select(p => values[p]).ToArray()),
            };
        }
        var output = values[graph.OutputId];
        return new ForwardRecord(graph, values.ToImmutableArray(), Loss.Value(graph.Loss, output, batch.Targets), Loss.Gradient(graph.Loss, output, batch.Targets));
    }
}
