using System;
using System.Numerics;
using Symbolic.Graph;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// The non-finite checks of a compiled training step, made before any parameter changes: the batch's inputs and
/// targets, every computed node's forward value (a NaN or infinite parameter reaches the value of the node that uses it,
/// even where a ReLU later hides it from the loss) and every cotangent the parameter update reads. Each error names the
/// input or node and the first sample where it happens. The cost is one vectorised pass over the per-sample values.
/// </summary>
public static class StepChecks
{
    /// <summary>Checks the inputs and targets of <paramref name="batch"/>.</summary>
    /// <exception cref="ArgumentException">An input or target holds a NaN or an infinity.</exception>
    public static void Batch<T>(CompiledBatch<T> batch, GraphLayout layout) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int k = 0; k < layout.InputIds.Length; k++)
        {
            int size = layout.Sizes[layout.InputIds[k]];
            var values = new ReadOnlySpan<T>(batch.Inputs[k], batch.Offset * size, batch.Size * size);
            if (!Optimiser.AllFinite(values))
            {
                int at = FirstNonFinite(values);
                throw new ArgumentException("Input '" + layout.Graph.Nodes[layout.InputIds[k]].Name + "' holds " + values[at] + " at sample " + (batch.Offset + at / size) +
                    " (element " + (at % size) + "); the step was not run and the parameters were left unchanged.");
            }
        }
        int outputs = layout.OutputSize;
        var targets = new ReadOnlySpan<T>(batch.Targets, batch.Offset * outputs, batch.Size * outputs);
        if (!Optimiser.AllFinite(targets))
        {
            int at = FirstNonFinite(targets);
            throw new ArgumentException("The targets hold " + targets[at] + " at sample " + (batch.Offset + at / outputs) + " (element " + (at % outputs) + "); the step was not run and the parameters were left unchanged.");
        }
    }

    /// <summary>Checks every computed node's forward value of the first <paramref name="batch"/> samples in <paramref name="workspace"/>.</summary>
    /// <exception cref="ArithmeticException">A value is not finite (a parameter holds a NaN or an infinity, or the forward pass overflowed).</exception>
    public static void Values<T>(Workspace<T> workspace, int batch) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var layout = workspace.Layout;
        foreach (int id in layout.ComputedIds)
        {
            var values = new ReadOnlySpan<T>(workspace.Values[id], 0, batch * layout.Sizes[id]);
            if (Optimiser.AllFinite(values)) continue;
            int at = FirstNonFinite(values);
            var node = layout.Graph.Nodes[id];
            throw new ArithmeticException("The forward value of node '" + node.Name + "' is " + values[at] + " at sample " + at / layout.Sizes[id] + Culprits(layout, node) +
                "; the parameters were left unchanged.");
        }
    }

    /// <summary>Checks the cotangents (adjoints or relaxed units) of every computed node over the first <paramref name="batch"/> samples.</summary>
    /// <exception cref="ArithmeticException">A cotangent is not finite.</exception>
    public static void Cotangents<T>(T[][] cotangents, GraphLayout layout, int batch, string what) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        foreach (int id in layout.ComputedIds)
        {
            var values = new ReadOnlySpan<T>(cotangents[id], 0, batch * layout.Sizes[id]);
            if (Optimiser.AllFinite(values)) continue;
            int at = FirstNonFinite(values);
            throw new ArithmeticException("The " + what + " of node '" + layout.Graph.Nodes[id].Name + "' is " + values[at] + " at sample " + at / layout.Sizes[id] +
                " (the backward phase overflowed: lower the learning rate or check the data); the parameters were left unchanged.");
        }
    }

    private static string Culprits(GraphLayout layout, Node node)
    {
        var parameters = new System.Collections.Generic.List<string>();
        foreach (int p in node.Inputs)
        {
            if (layout.Graph.Nodes[p].Role == NodeRole.Parameter) parameters.Add("'" + layout.Graph.Nodes[p].Name + "'");
        }
        return parameters.Count == 0 ? " (its inputs are finite: the forward pass overflowed)" : " (parameter " + string.Join(" or ", parameters) + " holds a NaN or an infinity, or the forward pass overflowed)";
    }

    private static int FirstNonFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i])) return i;
        }
        return 0;
    }
}
