using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>How parameters are initialised.</summary>
public enum Initialiser
{
    /// <summary>Weights from N(0, 0.05^2), biases zero: the AR authors' setting.</summary>
    Normal005,
    /// <summary>Xavier/Glorot uniform on (-a, a), a = sqrt(6 / (fan_in + fan_out)), a kernel's fans counting its window; biases zero.</summary>
    Xavier,
    /// <summary>He normal, N(0, 2 / fan_in); biases zero.</summary>
    He,
    /// <summary>Orthogonal weights (QR of a Gaussian matrix, as GAIT-prop uses); biases zero.</summary>
    Orthogonal,
    /// <summary>Xavier/Glorot normal, N(0, 2 / (fan_in + fan_out)): the GAIT-prop authors' non-orthogonal initialisation; biases zero.</summary>
    XavierNormal,
}

/// <summary>
/// An immutable map from parameter name to its value: a weight is a rows x cols matrix, a bias an n x 1 matrix, a kernel
/// [out, in, h, w] an out x (in · h · w) matrix (row-major (out, in, y, x), as the compiled code keeps it).
/// The same type carries gradients and updates. Equality is by name and value. Matrices handed out must not be
/// mutated; every operation returns a new set.
/// </summary>
public sealed class ParameterSet : IEquatable<ParameterSet>
{
    private readonly ImmutableSortedDictionary<string, Matrix<double>> values;

    /// <summary>Wraps the given values (not copied: the caller gives up the right to mutate them).</summary>
    public ParameterSet(ImmutableSortedDictionary<string, Matrix<double>> values) => this.values = values;

    /// <summary>The parameter names, sorted.</summary>
    public IEnumerable<string> Names => values.Keys;

    /// <summary>The number of parameters.</summary>
    public int Count => values.Count;

    /// <summary>The value named <paramref name="name"/>.</summary>
    public Matrix<double> this[string name] => values.TryGetValue(name, out var m) ? m
        : throw new KeyNotFoundException("No parameter named '" + name + "'; the set holds: " + string.Join(", ", values.Keys) + ".");

    /// <summary>True when a parameter named <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => values.ContainsKey(name);

    /// <summary>The total number of scalars.</summary>
    public int ScalarCount => values.Values.Sum(m => m.RowCount * m.ColumnCount);

    /// <summary>The name-value pairs, sorted by name.</summary>
    public IEnumerable<KeyValuePair<string, Matrix<double>>> Items => values;

    /// <summary>A set with every parameter of <paramref name="graph"/> at zero.</summary>
    public static ParameterSet Zeros(ComputationGraph graph) =>
        From(graph.ParameterIds.Select(id => graph.Nodes[id]).Select(n => (n.Name, Matrix<double>.Build.Dense(Rows(n), Cols(n)))));

    /// <summary>A set for <paramref name="graph"/> drawn with <paramref name="initialiser"/> from <paramref name="seed"/>.</summary>
    public static ParameterSet Initialise(ComputationGraph graph, int seed, Initialiser initialiser = Initialiser.Normal005)
    {
        var random = new Random(seed);
        var items = new List<(string, Matrix<double>)>();
        foreach (var node in graph.ParameterIds.Select(id => graph.Nodes[id]))
        {
            int rows = Rows(node), cols = Cols(node);
            if (node.Op == OpKind.Bias)
            {
                items.Add((node.Name, Matrix<double>.Build.Dense(rows, 1)));
                continue;
            }
            var (fanIn, fanOut) = Fans(node);
            Matrix<double> w = initialiser switch
            {
                Initialiser.Normal005 => Matrix<double>.Build.Random(rows, cols, new Normal(0, 0.05, random)),
                Initialiser.Xavier => Matrix<double>.Build.Random(rows, cols, new ContinuousUniform(-Math.Sqrt(6.0 / (fanIn + fanOut)), Math.Sqrt(6.0 / (fanIn + fanOut)), random)),
                Initialiser.He => Matrix<double>.Build.Random(rows, cols, new Normal(0, Math.Sqrt(2.0 / fanIn), random)),
                Initialiser.Orthogonal => Orthogonal(rows, cols, random),
                Initialiser.XavierNormal => Matrix<double>.Build.Random(rows, cols, new Normal(0, Math.Sqrt(2.0 / (fanIn + fanOut)), random)),
                _ => throw new ArgumentOutOfRangeException(nameof(initialiser), initialiser, "Unknown initialiser."),
            };
            items.Add((node.Name, w));
        }
        return From(items);
    }

    /// <summary>Makes a set from name-value pairs.</summary>
    public static ParameterSet From(IEnumerable<(string Name, Matrix<double> Value)> items) =>
        new(items.ToImmutableSortedDictionary(i => i.Name, i => i.Value, StringComparer.Ordinal));

    /// <summary>Checks that this set holds exactly the parameters of <paramref name="graph"/> with their shapes.</summary>
    /// <exception cref="ArgumentException">A parameter is missing, unexpected, or has the wrong shape.</exception>
    public void Validate(ComputationGraph graph)
    {
        foreach (var node in graph.ParameterIds.Select(id => graph.Nodes[id]))
        {
            if (!values.TryGetValue(node.Name, out var m)) throw new ArgumentException("Parameter '" + node.Name + "' of graph '" + graph.Name + "' is missing from the parameter set.");
            if (m.RowCount != Rows(node) || m.ColumnCount != Cols(node))
                throw new ArgumentException("Parameter '" + node.Name + "' has shape [" + m.RowCount + ", " + m.ColumnCount + "] but graph '" + graph.Name + "' declares " + node.Shape + ".");
        }
        var expected = new HashSet<string>(graph.ParameterIds.Select(id => graph.Nodes[id].Name));
        foreach (var name in values.Keys)
        {
            if (!expected.Contains(name)) throw new ArgumentException("The parameter set holds '" + name + "', which graph '" + graph.Name + "' does not declare.");
        }
    }

    /// <summary>Checks that every value is finite.</summary>
    /// <exception cref="ArgumentException">Names the parameter and the entry that holds a NaN or an infinity.</exception>
    public void ValidateFinite()
    {
        foreach (var (name, m) in values)
        {
            for (int c = 0; c < m.ColumnCount; c++)
            {
                for (int r = 0; r < m.RowCount; r++)
                {
                    if (!double.IsFinite(m[r, c])) throw new ArgumentException("Parameter '" + name + "' holds " + m[r, c] + " at [" + r + ", " + c + "].");
                }
            }
        }
    }

    /// <summary>Applies <paramref name="map"/> to every value.</summary>
    public ParameterSet Map(Func<string, Matrix<double>, Matrix<double>> map) =>
        new(values.ToImmutableSortedDictionary(kv => kv.Key, kv => map(kv.Key, kv.Value), StringComparer.Ordinal));

    /// <summary>Combines this set with <paramref name="other"/> (same names) value by value.</summary>
    public ParameterSet Zip(ParameterSet other, Func<Matrix<double>, Matrix<double>, Matrix<double>> combine) =>
        Map((name, m) => combine(m, other[name]));

    /// <summary>this + scale * other.</summary>
    public ParameterSet AddScaled(ParameterSet other, double scale) => Zip(other, (a, b) => a + scale * b);

    /// <summary>The largest absolute difference to <paramref name="other"/> relative to max(1, largest magnitude).</summary>
    public double MaxRelativeDifference(ParameterSet other)
    {
        double diff = 0, scale = 1;
        foreach (var (name, m) in values)
        {
            var o = other[name];
            diff = Math.Max(diff, (m - o).Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max());
            scale = Math.Max(scale, Math.Max(m.Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max(), o.Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max()));
        }
        return diff / scale;
    }

    /// <inheritdoc/>
    public bool Equals(ParameterSet? other) =>
        other is not null && values.Count == other.values.Count &&
        values.All(kv => other.values.TryGetValue(kv.Key, out var o) && kv.Value.Equals(o));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ParameterSet);

    /// <inheritdoc/>
    public override int GetHashCode() => values.Keys.Aggregate(17, (h, k) => h * 31 + StringComparer.Ordinal.GetHashCode(k));

    internal static int Rows(Node n) => n.Shape.Dims[0];

    /// <summary>A parameter's columns as a matrix: a weight's columns, a kernel's in · height · width (one row per output channel), 1 for a bias.</summary>
    internal static int Cols(Node n) => n.Op == OpKind.Bias ? 1 : n.Size / n.Shape.Dims[0];

    /// <summary>
    /// The fan-in and fan-out of a weight or kernel: a weight [rows, cols] has cols and rows; a kernel [out, in, h, w] has
    /// in · h · w and out · h · w (the receptive field counted on both sides, as PyTorch's initialisers do).
    /// </summary>
    public static (int FanIn, int FanOut) Fans(Node n)
    {
        ArgumentNullException.ThrowIfNull(n);
        if (n.Op == OpKind.Kernel)
        {
            int field = n.Shape.Dims[2] * n.Shape.Dims[3];
            return (n.Shape.Dims[1] * field, n.Shape.Dims[0] * field);
        }
        return (Cols(n), Rows(n));
    }

    private static Matrix<double> Orthogonal(int rows, int cols, Random random)
    {
        int n = Math.Max(rows, cols);
        var g = Matrix<double>.Build.Random(n, n, new Normal(0, 1, random));
        var q = g.QR().Q;
        return q.SubMatrix(0, rows, 0, cols);
    }
}
