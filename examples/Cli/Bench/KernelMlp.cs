using System;
using System.Numerics.Tensors;
using Symbolic.Rules.Kernels;

namespace Symbolic.Cli.Bench;

/// <summary>
/// A float32 training step for a ReLU MLP written by hand over Symbolic.Rules.Kernels: what generated code should
/// reach. Activations are row-major (batch x features), weights (out x in). Phase 1 splits the samples over the
/// pool (forward, then backprop or T synchronous relaxation steps); phase 2 splits each weight's rows and applies
/// the SGD step fused into the weight-gradient product (W += -lr G^T H).
/// </summary>
/// <remarks>
/// AR: hidden units x_l (l = 1..L-1) start at the forward values h_l; the output unit is clamped to dL/dout. A
/// relaxation step updates x_l += eta (m_{l+1} W_{l+1} - x_l) for every hidden layer from the previous step's
/// values, where m_l = x_l * relu'(z_l) (derivatives frozen at the forward pass; m_L = the output unit). Layers are
/// visited bottom-up so each m_{l+1} is still the previous step's when it is read: the step is synchronous.
/// The local updates are W_l -= lr m_l^T h_{l-1}, b_l -= lr sum m_l; at the fixed point m_l is backprop's dL/dz_l.
/// </remarks>
public sealed class KernelMlp : IDisposable
{
    private readonly int[] sizes;
    private readonly int layers;
    private readonly int batch;
    private readonly float[][] w, b;          // w[l] (sizes[l+1] x sizes[l]), b[l] (sizes[l+1]) for l = 0..layers-1
    private readonly float[][] h;             // h[0] = input, h[l] (batch x sizes[l]) post-activation, h[layers] = output
    private readonly float[][] mask;          // relu'(z) for hidden layers 1..layers-1
    private readonly float[][] g;             // g[l] = dL/dz_l (bp) or m_l (ar), l = 1..layers
    private readonly float[][] x;             // AR units, l = 1..layers-1
    private readonly float[][] drive;         // AR drives, l = 1..layers-1
    private readonly float[][] gNext;         // AR column mode: the masked units' second buffer, l = 1..layers-1
    private readonly SpinBarrier barrier;
    private readonly bool columns;            // AR with fewer samples than threads x 4: split each step's columns instead
    private readonly float[] targets;
    private readonly double[] residual;       // squared update norm per sample chunk
    private readonly WorkerPool pool;
    private readonly bool ar;
    private readonly int steps;
    private readonly float eta, lr;

    /// <summary>Builds the network (weights N(0, 0.05^2)), a random batch and the buffers.</summary>
    /// <param name="sizes">Layer sizes, input first.</param>
    /// <param name="batch">Samples per step.</param>
    /// <param name="threads">Threads of the pool.</param>
    /// <param name="ar">AR (true) or backprop.</param>
    /// <param name="steps">Relaxation steps.</param>
    /// <param name="eta">Relaxation step size.</param>
    /// <param name="learningRate">SGD step size.</param>
    /// <param name="seed">Seed of the weights and the batch.</param>
    /// <param name="columnSplit">AR with fewer than 4 samples per thread: split each relaxation step's columns over the threads (a barrier per step).</param>
    public KernelMlp(int[] sizes, int batch, int threads, bool ar, int steps, double eta, double learningRate = 1e-4, int seed = 1, bool columnSplit = false)
    {
        this.sizes = sizes;
        layers = sizes.Length - 1;
        this.batch = batch;
        this.ar = ar;
        this.steps = steps;
        this.eta = (float)eta;
        lr = (float)learningRate;
        var r = new Random(seed);
        w = new float[layers][];
        b = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            w[l] = new float[sizes[l + 1] * sizes[l]];
            for (int i = 0; i < w[l].Length; i++) w[l][i] = (float)(0.05 * Gaussian(r));
            b[l] = new float[sizes[l + 1]];
        }
        h = new float[layers + 1][];
        mask = new float[layers][];
        g = new float[layers + 1][];
        x = new float[layers][];
        drive = new float[layers][];
        for (int l = 0; l <= layers; l++)
        {
            h[l] = new float[batch * sizes[l]];
            if (l >= 1) g[l] = new float[batch * sizes[l]];
            if (l >= 1 && l < layers)
            {
                mask[l] = new float[batch * sizes[l]];
                x[l] = new float[batch * sizes[l]];
                drive[l] = new float[batch * sizes[l]];
            }
        }
        for (int i = 0; i < h[0].Length; i++) h[0][i] = (float)r.NextDouble();
        targets = new float[batch * sizes[layers]];
        for (int i = 0; i < targets.Length; i++) targets[i] = r.NextDouble() < 0.1 ? 1f : 0f;
        residual = new double[threads];
        pool = new WorkerPool(threads);
        barrier = new SpinBarrier(threads);
        columns = columnSplit && ar && threads > 1 && batch < 4 * threads;
        gNext = new float[layers][];
        if (columns)
        {
            for (int l = 1; l < layers; l++) gNext[l] = new float[batch * sizes[l]];
        }
    }

    /// <summary>The relaxation iterations of a step (T: the budget always runs).</summary>
    public double Iterations => ar ? steps : 0;

    /// <summary>The squared norm of the last relaxation step's update, summed over the chunks.</summary>
    public double LastResidual
    {
        get
        {
            double s = 0;
            foreach (var v in residual) s += v;
            return s;
        }
    }

    /// <summary>The weights, for checks.</summary>
    public float[][] Weights => w;

    /// <summary>One training step on the batch.</summary>
    public void Step()
    {
        Array.Clear(residual);
        pool.Run(batch, this, static (self, start, count) => self.Samples(start, count), grain: batch >= 8 ? 4 : 1);
        if (columns) pool.Run(pool.ThreadCount, this, static (self, start, count) => self.RelaxColumns(start));
        for (int l = 0; l < layers; l++)
        {
            layer = l;
            if (SplitUpdates(batch)) pool.Run(sizes[l + 1], this, static (self, start, count) => self.Update(start, count), grain: 4);
            else Update(0, sizes[l + 1]);
        }
    }

    private int layer;

    // Whether the update phase is split over the threads. At batch 1 the update is a memory-bound outer product over
    // all of W, and splitting it makes each core's half of W migrate to the other core for the next forward pass:
    // measured 4,227 samples/s split vs 15,965 unsplit for bp at batch 1 on 2 threads (docs/performance.md).
    private static bool SplitUpdates(int batch) => batch >= 8;

    private void Samples(int start, int count)
    {
        int chunk = WorkerPoolChunkIndex(start);
        // Forward.
        for (int l = 0; l < layers; l++)
        {
            int n = sizes[l + 1], k = sizes[l];
            var z = (l == layers - 1 ? h[layers] : g[l + 1]).AsSpan(start * n, count * n); // hidden z goes to g as scratch
            Gemm.MatMulNT<float>(h[l].AsSpan(start * k, count * k), k, w[l], k, z, n, count, n, k, 1f, false);
            if (l < layers - 1) Elementwise.BiasRelu<float>(z, b[l], count, h[l + 1].AsSpan(start * n, count * n), mask[l + 1].AsSpan(start * n, count * n));
            else Elementwise.AddBias<float>(z, b[l], count);
        }
        int no = sizes[layers];
        Elementwise.SquaredError<float>(h[layers].AsSpan(start * no, count * no), targets.AsSpan(start * no, count * no), g[layers].AsSpan(start * no, count * no));
        if (!ar)
        {
            // Backprop: g_{l} = (g_{l+1} W_{l+1}) * relu'(z_l).
            for (int l = layers - 1; l >= 1; l--)
            {
                int n = sizes[l], k = sizes[l + 1];
                var gl = g[l].AsSpan(start * n, count * n);
                Gemm.MatMulNN<float>(g[l + 1].AsSpan(start * k, count * k), k, w[l], n, gl, n, count, n, k, 1f, false);
                TensorPrimitives.Multiply(gl, mask[l].AsSpan(start * n, count * n), gl);
            }
            return;
        }
        // AR: units start at the forward values; m_l = x_l * mask_l = h_l.
        for (int l = 1; l < layers; l++)
        {
            int n = sizes[l];
            h[l].AsSpan(start * n, count * n).CopyTo(x[l].AsSpan(start * n, count * n));
            h[l].AsSpan(start * n, count * n).CopyTo(g[l].AsSpan(start * n, count * n));
        }
        if (columns) return;
        double last = 0;
        for (int t = 0; t < steps; t++)
        {
            float sq = 0;
            for (int l = 1; l < layers; l++)
            {
                int n = sizes[l], k = sizes[l + 1];
                var d = drive[l].AsSpan(start * n, count * n);
                Gemm.MatMulNN<float>(g[l + 1].AsSpan(start * k, count * k), k, w[l], n, d, n, count, n, k, 1f, false);
                sq += Relax.UpdateMasked<float>(x[l].AsSpan(start * n, count * n), d, eta, mask[l].AsSpan(start * n, count * n), g[l].AsSpan(start * n, count * n));
            }
            last = sq;
        }
        residual[chunk] = last;
    }

    // The relaxation of the whole (small) batch with each thread owning a slice of every hidden layer's columns:
    // drives read the previous step's masked units from one buffer and write the new ones to the other; a spin
    // barrier separates the steps.
    private void RelaxColumns(int thread)
    {
        int threads = pool.ThreadCount;
        double last = 0;
        for (int t = 0; t < steps; t++)
        {
            var read = t % 2 == 0 ? g : gNext;
            var write = t % 2 == 0 ? gNext : g;
            float sq = 0;
            for (int l = 1; l < layers; l++)
            {
                int n = sizes[l], k = sizes[l + 1];
                var (c0, cn) = WorkerPool.Chunk(n, threads, thread, 16);
                if (cn == 0) continue;
                var src = l + 1 == layers ? g[layers] : read[l + 1];
                Gemm.MatMulNN<float>(src, k, w[l].AsSpan(c0), n, drive[l].AsSpan(c0), n, batch, cn, k, 1f, false);
                for (int s = 0; s < batch; s++)
                {
                    int o = s * n + c0;
                    sq += Relax.UpdateMasked<float>(x[l].AsSpan(o, cn), drive[l].AsSpan(o, cn), eta, mask[l].AsSpan(o, cn), write[l].AsSpan(o, cn));
                }
            }
            last = sq;
            barrier.SignalAndWait();
        }
        if (steps % 2 == 1)
        {
            // The last step wrote gNext: bring this thread's columns back to g for the updates.
            for (int l = 1; l < layers; l++)
            {
                int n = sizes[l];
                var (c0, cn) = WorkerPool.Chunk(n, threads, thread, 16);
                for (int s = 0; s < batch; s++) gNext[l].AsSpan(s * n + c0, cn).CopyTo(g[l].AsSpan(s * n + c0, cn));
            }
        }
        residual[thread] = last;
    }

    private int WorkerPoolChunkIndex(int start)
    {
        for (int t = pool.ThreadCount - 1; t >= 0; t--)
        {
            if (WorkerPool.Chunk(batch, pool.ThreadCount, t, batch >= 8 ? 4 : 1).Start <= start) return t;
        }
        return 0;
    }

    // W_l rows [start, start + count) += -lr g_{l+1}^T h_l; b_l[rows] += -lr sum over the batch of g_{l+1}[:, rows].
    private void Update(int start, int count)
    {
        int l = layer;
        int n = sizes[l], m = sizes[l + 1];
        Gemm.MatMulTN<float>(g[l + 1].AsSpan(start), m, h[l], n, w[l].AsSpan(start * n), n, count, n, batch, -lr, true);
        var bias = b[l].AsSpan(start, count);
        for (int s = 0; s < batch; s++) TensorPrimitives.MultiplyAdd(g[l + 1].AsSpan(s * m + start, count), -lr, bias, bias);
    }

    /// <summary>Stops the pool.</summary>
    public void Dispose() => pool.Dispose();

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>
    /// Self-checks of the hand-written step, printed to <paramref name="output"/>: AR with eta = 1 reaches backprop's
    /// adjoint after as many steps as the net has hidden layers, so one training step of each must give the same
    /// weights; and 1 and 2 threads (sample split, and the column split of batch 1) must agree. Returns false on a mismatch.
    /// </summary>
    public static bool Check(System.IO.TextWriter output)
    {
        bool ok = true;
        void Compare(string what, KernelMlp a, KernelMlp b, double tolerance, bool equal = true)
        {
            a.Step();
            b.Step();
            double diff = 0;
            for (int l = 0; l < a.w.Length; l++)
            {
                for (int i = 0; i < a.w[l].Length; i++)
                {
                    diff = Math.Max(diff, Math.Abs(a.w[l][i] - b.w[l][i]));
                }
            }
            bool pass = equal ? diff <= tolerance : diff > tolerance;
            ok &= pass;
            output.WriteLine($"check {what}: max |W_a - W_b| = {diff:E2} ({(pass ? "ok" : "MISMATCH")}, {(equal ? "at most" : "above")} {tolerance:E0})");
            a.Dispose();
            b.Dispose();
        }
        int[] sizes = MlpFlops.Sizes;
        Compare("bp vs ar(eta 1, 3 steps), batch 8", new KernelMlp(sizes, 8, 1, false, 0, 0, 1e-2), new KernelMlp(sizes, 8, 1, true, 3, 1.0, 1e-2), 1e-5);
        Compare("bp vs ar(eta 1, 2 steps), batch 8 (must differ)", new KernelMlp(sizes, 8, 1, false, 0, 0, 1e-2), new KernelMlp(sizes, 8, 1, true, 2, 1.0, 1e-2), 1e-4, equal: false);
        Compare("bp 1 vs 2 threads, batch 64", new KernelMlp(sizes, 64, 1, false, 0, 0, 1e-2), new KernelMlp(sizes, 64, 2, false, 0, 0, 1e-2), 1e-6);
        Compare("ar 1 vs 2 threads, batch 64", new KernelMlp(sizes, 64, 1, true, 100, 0.1, 1e-2), new KernelMlp(sizes, 64, 2, true, 100, 0.1, 1e-2), 1e-6);
        Compare("ar 1 vs 2 threads (column split), batch 1", new KernelMlp(sizes, 1, 1, true, 100, 0.1, 1e-2), new KernelMlp(sizes, 1, 2, true, 100, 0.1, 1e-2, columnSplit: true), 1e-6);
        Compare("ar 1 vs 2 threads (column split, odd steps), batch 3", new KernelMlp(sizes, 3, 1, true, 7, 0.1, 1e-2), new KernelMlp(sizes, 3, 2, true, 7, 0.1, 1e-2, columnSplit: true), 1e-6);
        return ok;
    }
}
