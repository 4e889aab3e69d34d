using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Numerics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Kernels;

namespace Symbolic.Rules;

/// <summary>
/// Direct feedback alignment (Nøkland 2016, arXiv 1609.01596): every layer output u (the units of
/// <see cref="UnitPlacement.Layers"/>, the output excepted) receives the output error e = dL/dv_out through a fixed
/// random matrix of its own, δ_u = B_u e; the nodes inside a layer take their cotangent from it through f′ as in
/// backprop, and the weight updates are backprop's from these cotangents. Any graph with layer units works (a chain
/// is the paper's case); with one hidden layer and B = W₂ᵀ it is backprop.
/// </summary>
/// <param name="Seed">Seeds the fixed matrices.</param>
/// <param name="Init">Their distribution: uniform on ±1/sqrt(size of the layer) (default), or N(0, 0.05²).</param>
public sealed partial record DirectFeedbackAlignmentRule(int Seed = 1, FeedbackInit Init = FeedbackInit.UniformFanOut) : LearningRule
{
    /// <inheritdoc/>
    public override string Name => "dfa";

    /// <summary>The layer units that receive the error directly, in topological order: every layer output but the output.</summary>
    public static IReadOnlyList<Node> Receivers(ComputationGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.UnitIds.Where(id => id != graph.OutputId && !graph.LayerInterior[id]).Select(id => graph.Nodes[id]).ToArray();
    }

    /// <summary>The fixed matrices B_u (size of u x size of the output) by receiver name, drawn in float64 from <paramref name="seed"/>.</summary>
    public static ParameterSet Draw(ComputationGraph graph, int seed, FeedbackInit init)
    {
        var random = new Random(seed);
        int outputs = graph.Output.Size;
        return ParameterSet.From(Receivers(graph).Select(n => (n.Name, init switch
        {
            FeedbackInit.UniformFanOut => Matrix<double>.Build.Random(n.Size, outputs, new ContinuousUniform(-1 / Math.Sqrt(n.Size), 1 / Math.Sqrt(n.Size), random)),
            FeedbackInit.Normal005 => Matrix<double>.Build.Random(n.Size, outputs, new Normal(0, 0.05, random)),
            _ => throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown feedback initialisation."),
        })));
    }

    /// <inheritdoc/>
    public override RuleState InitialState(ComputationGraph graph, ParameterSet parameters) => new BackwardState(Draw(graph, Seed, Init));

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        if (state is not BackwardState own) throw new ArgumentException("Direct feedback alignment needs its BackwardState (from InitialState), not " + state.GetType().Name + ".", nameof(state));
        var record = Forward.Run(graph, parameters, batch);
        var cotangents = new Matrix<double>?[graph.Nodes.Count];
        cotangents[graph.OutputId] = record.LossGradient;
        foreach (var u in Receivers(graph)) cotangents[u.Id] = own.Matrices[u.Name] * record.LossGradient;
        var parentsOf = new Matrix<double>[graph.Nodes.Count][];
        foreach (var id in graph.UnitIds) parentsOf[id] = record.ParentValues(id);
        // Interior nodes, from the output down, take their cotangent from their consumers inside the layer.
        foreach (var id in graph.UnitIds.Where(id => graph.LayerInterior[id]).Reverse())
        {
            cotangents[id] = ActivationRelaxation.Drive(graph, id, cotangents, parentsOf, record.Values[id].RowCount, record.Values[id].ColumnCount);
        }
        var relaxed = new RelaxationResult(cotangents.ToImmutableArray(), 0, ImmutableArray<double>.Empty, true);
        return new RuleUpdate(ActivationRelaxation.ParameterUpdates(record, relaxed), record, state, ImmutableSortedDictionary<string, double>.Empty.Add("loss", record.LossValue));
    }

    /// <inheritdoc/>
    public override CompiledRuleState<TGraph, T> CreateState<TGraph, T>(int maxBatch, int threads = 1)
    {
        var layout = TGraph.Layout;
        var drawn = Draw(layout.Graph, Seed, Init);
        var matrices = new T[]?[layout.NodeCount];
        foreach (var u in Receivers(layout.Graph)) matrices[u.Id] = BackwardMatrices.ToRowMajor<T>(drawn[u.Name]);
        return new TrainingRun<TGraph, T, DirectFeedbackPhase<T>>(this, new DirectFeedbackPhase<T>(matrices), maxBatch, threads);
    }
}

/// <summary>Direct feedback alignment's backward phase: each layer unit's cotangent from the output error through its matrix, then the layers' interiors through f′.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Matrices">By node id, B_u (size of u x size of the output, row-major) for every receiving unit; null elsewhere.</param>
public readonly record struct DirectFeedbackPhase<T>(T[]?[] Matrices) : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        var layout = TGraph.Layout;
        var adjoints = workspace.Adjoints;
        int outputs = layout.OutputSize;
        var error = new ReadOnlySpan<T>(workspace.LossGradient, 0, batch * outputs);
        var order = layout.Layers;
        foreach (int id in order.Free)
        {
            if (Matrices[id] is not { } b) continue;
            int size = layout.Sizes[id];
            // Row s of the cotangent is B_u e_s: (batch x outputs) times (size x outputs) transposed.
            Gemm.MatMulNT<T>(error, b, new Span<T>(adjoints[id], 0, batch * size), batch, size, outputs, false);
        }
        foreach (int id in order.Interior)
        {
            GraphPasses<TGraph, T>.Drive<TransposeWithDerivative<T>>(id, adjoints, new Span<T>(adjoints[id], 0, batch * layout.Sizes[id]), false, parameters, null, workspace, batch);
        }
        return adjoints;
    }
}
