using System;
using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// When a relaxation with frozen Jacobians computes several steps' matrix products as one: the settings of
/// <see cref="GraphPasses{TGraph, T}.Relax{TBackward}"/>'s chunked path. Process-wide, for before/after measurements.
/// </summary>
/// <remarks>
/// With the Jacobians frozen at the forward pass, a node's units over the steps depend only on its consumers' units
/// over the steps, never on the nodes below it. So a chunk of steps can run a node at a time from the top: each of a
/// node's matrix products takes the chunk's steps as rows (one product of steps × batch rows instead of one per step),
/// and only the cheap elementwise updates run step by step. The iterates are the same; the products' rounding may
/// differ in the last bits, because a product with more rows can take another kernel.
/// </remarks>
public static class RelaxationChunking
{
    /// <summary>Whether relaxations run in chunks of steps (true by default); false runs them one step at a time.</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// The rows a chunk's products aim at (steps × batch): at batch 1 up to 256 steps' products as one, at 64 four steps';
    /// from this batch on, one step at a time. <see cref="MaxBytes"/> usually binds first (the paper MLP relaxes in chunks
    /// up to batch 57 in float32).
    /// </summary>
    public static int TargetRows { get; set; } = 256;

    /// <summary>
    /// The most bytes a workspace's chunk buffers may take (each relaxing node's units for every step of a chunk): about
    /// a core's L2, so a chunk's units stay there between the products. With 8 MB, the CNN's AR at batch 64 (chunks of
    /// 3 steps, 2.6 MB a step) ran 25-30 % slower than one step at a time; the MLP at batch 1 takes 0.7 MB for 100 steps.
    /// </summary>
    public static long MaxBytes { get; set; } = 1L << 20;

    /// <summary>The steps per chunk for a relaxation of <paramref name="steps"/> steps at <paramref name="batch"/>, with
    /// <paramref name="valuesPerStep"/> values per sample and step; below 2, the steps run one at a time.</summary>
    internal static int StepsPerChunk(int steps, int batch, long valuesPerStep, int bytesPerValue)
    {
        if (!Enabled || steps < 2 || batch < 1) return 1;
        long byRows = TargetRows / batch;
        // One more row than the chunk's steps: the state before the chunk.
        long byBytes = MaxBytes / Math.Max(1, (long)batch * valuesPerStep * bytesPerValue) - 1;
        long most = Math.Min(steps, Math.Min(byRows, byBytes));
        if (most < 2) return 1;
        // Chunks of equal length: 100 steps in at most 69 are two of 50, not 69 and a short 31 (a product under 32 rows
        // leaves the blocked kernel).
        long chunks = (steps + most - 1) / most;
        return (int)((steps + chunks - 1) / chunks);
    }
}

public static partial class GraphPasses<TGraph, T>
{
    /// <summary>
    /// The synchronous and top-down schedules with frozen Jacobians, a chunk of <paramref name="chunk"/> steps at a time
    /// (see <see cref="RelaxationChunking"/>). Row 0 of a node's chunk buffer is its state before the chunk, row r its state
    /// after the chunk's step r; an interior node's row r follows from its consumers' rows r, a unit's step r from its
    /// consumers' rows r (top-down: the values just updated above it) or r - 1 (synchronous: the previous step's), as the
    /// step-by-step sweeps do. The residual of each step sums the units' squared updates in the sweeps' order, so a
    /// tolerance stops at the same step.
    /// </summary>
    private static int RelaxInChunks<TBackward>(ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch, RelaxationOptions options, UnitOrder order, T eta, int chunk)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        if (workspace.RelaxationChunks is not ChunkBuffers<T> buffers || !ReferenceEquals(buffers.Order, order) || buffers.Rows < (chunk + 1) * batch || buffers.Chunk < chunk)
        {
            // Grown, never shrunk, so batches of alternating sizes (an epoch's short last batch) do not reallocate.
            var old = workspace.RelaxationChunks as ChunkBuffers<T>;
            bool same = old is not null && ReferenceEquals(old.Order, order);
            buffers = new ChunkBuffers<T>(layout, order, Math.Max((chunk + 1) * batch, same ? old!.Rows : 0), Math.Max(chunk, same ? old!.Chunk : 0));
            workspace.RelaxationChunks = buffers;
        }
        InitialiseUnits<TBackward>(parameters, backward, workspace, batch, order, options.ZeroStart);
        var sweep = order.RelaxingSweep;
        var rows = buffers.Trajectories;
        foreach (int id in sweep) new ReadOnlySpan<T>(workspace.Units[id], 0, batch * layout.Sizes[id]).CopyTo(rows[id]);
        int outputs = batch * layout.OutputSize;
        var clamped = new ReadOnlySpan<T>(workspace.LossGradient, 0, outputs);
        for (int r = 0; r <= chunk; r++) clamped.CopyTo(new Span<T>(rows[layout.OutputId], r * outputs, outputs));

        bool topDown = options.Schedule == RelaxationSchedule.TopDown;
        var free = order.Free;
        var squared = buffers.Squared;
        int steps = 0, last = 0;
        double residual = 0;
        bool converged = false;
        while (steps < options.MaxIterations && !converged)
        {
            int count = Math.Min(chunk, options.MaxIterations - steps);
            foreach (int id in sweep)
            {
                int n = batch * layout.Sizes[id];
                if (order.IsInterior[id])
                {
                    DriveRows<TBackward>(id, buffers, 1, count, new Span<T>(rows[id], n, count * n), parameters, backward, workspace, batch);
                    continue;
                }
                var drive = new Span<T>(buffers.Drive, 0, count * n);
                DriveRows<TBackward>(id, buffers, topDown ? 1 : 0, count, drive, parameters, backward, workspace, batch);
                int u = buffers.FreeIndex[id];
                var trajectory = rows[id];
                for (int r = 1; r <= count; r++)
                {
                    var x = new Span<T>(trajectory, r * n, n);
                    new ReadOnlySpan<T>(trajectory, (r - 1) * n, n).CopyTo(x);
                    squared[u * chunk + r - 1] = double.CreateTruncating(Kernels.Relax.Update<T>(x, drive.Slice((r - 1) * n, n), eta));
                }
            }
            for (int r = 1; r <= count && !converged; r++)
            {
                double sum = 0;
                // The sweeps' order: the synchronous step visits the units bottom-up, the top-down step top-down.
                for (int i = 0; i < free.Length; i++) sum += squared[buffers.FreeIndex[free[topDown ? free.Length - 1 - i : i]] * chunk + r - 1];
                residual = Math.Sqrt(sum);
                steps++;
                last = r;
                converged = options.Tolerance > 0 && residual < options.Tolerance;
            }
            if (converged || steps == options.MaxIterations) break;
            foreach (int id in sweep)
            {
                int n = batch * layout.Sizes[id];
                new ReadOnlySpan<T>(rows[id], last * n, n).CopyTo(rows[id]);
            }
            last = 0;
        }
        foreach (int id in sweep)
        {
            int n = batch * layout.Sizes[id];
            new ReadOnlySpan<T>(rows[id], last * n, n).CopyTo(workspace.Units[id]);
        }
        PropagateInterior<TBackward>(parameters, backward, workspace, batch, order.TrailingInterior);
        workspace.LastResidual = residual;
        workspace.LastIterations = steps;
        return steps;
    }

    // target = rows [first, first + count) of node id's drive: its consumers' contributions from their chunk rows. A matrix
    // product's contribution reads only its matrix, so it takes all the rows at once; the others read per-sample values
    // (f′, the other factor of a product), so they run row by row.
    private static void DriveRows<TBackward>(int id, ChunkBuffers<T> buffers, int first, int count, Span<T> target, ParameterArrays<T> parameters, T[][]? backward, Workspace<T> workspace, int batch)
        where TBackward : struct, IBackwardChoice<T>
    {
        var layout = TGraph.Layout;
        var consumers = layout.Consumers[id];
        int n = batch * layout.Sizes[id];
        for (int c = 0; c < consumers.Length; c++)
        {
            var use = consumers[c];
            var matrix = use.BackwardParameter >= 0 ? TBackward.Matrix(parameters, backward, use.BackwardParameter) : null;
            var source = buffers.Trajectories[use.Child];
            int m = batch * layout.Sizes[use.Child];
            if (buffers.AllRowsAtOnce[use.Child])
            {
                TGraph.Contribute(use.Child, use.Argument, new ReadOnlySpan<T>(source, first * m, count * m), target, c > 0, count * batch, workspace.Values, workspace.Derivatives, matrix, TBackward.UseDerivative);
                continue;
            }
            for (int r = 0; r < count; r++)
            {
                TGraph.Contribute(use.Child, use.Argument, new ReadOnlySpan<T>(source, (first + r) * m, m), target.Slice(r * n, n), c > 0, batch, workspace.Values, workspace.Derivatives, matrix, TBackward.UseDerivative);
            }
        }
    }

    // The values per sample a chunk step keeps: every relaxing node's and the clamped output's.
    private static long ChunkValuesPerStep(UnitOrder order)
    {
        var layout = TGraph.Layout;
        long values = layout.OutputSize;
        foreach (int id in order.RelaxingSweep) values += layout.Sizes[id];
        return values;
    }
}

/// <summary>A workspace's buffers for chunked relaxation: by node id, a relaxing node's (and the output's) units for each row of a chunk.</summary>
internal sealed class ChunkBuffers<T> where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
{
    public ChunkBuffers(GraphLayout layout, UnitOrder order, int rows, int chunk)
    {
        Order = order;
        Rows = rows;
        Chunk = chunk;
        Trajectories = new T[layout.NodeCount][];
        AllRowsAtOnce = new bool[layout.NodeCount];
        FreeIndex = new int[layout.NodeCount];
        foreach (int id in order.RelaxingSweep) Trajectories[id] = new T[checked(rows * layout.Sizes[id])];
        Trajectories[layout.OutputId] = new T[checked(rows * layout.OutputSize)];
        var nodes = layout.Graph.Nodes;
        for (int id = 0; id < nodes.Count; id++) AllRowsAtOnce[id] = nodes[id].Op == OpKind.MatVec;
        for (int u = 0; u < order.Free.Length; u++) FreeIndex[order.Free[u]] = u;
        Drive = new T[checked(rows * layout.MaxFreeSize)];
        Squared = new double[Math.Max(1, order.Free.Length) * chunk];
    }

    public UnitOrder Order { get; }

    /// <summary>The rows (chunk steps + 1, times the batch) each trajectory holds.</summary>
    public int Rows { get; }

    /// <summary>The most steps a chunk may have (the residuals' room).</summary>
    public int Chunk { get; }

    public T[][] Trajectories { get; }

    /// <summary>By node id: whether the node's contribution to its argument may take a chunk's rows as one batch (a matrix product's).</summary>
    public bool[] AllRowsAtOnce { get; }

    /// <summary>By node id: the index of a free unit in <see cref="UnitOrder.Free"/>.</summary>
    public int[] FreeIndex { get; }

    public T[] Drive { get; }

    /// <summary>By free unit, then step of the chunk: the squared norm of its update.</summary>
    public double[] Squared { get; }
}
