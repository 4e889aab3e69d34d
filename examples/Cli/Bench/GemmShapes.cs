using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Symbolic.Rules.Kernels;

namespace Symbolic.Cli.Bench;

/// <summary>Single-threaded GFLOP/s of each Gemm operation on the paper MLP's shapes (float), for tuning and before/after figures.</summary>
public static class GemmShapes
{
    /// <summary>Times NT (forward), NN (backward / relaxation drive) and TN (weight gradient) per layer and batch.</summary>
    public static void Run(TextWriter output, bool quick, double peak1)
    {
        using (var pool = new WorkerPool(2))
        {
            foreach (var (m, n, k) in new[] { (16, 64, 64), (32, 96, 128), (32, 300, 100), (32, 300, 300), (64, 300, 300) })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    var job = new Job(m, n, k, quick);
                    pool.Run(threads, job, static (j, start, count) => j.Go(start));
                    long t0 = Stopwatch.GetTimestamp();
                    pool.Run(threads, job, static (j, start, count) => j.Go(start));
                    double t = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"NN {m}x{n}x{k} on {threads} thread(s) at once, each its own copy: {threads * job.Calls * 2.0 * m * n * k / t / 1e9:F1} GFLOP/s in all"));
                }
            }
        }
        output.WriteLine($"{"op",-3} {"m",5} {"n",5} {"k",5} {"us/call",9} {"GFLOP/s",8} {"of peak",7} {"portable",9} {"plain",7} {"A packed",8}  (GFLOP/s of the TensorPrimitives path, of the plain loops of commit 35b418f, and with Gemm.DirectA off in alternated repetitions)");
        int[] sizes = MlpFlops.Sizes;
        foreach (var (n, k) in new[] { (300, 784), (300, 300), (100, 300) })
        {
            var src = new float[n * k];
            var dst = new float[n * k];
            int calls = quick ? 200 : 1000;
            for (int i = 0; i < calls; i++) Gemm.Transpose<float>(src, k, dst, n, k);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) Gemm.Transpose<float>(src, k, dst, n, k);
            double t = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"transpose {n} x {k}: {t * 1e6:F2} us, {n * k / t / 1e9:F2} G elements/s"));
        }
        foreach (int batch in new[] { 1, 64, 256 })
        {
            for (int l = 0; l < sizes.Length - 1; l++)
            {
                int input = sizes[l], outs = sizes[l + 1];
                Time(output, "NT", batch, outs, input, quick, peak1);   // Z = H W^T
                if (batch > 1) Time(output, "NN", batch, outs, input, quick, peak1); // NT's shape without packing W^T
                Time(output, "NN", batch, input, outs, quick, peak1);   // G W
                Time(output, "TN", outs, input, batch, quick, peak1);   // G^T H
            }
        }
    }

    /// <summary>
    /// GFLOP/s and fraction of the FMA peak (float; half of it for double) of NN, NT and TN at n³ for n = 512, 1024 and
    /// 2048 (512 only with <paramref name="quick"/>), float and double, on 1 and 2 threads (C's rows split over the
    /// threads), and beside each the same product through <paramref name="blas"/> when one is loaded.
    /// </summary>
    public static void RunSquare(TextWriter output, bool quick, System.Collections.Generic.IReadOnlyDictionary<int, double> peak, SystemBlas? blas)
    {
        output.WriteLine($"{"op",-3} {"type",-6} {"n",5} {"thr",3} {"GFLOP/s",8} {"of peak",7} {"unblocked",9}" + (blas is null ? "" : $" {"BLAS",8} {"of peak",7} {"managed/BLAS",12}")
            + "  (unblocked: GFLOP/s with Gemm.BlockedKernels off, the packed-panel kernels; of peak: of the FMA peak, half of it for double)");
        using var one = new WorkerPool(1);
        using var two = new WorkerPool(2);
        foreach (int n in quick ? new[] { 512 } : new[] { 512, 1024, 2048 })
        {
            foreach (var op in new[] { "NN", "NT", "TN" })
            {
                foreach (bool isDouble in new[] { false, true })
                {
                    foreach (int threads in new[] { 1, 2 })
                    {
                        double fma = peak.TryGetValue(threads, out var p) ? p : double.NaN;
                        double typePeak = isDouble ? fma / 2 : fma;
                        double flops = 2.0 * n * n * n;
                        var call = isDouble ? SquareJob<double>.Managed(op, n, threads == 1 ? one : two) : SquareJob<float>.Managed(op, n, threads == 1 ? one : two);
                        double managed = flops / Best(call, quick) / 1e9;
                        Gemm.BlockedKernels = false;
                        double unblocked = flops / Best(call, quick) / 1e9;
                        Gemm.BlockedKernels = true;
                        string line = string.Create(CultureInfo.InvariantCulture, $"{op,-3} {(isDouble ? "double" : "float"),-6} {n,5} {threads,3} {managed,8:F1} {managed / typePeak,7:P0} {unblocked,9:F1}");
                        if (blas is not null)
                        {
                            blas.Threads(threads);
                            double reference = flops / Best(isDouble ? SquareJob<double>.Blas(op, n, blas) : SquareJob<float>.Blas(op, n, blas), quick) / 1e9;
                            line += string.Create(CultureInfo.InvariantCulture, $" {reference,8:F1} {reference / typePeak,7:P0} {managed / reference,12:F2}");
                        }
                        output.WriteLine(line);
                    }
                }
            }
        }
        if (blas is not null && !blas.CanSetThreads) output.WriteLine("(" + blas.Name + " cannot set its thread count: its rows ran with the library's default)");
    }

    // The fastest of a few calls after one warm-up call.
    private static double Best(Action call, bool quick)
    {
        call();
        double best = double.MaxValue;
        for (int r = 0; r < (quick ? 2 : 3); r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            call();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    private static class SquareJob<T> where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        private static (T[] A, T[] B, T[] C) Operands(int n)
        {
            var r = new Random(7);
            var a = new T[n * n];
            var b = new T[n * n];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = T.CreateChecked(r.NextDouble());
                b[i] = T.CreateChecked(r.NextDouble());
            }
            return (a, b, new T[n * n]);
        }

        public static Action Managed(string op, int n, WorkerPool pool)
        {
            var (a, b, c) = Operands(n);
            var job = new Rows(a, b, c, n, op);
            return () => pool.Run(n, job, static (j, start, rows) => j.Run(start, rows), 16);
        }

        // C's rows [start, start + rows) of the product.
        private sealed record Rows(T[] A, T[] B, T[] C, int N, string Op)
        {
            public void Run(int start, int rows)
            {
                var c = C.AsSpan(start * N, rows * N);
                switch (Op)
                {
                    case "NN": Gemm.MatMulNN<T>(A.AsSpan(start * N), N, B, N, c, N, rows, N, N, T.One, false); break;
                    case "NT": Gemm.MatMulNT<T>(A.AsSpan(start * N), N, B, N, c, N, rows, N, N, T.One, false); break;
                    default: Gemm.MatMulTN<T>(A.AsSpan(start), N, B, N, c, N, rows, N, N, T.One, false); break;
                }
            }
        }

        public static Action Blas(string op, int n, SystemBlas blas)
        {
            var (a, b, c) = Operands(n);
            return typeof(T) == typeof(double)
                ? () => blas.Gemm(op, (double[])(object)a, (double[])(object)b, (double[])(object)c, n, n, n)
                : () => blas.Gemm(op, (float[])(object)a, (float[])(object)b, (float[])(object)c, n, n, n);
        }
    }

    private static void Time(TextWriter output, string op, int m, int n, int k, bool quick, double peak1)
    {
        var r = new Random(3);
        var a = new float[m * k];
        var b = new float[n * k];
        var c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)r.NextDouble();
        for (int i = 0; i < b.Length; i++) b[i] = (float)r.NextDouble();
        Action call = op switch
        {
            "NT" => () => Gemm.MatMulNT<float>(a, b, c, m, n, k, false),
            "NN" => () => Gemm.MatMulNN<float>(a, b, c, m, n, k, false),
            _ => () => Gemm.MatMulTN<float>(a, b, c, m, n, k, true),
        };
        double flops = 2.0 * m * n * k;
        int calls = Math.Max(1, (int)((quick ? 2e8 : 1e9) / flops));
        for (int i = 0; i < calls; i++) call();
        // Repetitions alternate with the same calls with A packed (Gemm.DirectA off), so the two medians share the
        // machine's state.
        var times = new double[5];
        var packedTimes = new double[5];
        bool direct = Gemm.DirectA;
        for (int rep = 0; rep < times.Length; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) call();
            times[rep] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
            Gemm.DirectA = false;
            t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) call();
            packedTimes[rep] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
            Gemm.DirectA = direct;
        }
        Array.Sort(times);
        Array.Sort(packedTimes);
        double t = times[2];
        // The same call on the portable path and through the original plain loops, for before/after figures.
        Gemm.FastKernels = false;
        double portable = Once(call, Math.Max(1, calls / 4));
        Gemm.FastKernels = true;
        Action plain = op switch
        {
            "NT" => () => PlainNT(a, b, c, m, n, k),
            "NN" => () => PlainNN(a, b, c, m, n, k),
            _ => () => PlainTN(a, b, c, m, n, k),
        };
        double naive = Once(plain, Math.Max(1, calls / 20));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op,-3} {m,5} {n,5} {k,5} {t * 1e6,9:F2} {flops / t / 1e9,8:F1} {flops / t / 1e9 / peak1,7:P0} {flops / portable / 1e9,9:F1} {flops / naive / 1e9,7:F2} {flops / packedTimes[2] / 1e9,8:F1}"));
    }

    private static double Once(Action call, int calls)
    {
        call();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) call();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
    }

    // The plain loops Gemm had before the kernels (commit 35b418f), kept here as the baseline.
    private static void PlainNT(float[] a, float[] b, float[] c, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
                c[i * n + j] = sum;
            }
        }
    }

    private static void PlainNN(float[] a, float[] b, float[] c, int m, int n, int k)
    {
        Array.Clear(c, 0, m * n);
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                float aip = a[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
            }
        }
    }

    private static void PlainTN(float[] a, float[] b, float[] c, int m, int n, int k)
    {
        for (int p = 0; p < k; p++)
        {
            for (int i = 0; i < m; i++)
            {
                float api = a[p * m + i];
                for (int j = 0; j < n; j++) c[i * n + j] += api * b[p * n + j];
            }
        }
    }

    private sealed class Job
    {
        private readonly float[][] a, b, c;
        private readonly int m, n, k;

        public Job(int m, int n, int k, bool quick)
        {
            (this.m, this.n, this.k) = (m, n, k);
            a = new[] { new float[m * k], new float[m * k] };
            b = new[] { new float[k * n], new float[k * n] };
            c = new[] { new float[m * n], new float[m * n] };
            Calls = Math.Max(1, (int)((quick ? 2e9 : 6e9) / (2.0 * m * n * k)));
        }

        public int Calls { get; }

        public void Go(int thread)
        {
            for (int i = 0; i < Calls; i++) Gemm.MatMulNN<float>(a[thread], b[thread], c[thread], m, n, k, false);
        }
    }
}
