using System;
using System.Collections.Immutable;
using System.Numerics;
using System.Numerics.Tensors;
using Symbolic.Graph;
using Symbolic.Rules.Kernels;

namespace Symbolic.Rules.Compiled;

/// <summary>Which matrix carries a matrix product's transposed contribution, and whether f' is used: a rule's backward choice as a type the JIT folds away.</summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IBackwardChoice<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Whether elementwise ops contribute through f' (false: the cotangent passes through unchanged).</summary>
    static abstract bool UseDerivative { get; }

    /// <summary>The backward matrix of parameter <paramref name="parameter"/> (the forward weight, or a rule's own matrix of its shape).</summary>
    static abstract T[] Matrix(ParameterArrays<T> parameters, T[][]? backward, int parameter);
}

/// <summary>Backprop's choice: the forward weights' transpose and f'.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct TransposeWithDerivative<T> : IBackwardChoice<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static bool UseDerivative => true;

    /// <inheritdoc/>
    public static T[] Matrix(ParameterArrays<T> parameters, T[][]? backward, int parameter) => parameters.Arrays[parameter];
}

/// <summary>Backprop's matrices without f′: the cotangent passes elementwise ops unchanged (AR without the nonlinear derivative).</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly struct TransposeWithoutDerivative<T> : IBackwardChoice<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static bool UseDerivative => false;

    /// <inheritdoc/>
    public static T[] Matrix(ParameterArrays<T> parameters, T[][]? backward, int parameter) => parameters.Arrays[parameter];
}

/// <summary>
/// The passes every compiled rule is made of, written once over a graph's primitives: the forward pass and loss,
/// backward sweeps (backprop's cotangents, AR's relaxation in both schedules and both unit placements, the closed form),
/// and the parameter-update products (into gradient arrays, or SGD fused into the products). Allocation-free.
/// </summary>
/// <typeparam name="TGraph">The generated graph struct.</typeparam>
/// <typeparam name="T">float or double.</typeparam>
public static partial class GraphPasses<TGraph, T>
    where TGraph : struct, ICompiledGraph<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Copies the batch's inputs into the workspace and computes every node's value and stored derivative.</summary>
    /// <returns>The loss summed over the batch (also in <see cref="Workspace{T}.Loss"/>); LossGradient holds dL/d(output).</returns>
    public static T Forward(ParameterArrays<T> parameters, CompiledBatch<T> batch, Workspace<T> workspace)
    {
        var layout = TGraph.Layout;
        Check(parameters, workspace, layout);
        batch.Validate(layout);
        workspace.CheckBatch(batch.Size);
        int n = batch.Size;
        for (int k = 0; k < layout.InputIds.Length; k++)
        {
            int id = layout.InputIds[k], size = layout.Sizes[id];
            new ReadOnlySpan<T>(batch.Inputs[k], batch.Offset * size, n * size).CopyTo(workspace.Values[id]);
        }
        ForwardComputed(parameters, workspace, n);
        int outputs = layout.OutputSize;
        var loss = Loss(layout.Graph.Loss, new ReadOnlySpan<T>(workspace.Values[layout.OutputId], 0, n * outputs),
            new ReadOnlySpan<T>(batch.Targets, batch.Offset * outputs, n * outputs), new Span<T>(workspace.LossGradient, 0, n * outputs), n, outputs);
        workspace.Loss = loss;
        workspace.Targets = batch.Targets;
        workspace.TargetsOffset = batch.Offset;
        return loss;
    }

    /// <summary>Every computed node from the values already in the workspace (inputs loaded), in topological order.</summary>
    public static void ForwardComputed(ParameterArrays<T> parameters, Workspace<T> workspace, int batch)
    {
        var computed = TGraph.Layout.ComputedIds;
        var arrays = parameters.Arrays;
        for (int i = 0; i < computed.Length; i++) TGraph.ComputeNode(computed[i], arrays, workspace.Values, workspace.Derivatives, batch);
    }

    /// <summary>The loss summed over the batch and its gradient with respect to the output, per sample.</summary>
    public static T Loss(LossKind kind, ReadOnlySpan<T> output, ReadOnlySpan<T> targets, Span<T> gradient, int batch, int size)
    {
        if (kind == LossKind.SquaredError) return Elementwise.SquaredError(output, targets, gradient);
        T loss = T.Zero;
        if (kind != LossKind.SoftmaxCrossEntropy) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss.");
        for (int s = 0; s < batch; s++)
        {
            var v = output.Slice(s * size, size);
            var y = targets.Slice(s * size, size);
            var g = gradient.Slice(s * size, size);
            T max = T.NegativeInfinity;
            for (int i = 0; i < size; i++) max = T.Max(max, v[i]);
            T sum = T.Zero;
            for (int i = 0; i < size; i++) sum += T.Exp(v[i] - max);
            T lse = max + T.Log(sum);
            T mass = T.Zero;
            for (int i = 0; i < size; i++) mass += y[i];
            for (int i = 0; i < size; i++)
            {
                loss -= y[i] * (v[i] - lse);
                g[i] = T.Exp(v[i] - lse) * mass - y[i];
            }
        }
        return loss;
    }

    /// <summary>Backprop's cotangents: every computed node's adjoint from LossGradient, in reverse topological order.</summary>
    public static void BackpropCotangents<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var computed = layout.ComputedIds;
        var adjoints = workspace.Adjoints;
        for (int i = computed.Length - 1; i >= 0; i--)
        {
            int id = computed[i];
            if (id == layout.OutputId) continue;
            Drive<TBackward>(id, adjoints, new Span<T>(adjoints[id], 0, batch * layout.Sizes[id]), false, parameters, backward, workspace, batch);
        }
    }

    /// <summary>
    /// target (=|+=) sum over node <paramref name="id"/>'s consumers of J^T cotangents[consumer]: the cotangent a node
    /// receives from the nodes that use it (backprop's adjoint step, AR's drive).
    /// </summary>
    public static void Drive<TBackward>(int id, T[][] cotangents, Span<T> target, bool accumulate, ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var consumers = layout.Consumers[id];
        for (int c = 0; c < consumers.Length; c++)
        {
            var use = consumers[c];
            var matrix = use.BackwardParameter >= 0 ? TBackward.Matrix(parameters, backward, use.BackwardParameter) : null;
            TGraph.Contribute(use.Child, use.Argument, new ReadOnlySpan<T>(cotangents[use.Child], 0, batch * layout.Sizes[use.Child]), target, accumulate || c > 0, batch,
                workspace.Values, workspace.Derivatives, matrix, TBackward.UseDerivative);
        }
    }

    /// <summary>
    /// The parameter-update products of rows part <paramref name="part"/> of <paramref name="parts"/> of every parameter:
    /// targets[k] (=|+=) scale * (each consumer's VJP of its cotangent, summed over consumers and the batch). With the
    /// parameters as targets, scale -lr and accumulate it is SGD fused into the products; with gradient arrays and scale 1,
    /// the gradients (or AR's local updates when the cotangents are relaxed units).
    /// </summary>
    public static void ParameterProducts(T[][] cotangents, Workspace<T> workspace, int batch, T[][] targets, T scale, bool accumulate, int part, int parts)
    {
        var layout = TGraph.Layout;
        for (int k = 0; k < layout.ParameterIds.Length; k++)
        {
            var (rowStart, rowCount) = WorkerPool.Chunk(layout.ParameterRows[k], parts, part);
            if (rowCount == 0) continue;
            var consumers = layout.Consumers[layout.ParameterIds[k]];
            for (int c = 0; c < consumers.Length; c++)
            {
                var use = consumers[c];
                TGraph.ParameterProduct(use.Child, use.Argument, new ReadOnlySpan<T>(cotangents[use.Child], 0, batch * layout.Sizes[use.Child]), workspace.Values, targets[k], scale,
                    accumulate || c > 0, batch, rowStart, rowCount);
            }
        }
    }

    /// <summary>Backprop: cotangents, then every parameter's gradient into <see cref="Workspace{T}.Gradients"/> (call <see cref="Forward"/> first).</summary>
    public static void Backprop(ParameterArrays<T> parameters, Workspace<T> workspace, int batch)
    {
        Check(parameters, workspace, TGraph.Layout);
        workspace.CheckBatch(batch);
        BackpropCotangents<TransposeWithDerivative<T>>(parameters, null, workspace, batch);
        ParameterProducts(workspace.Adjoints, workspace, batch, workspace.Gradients, T.One, false, 0, 1);
    }

    /// <summary>AR's local updates into <see cref="Workspace{T}.Gradients"/>: each parameter's VJP with its consumers' relaxed units (call <see cref="Relax"/> first).</summary>
    public static void ArUpdates(Workspace<T> workspace, int batch)
    {
        workspace.CheckBatch(batch);
        ParameterProducts(workspace.Units, workspace, batch, workspace.Gradients, T.One, false, 0, 1);
    }

    /// <summary>
    /// A relaxation as the reference <see cref="ActivationRelaxation.Relax"/> does it (call <see cref="Forward"/> first):
    /// units at their feedforward values (the output's clamped to LossGradient), then up to MaxIterations steps of the
    /// schedule, stopping once a step's residual falls below the tolerance (when positive). The closed form computes the
    /// synchronous state from the fixed point and the unit depth's powers of the nilpotent coupling. With
    /// <see cref="RelaxationOptions.JacobiansAtCurrentUnits"/> every step starts with <see cref="CurrentPass"/>, so the
    /// workspace's values and derivatives hold the last step's current pass afterwards, not the forward pass.
    /// </summary>
    /// <returns>The steps run.</returns>
    public static int Relax(ParameterArrays<T> parameters, Workspace<T> workspace, int batch, RelaxationOptions options) =>
        Relax<TransposeWithDerivative<T>>(parameters, null, workspace, batch, options);

    /// <summary><see cref="Relax"/> with a rule's backward choice.</summary>
    public static int Relax<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, RelaxationOptions options)
        where TBackward : struct, IBackwardChoice<T> =>
        RelaxCore<TBackward>(parameters, backward, workspace, batch, options, 0);

    /// <summary>
    /// <see cref="Relax{TBackward}(ParameterArrays{T}, T[][], Workspace{T}, int, RelaxationOptions)"/> with the steps per
    /// chunk given (see <see cref="RelaxationChunking"/>): 1 runs the steps one at a time, more computes that many steps'
    /// matrix products at once (the synchronous and top-down schedules with frozen Jacobians only).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepsPerChunk"/> is below 1.</exception>
    /// <exception cref="ArgumentException">Chunks of more than one step for the closed form or Jacobians at the current units.</exception>
    public static int RelaxInChunksOf<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, RelaxationOptions options, int stepsPerChunk)
        where TBackward : struct, IBackwardChoice<T>
    {
        if (stepsPerChunk < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerChunk), stepsPerChunk, "A chunk has at least one step.");
        ArgumentNullException.ThrowIfNull(options);
        if (stepsPerChunk > 1 && (options.JacobiansAtCurrentUnits || options.Schedule == RelaxationSchedule.SynchronousClosedForm))
        {
            throw new ArgumentException("Only the synchronous and top-down schedules with frozen Jacobians relax in chunks of steps (asked for " + stepsPerChunk + " steps per chunk).", nameof(stepsPerChunk));
        }
        return RelaxCore<TBackward>(parameters, backward, workspace, batch, options, stepsPerChunk);
    }

    // stepsPerChunk 0: as RelaxationChunking says.
    private static int RelaxCore<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, RelaxationOptions options, int stepsPerChunk)
        where TBackward : struct, IBackwardChoice<T>
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Check(parameters, workspace, TGraph.Layout);
        workspace.CheckBatch(batch);
        var order = TGraph.Layout.Units(options.Units);
        T eta = T.CreateChecked(options.Eta);
        if (options.Schedule == RelaxationSchedule.SynchronousClosedForm)
        {
            return ClosedForm<TBackward>(parameters, backward, workspace, batch, options, order);
        }
        if (options.Schedule != RelaxationSchedule.Synchronous && options.Schedule != RelaxationSchedule.TopDown)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Schedule, "Unknown relaxation schedule.");
        }
        if (!options.JacobiansAtCurrentUnits)
        {
            int chunk = stepsPerChunk > 0 ? Math.Min(stepsPerChunk, Math.Max(1, options.MaxIterations))
                : RelaxationChunking.StepsPerChunk(options.MaxIterations, batch, ChunkValuesPerStep(order), System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
            if (chunk >= 2) return RelaxInChunks<TBackward>(parameters, backward, workspace, batch, options, order, eta, chunk);
        }
        InitialiseUnits<TBackward>(parameters, backward, workspace, batch, order, options.ZeroStart);
        bool topDown = options.Schedule == RelaxationSchedule.TopDown;
        int steps = 0;
        double residual = 0;
        while (steps < options.MaxIterations)
        {
            if (options.JacobiansAtCurrentUnits)
            {
                CurrentPass(parameters, workspace, batch, order);
                if (!topDown) PropagateInterior<TBackward>(parameters, backward, workspace, batch, order.RelaxingInterior);
            }
            residual = topDown
                ? SweepTopDown<TBackward>(parameters, backward, workspace, batch, eta, order)
                : SweepSynchronous<TBackward>(parameters, backward, workspace, batch, eta, order);
            steps++;
            if (options.Tolerance > 0 && residual < options.Tolerance) break;
        }
        // The steps left out the interior nodes no unit reads; the weight update reads them, from the final units.
        PropagateInterior<TBackward>(parameters, backward, workspace, batch, order.TrailingInterior);
        workspace.LastResidual = residual;
        workspace.LastIterations = steps;
        return steps;
    }

    /// <summary>Units at their feedforward values; the nodes interior to a layer then take theirs from the units above.</summary>
    public static void InitialiseUnits<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, UnitOrder order, bool zeroStart = false)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        foreach (int id in order.Sweep)
        {
            if (zeroStart) new Span<T>(workspace.Units[id], 0, batch * layout.Sizes[id]).Clear();
            else new ReadOnlySpan<T>(workspace.Values[id], 0, batch * layout.Sizes[id]).CopyTo(workspace.Units[id]);
        }
        PropagateInterior<TBackward>(parameters, backward, workspace, batch, order);
    }

    /// <summary>The nodes interior to a layer take their cotangent from the units above them (through f′ or not, as <typeparamref name="TBackward"/> says).</summary>
    public static void PropagateInterior<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, UnitOrder order)
        where TBackward : struct, IBackwardChoice<T> =>
        PropagateInterior<TBackward>(parameters, backward, workspace, batch, order.Interior);

    // The interior nodes of ids (reverse topological) from the units above them.
    private static void PropagateInterior<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, ImmutableArray<int> ids)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var units = workspace.Units;
        foreach (int id in ids) Drive<TBackward>(id, units, new Span<T>(units[id], 0, batch * layout.Sizes[id]), false, parameters, backward, workspace, batch);
    }

    /// <summary>One synchronous (Jacobi) step: free units in topological order, so each unit's consumers still hold their previous values; interior nodes follow at the end.</summary>
    public static double SweepSynchronous<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, T eta, UnitOrder order)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var units = workspace.Units;
        double squared = 0;
        foreach (int id in order.Free)
        {
            int n = batch * layout.Sizes[id];
            var drive = new Span<T>(workspace.Scratch, 0, n);
            Drive<TBackward>(id, units, drive, false, parameters, backward, workspace, batch);
            squared += double.CreateTruncating(Kernels.Relax.Update<T>(new Span<T>(units[id], 0, n), drive, eta));
        }
        PropagateInterior<TBackward>(parameters, backward, workspace, batch, order.RelaxingInterior);
        return Math.Sqrt(squared);
    }

    /// <summary>One top-down (Gauss-Seidel) step: reverse topological order, each node using the values just updated above it.</summary>
    public static double SweepTopDown<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, T eta, UnitOrder order)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var units = workspace.Units;
        double squared = 0;
        foreach (int id in order.RelaxingSweep)
        {
            int n = batch * layout.Sizes[id];
            if (order.IsInterior[id])
            {
                Drive<TBackward>(id, units, new Span<T>(units[id], 0, n), false, parameters, backward, workspace, batch);
                continue;
            }
            var drive = new Span<T>(workspace.Scratch, 0, n);
            Drive<TBackward>(id, units, drive, false, parameters, backward, workspace, batch);
            squared += double.CreateTruncating(Kernels.Relax.Update<T>(new Span<T>(units[id], 0, n), drive, eta));
        }
        return Math.Sqrt(squared);
    }

    /// <summary>
    /// The synchronous schedule's units after T steps in closed form: e_T = sum_j C(T,j)(1-eta)^(T-j) eta^j N^j e_0 with
    /// N nilpotent (N^D = 0 for the unit depth D), so the fixed point (one backprop sweep) and N^j e_0 for j &lt; D
    /// (D - 1 sweeps) give the state for any T.
    /// </summary>
    private static int ClosedForm<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, RelaxationOptions options, UnitOrder order)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var buffers = workspace.RuleBuffers as ClosedFormBuffers<T>;
        if (buffers is null || buffers.Depth != order.Depth || buffers.Free != order.Free)
        {
            buffers = new ClosedFormBuffers<T>(layout, order, workspace.MaxBatch);
            workspace.RuleBuffers = buffers;
        }
        var free = order.Free;
        int depth = order.Depth;
        BackpropCotangents<TBackward>(parameters, backward, workspace, batch);
        var fixedPoint = workspace.Adjoints;
        var powers = buffers.Powers;
        for (int u = 0; u < free.Length; u++)
        {
            int id = free[u], n = batch * layout.Sizes[id];
            if (options.ZeroStart) TensorPrimitives.Negate<T>(new ReadOnlySpan<T>(fixedPoint[id], 0, n), new Span<T>(powers[0][u], 0, n));
            else TensorPrimitives.Subtract<T>(new ReadOnlySpan<T>(workspace.Values[id], 0, n), new ReadOnlySpan<T>(fixedPoint[id], 0, n), new Span<T>(powers[0][u], 0, n));
        }
        var store = buffers.Store;
        for (int j = 1; j < depth; j++)
        {
            for (int u = 0; u < free.Length; u++) store[free[u]] = powers[j - 1][u];
            foreach (int id in order.RelaxingInterior) Drive<TBackward>(id, store, new Span<T>(store[id], 0, batch * layout.Sizes[id]), false, parameters, backward, workspace, batch);
            for (int u = 0; u < free.Length; u++)
            {
                int id = free[u];
                Drive<TBackward>(id, store, new Span<T>(powers[j][u], 0, batch * layout.Sizes[id]), false, parameters, backward, workspace, batch);
            }
        }

        double eta = options.Eta;
        int steps = options.MaxIterations;
        double residual = 0;
        if (options.Tolerance > 0)
        {
            for (int k = 1; k <= options.MaxIterations; k++)
            {
                residual = ClosedFormResidual(buffers, workspace, batch, eta, k, order);
                if (residual < options.Tolerance)
                {
                    steps = k;
                    break;
                }
            }
        }
        else if (steps > 0)
        {
            residual = ClosedFormResidual(buffers, workspace, batch, eta, steps, order);
        }

        var units = workspace.Units;
        for (int u = 0; u < free.Length; u++)
        {
            int id = free[u], n = batch * layout.Sizes[id];
            var x = new Span<T>(units[id], 0, n);
            new ReadOnlySpan<T>(fixedPoint[id], 0, n).CopyTo(x);
            for (int j = 0; j < depth; j++)
            {
                double w = BinomialWeight(steps, j, eta);
                if (w != 0) TensorPrimitives.MultiplyAdd<T>(new ReadOnlySpan<T>(powers[j][u], 0, n), T.CreateChecked(w), x, x);
            }
        }
        PropagateInterior<TBackward>(parameters, backward, workspace, batch, order);
        workspace.LastResidual = residual;
        workspace.LastIterations = steps;
        return steps;
    }

    /// <summary>The L2 norm of step k's update, eta (N - I) e_(k-1) = eta sum_j (w_(j-1) - w_j) N^j e_0 with w_j = C(k-1, j)(1-eta)^(k-1-j) eta^j.</summary>
    private static double ClosedFormResidual(ClosedFormBuffers<T> buffers, Workspace<T> workspace, int batch, double eta, int k, UnitOrder order)
    {
        var layout = TGraph.Layout;
        double squared = 0;
        for (int u = 0; u < order.Free.Length; u++)
        {
            int n = batch * layout.Sizes[order.Free[u]];
            var update = new Span<T>(workspace.Scratch, 0, n);
            update.Clear();
            for (int j = 0; j < order.Depth; j++)
            {
                double coefficient = eta * ((j > 0 ? BinomialWeight(k - 1, j - 1, eta) : 0.0) - BinomialWeight(k - 1, j, eta));
                if (coefficient != 0) TensorPrimitives.MultiplyAdd<T>(new ReadOnlySpan<T>(buffers.Powers[j][u], 0, n), T.CreateChecked(coefficient), update, update);
            }
            squared += double.CreateTruncating(TensorPrimitives.Dot<T>(update, update));
        }
        return Math.Sqrt(squared);
    }

    /// <summary>C(k, j) (1-eta)^(k-j) eta^j, exact at eta = 1 and zero for j &gt; k.</summary>
    private static double BinomialWeight(int k, int j, double eta)
    {
        if (j > k) return 0.0;
        if (eta == 1.0) return j == k ? 1.0 : 0.0;
        double log = (k - j) * Math.Log(1 - eta) + j * Math.Log(eta);
        for (int i = 1; i <= j; i++) log += Math.Log(k - j + i) - Math.Log(i);
        return Math.Exp(log);
    }

    private static void Check(ParameterArrays<T> parameters, Workspace<T> workspace, GraphLayout layout)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(workspace);
        if (!ReferenceEquals(parameters.Layout, layout) && !parameters.Layout.Graph.Equals(layout.Graph))
        {
            throw new ArgumentException("The parameters belong to graph '" + parameters.Layout.Graph.Name + "', not '" + layout.Graph.Name + "'.", nameof(parameters));
        }
        if (!ReferenceEquals(workspace.Layout, layout) && !workspace.Layout.Graph.Equals(layout.Graph))
        {
            throw new ArgumentException("The workspace belongs to graph '" + workspace.Layout.Graph.Name + "', not '" + layout.Graph.Name + "'.", nameof(workspace));
        }
    }
}

/// <summary>The closed form's per-workspace buffers: N^j e_0 for each free unit, j below the unit depth, and a re-pointable cotangent store.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class ClosedFormBuffers<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public ClosedFormBuffers(GraphLayout layout, UnitOrder order, int maxBatch)
    {
        Depth = order.Depth;
        Free = order.Free;
        Powers = new T[Math.Max(1, Depth)][][];
        for (int j = 0; j < Powers.Length; j++)
        {
            Powers[j] = new T[Free.Length][];
            for (int u = 0; u < Free.Length; u++) Powers[j][u] = new T[maxBatch * layout.Sizes[Free[u]]];
        }
        Store = new T[layout.NodeCount][];
        // The clamped output is the constant source of the relaxation: N acts on the error with it at zero.
        Store[layout.OutputId] = new T[maxBatch * layout.OutputSize];
        foreach (int id in order.Interior) Store[id] = new T[maxBatch * layout.Sizes[id]];
    }

    public int Depth { get; }

    public System.Collections.Immutable.ImmutableArray<int> Free { get; }

    public T[][][] Powers { get; }

    public T[][] Store { get; }
}
