using System;
using System.Linq;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// A compiled graph's trainable parameters (or parameter-shaped gradients): one array per parameter, by parameter
/// index; weights row-major [rows, cols]. The generator derives a class per graph with a named property per parameter.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public class ParameterArrays<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Allocates every parameter of <paramref name="layout"/> at zero.</summary>
    public ParameterArrays(GraphLayout layout)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        Arrays = layout.ParameterSizes.Select(n => new T[n]).ToArray();
    }

    /// <summary>The layout of the graph these parameters belong to.</summary>
    public GraphLayout Layout { get; }

    /// <summary>By parameter index, the values (the arrays are shared, not copies: drivers update them in place).</summary>
    public T[][] Arrays { get; }

    /// <summary>The array of the parameter named <paramref name="name"/> (its node name in the graph).</summary>
    /// <exception cref="System.Collections.Generic.KeyNotFoundException">The graph has no such parameter.</exception>
    public T[] Get(string name) => Arrays[Layout.ParameterIndexOf(name)];

    /// <summary>Copies every value of <paramref name="other"/> (parameters of the same graph) into these.</summary>
    public void CopyFrom(ParameterArrays<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!other.Layout.Graph.Equals(Layout.Graph)) throw new ArgumentException("The parameters belong to graph '" + other.Layout.Graph.Name + "', not '" + Layout.Graph.Name + "'.", nameof(other));
        for (int k = 0; k < Arrays.Length; k++) Array.Copy(other.Arrays[k], Arrays[k], Arrays[k].Length);
    }

    /// <summary>Copies a parameter set of the graph (validated against it) into these arrays, converting to <typeparamref name="T"/>.</summary>
    public void CopyFrom(ParameterSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        set.Validate(Layout.Graph);
        set.ValidateFinite();
        for (int k = 0; k < Arrays.Length; k++)
        {
            var m = set[Layout.Graph.Nodes[Layout.ParameterIds[k]].Name];
            int cols = m.ColumnCount;
            var target = Arrays[k];
            for (int r = 0; r < m.RowCount; r++) for (int c = 0; c < cols; c++) target[r * cols + c] = T.CreateChecked(m[r, c]);
        }
    }

    /// <summary>The values as a parameter set (weights rows x cols, biases n x 1), as the reference engine takes them.</summary>
    public ParameterSet ToParameterSet() =>
        ParameterSet.From(Enumerable.Range(0, Arrays.Length).Select(k =>
        {
            var node = Layout.Graph.Nodes[Layout.ParameterIds[k]];
            int rows = Layout.ParameterRows[k], cols = Arrays[k].Length / rows;
            var source = Arrays[k];
            return (node.Name, Matrix<double>.Build.Dense(rows, cols, (r, c) => double.CreateChecked(source[r * cols + c])));
        }));
}
