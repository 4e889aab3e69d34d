using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>
/// A batch: for each input node, a (size x batch) matrix whose columns are samples, and the targets for the
/// output as an (output size x batch) matrix.
/// </summary>
/// <param name="Inputs">Input values by input node name.</param>
/// <param name="Targets">Targets for the loss, one column per sample.</param>
public sealed record Batch(ImmutableSortedDictionary<string, Matrix<double>> Inputs, Matrix<double> Targets)
{
    /// <summary>The number of samples.</summary>
    public int Size => Targets.ColumnCount;

    /// <summary>Makes a batch from name-value pairs.</summary>
    public static Batch Create(IEnumerable<(string Input, Matrix<double> Value)> inputs, Matrix<double> targets) =>
        new(inputs.ToImmutableSortedDictionary(i => i.Input, i => i.Value, StringComparer.Ordinal), targets);

    /// <summary>Makes a batch for a graph with a single input.</summary>
    public static Batch Single(string input, Matrix<double> value, Matrix<double> targets) => Create(new[] { (input, value) }, targets);

    /// <summary>The samples <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 as a batch of their own.</summary>
    public Batch Slice(int start, int count) =>
        new(Inputs.ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.SubMatrix(0, kv.Value.RowCount, start, count), StringComparer.Ordinal),
            Targets.SubMatrix(0, Targets.RowCount, start, count));

    /// <summary>Checks the batch against <paramref name="graph"/>: every input present with its size, one sample count, finite values.</summary>
    /// <exception cref="ArgumentException">Names the input and what is wrong.</exception>
    public void Validate(ComputationGraph graph)
    {
        if (Size == 0) throw new ArgumentException("The batch has no samples.");
        foreach (var node in graph.InputIds.Select(id => graph.Nodes[id]))
        {
            if (!Inputs.TryGetValue(node.Name, out var m)) throw new ArgumentException("Input '" + node.Name + "' of graph '" + graph.Name + "' is missing from the batch.");
            if (m.RowCount != node.Size) throw new ArgumentException("Input '" + node.Name + "' has " + m.RowCount + " rows but graph '" + graph.Name + "' declares shape " + node.Shape + " (" + node.Size + " values per sample).");
            if (m.ColumnCount != Size) throw new ArgumentException("Input '" + node.Name + "' has " + m.ColumnCount + " samples but the targets have " + Size + ".");
            if (m.Enumerate().Any(v => !double.IsFinite(v))) throw new ArgumentException("Input '" + node.Name + "' holds a NaN or infinite value.");
        }
        foreach (var name in Inputs.Keys)
        {
            if (!graph.InputIds.Any(id => graph.Nodes[id].Name == name)) throw new ArgumentException("The batch has an input '" + name + "' that graph '" + graph.Name + "' does not declare.");
        }
        if (Targets.RowCount != graph.Output.Size) throw new ArgumentException("The targets have " + Targets.RowCount + " rows but output '" + graph.Output.Name + "' has shape " + graph.Output.Shape + ".");
        if (Targets.Enumerate().Any(v => !double.IsFinite(v))) throw new ArgumentException("The targets hold a NaN or infinite value.");
    }
}
