using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules;

/// <summary>How a rule's fixed or initial random backward matrices are drawn.</summary>
public enum FeedbackInit
{
    /// <summary>N(0, 0.05²): the AR authors' initialisation of their learnable backward weights ψ.</summary>
    Normal005,

    /// <summary>Uniform on ±1/sqrt(fan-out) of the matrix (its rows; a kernel's out · h · w): the default of Nøkland's DFA code (anokland/dfa-torch).</summary>
    UniformFanOut,
}

/// <summary>Which matrix carries AR's relaxation through a weight in place of the forward weight's transpose.</summary>
public enum BackwardWeights
{
    /// <summary>The forward weights' transpose: exact AR (the relaxation's equilibrium is backprop's gradient).</summary>
    Transpose,

    /// <summary>
    /// Learned ψ (AR v5 §4): ψ starts at random (<see cref="FeedbackInit.Normal005"/>) and moves by the transpose of the
    /// forward weight's update at every step, so W − ψᵀ stays at its initial value and the alignment grows as W grows.
    /// </summary>
    Learned,

    /// <summary>Fixed random ψ (<see cref="FeedbackInit.Normal005"/>): feedback alignment inside the relaxation.</summary>
    FixedRandom,
}

/// <summary>
/// A rule's backward matrices, one per weight used as a matrix product's backward matrix, stored in the weight's shape
/// (a matrix B of W's shape carries the cotangent as Bᵀ c where backprop uses Wᵀ c). For fixed matrices (feedback
/// alignment, fixed random ψ) they are the matrices; for learned ψ they are the fixed offset D = W₀ − ψ₀, so that
/// ψ = W − D follows every update of W, whatever the optimiser.
/// </summary>
/// <param name="Matrices">By weight name.</param>
public sealed record BackwardState(ParameterSet Matrices) : RuleState;

/// <summary>Draws and applies backward matrices, in the reference engine and for the compiled drivers (the same draws in both).</summary>
public static class BackwardMatrices
{
    /// <summary>
    /// The weights and kernels of <paramref name="graph"/> that carry a matrix product's or a convolution's transposed
    /// contribution, in parameter order.
    /// </summary>
    public static IReadOnlyList<Node> Weights(ComputationGraph graph) =>
        graph.ParameterIds.Select(id => graph.Nodes[id]).Where(n => n.Op == OpKind.Weight || n.Op == OpKind.Kernel).ToArray();

    /// <summary>Random matrices of every weight's shape, drawn in float64 from <paramref name="seed"/> in parameter order.</summary>
    public static ParameterSet Draw(ComputationGraph graph, int seed, FeedbackInit init)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var random = new Random(seed);
        return ParameterSet.From(Weights(graph).Select(n =>
        {
            int rows = ParameterSet.Rows(n), cols = ParameterSet.Cols(n), fanOut = ParameterSet.Fans(n).FanOut;
            var matrix = init switch
            {
                FeedbackInit.Normal005 => Matrix<double>.Build.Random(rows, cols, new Normal(0, 0.05, random)),
                FeedbackInit.UniformFanOut => Matrix<double>.Build.Random(rows, cols, new ContinuousUniform(-1 / Math.Sqrt(fanOut), 1 / Math.Sqrt(fanOut), random)),
                _ => throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown feedback initialisation."),
            };
            return (n.Name, matrix);
        }));
    }

    /// <summary>The forward record with every weight's value replaced by its backward matrix (the values of the nodes unchanged), for the reference engine's VJPs.</summary>
    public static ForwardRecord Substitute(ForwardRecord record, ParameterSet matrices)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(matrices);
        var values = record.Values.ToBuilder();
        foreach (var node in Weights(record.Graph)) values[node.Id] = matrices[node.Name];
        return record with { Values = values.MoveToImmutable() };
    }

    /// <summary>Converts <paramref name="matrices"/> into arrays by parameter index (null for a parameter without one), row-major as the compiled code keeps weights.</summary>
    public static T[]?[] ToArrays<T>(GraphLayout layout, ParameterSet matrices) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(layout);
        var arrays = new T[]?[layout.ParameterIds.Length];
        foreach (var node in Weights(layout.Graph))
        {
            arrays[layout.ParameterIndexOf(node.Name)] = ToRowMajor<T>(matrices[node.Name]);
        }
        return arrays;
    }

    /// <summary><paramref name="m"/> as a row-major array of <typeparamref name="T"/>, as the compiled code keeps matrices.</summary>
    public static T[] ToRowMajor<T>(Matrix<double> m) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(m);
        var a = new T[m.RowCount * m.ColumnCount];
        for (int r = 0; r < m.RowCount; r++)
        {
            for (int c = 0; c < m.ColumnCount; c++) a[r * m.ColumnCount + c] = T.CreateChecked(m[r, c]);
        }
        return a;
    }
}

/// <summary>A rule's own backward matrices and f': the matrices a phase passes by parameter index.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct OwnMatricesWithDerivative<T> : IBackwardChoice<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static bool UseDerivative => true;

    /// <inheritdoc/>
    public static T[] Matrix(ParameterArrays<T> parameters, T[][]? backward, int parameter) =>
        backward![parameter] ?? throw new InvalidOperationException("Parameter " + parameter + " is used as a backward matrix but the rule has no matrix for it.");
}

/// <summary>A rule's own backward matrices without f′.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct OwnMatricesWithoutDerivative<T> : IBackwardChoice<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static bool UseDerivative => false;

    /// <inheritdoc/>
    public static T[] Matrix(ParameterArrays<T> parameters, T[][]? backward, int parameter) => OwnMatricesWithDerivative<T>.Matrix(parameters, backward, parameter);
}
