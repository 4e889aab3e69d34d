using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Ops;

namespace Symbolic.Rules;

/// <summary>Reverse-mode results: dL/dv for every node (inputs and computed nodes) and dL/dθ for every parameter.</summary>
/// <param name="NodeGradients">dL/dv by node id; for parameter nodes, the parameter gradient.</param>
/// <param name="ParameterGradients">The parameter gradients summed over the batch.</param>
public sealed record Gradients(ImmutableArray<Matrix<double>> NodeGradients, ParameterSet ParameterGradients);

/// <summary>The float64 reference backprop: reverse mode over the DAG in reverse topological order.</summary>
public static class Backprop
{
    /// <summary>Computes every node's and parameter's gradient from a forward record.</summary>
    public static Gradients Run(ForwardRecord record)
    {
        var graph = record.Graph;
        var adjoint = new Matrix<double>[graph.Nodes.Count];
        for (int i = 0; i < adjoint.Length; i++)
        {
            var v = record.Values[i];
            adjoint[i] = Matrix<double>.Build.Dense(v.RowCount, v.ColumnCount);
        }
        adjoint[graph.OutputId] = record.LossGradient.Clone();
        for (int id = graph.Nodes.Count - 1; id >= 0; id--)
        {
            var node = graph.Nodes[id];
            if (node.Role != NodeRole.Computed) continue;
            var op = ReferenceOps.For(node.Op);
            var parents = record.ParentValues(id);
            for (int a = 0; a < node.Inputs.Count; a++)
            {
                adjoint[node.Inputs[a]] += op.Vjp(graph, node, a, parents, adjoint[id]);
            }
        }
        var parameterGradients = ParameterSet.From(graph.ParameterIds.Select(id => (graph.Nodes[id].Name, adjoint[id])));
        return new Gradients(adjoint.ToImmutableArray(), parameterGradients);
    }
}
