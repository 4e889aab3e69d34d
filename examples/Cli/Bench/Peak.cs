using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Symbolic.Rules.Kernels;

namespace Symbolic.Cli.Bench;

/// <summary>The machine's measured peak: an FMA loop with independent chains, and a large product through Gemm.</summary>
public static class Peak
{
    private const int Chains = 12;

    private sealed class FmaJob
    {
        public long Iterations;
        public float Sink;
    }

    /// <summary>Single-precision GFLOP/s of an FMA loop (12 independent accumulators) on every thread of <paramref name="pool"/> at once; the best of <paramref name="repetitions"/>.</summary>
    public static double Fma(WorkerPool pool, long iterations, int repetitions)
    {
        var job = new FmaJob { Iterations = iterations };
        pool.Run(pool.ThreadCount, job, static (j, start, n) => { float s = Loop(j.Iterations / 10); lock (j) j.Sink += s; });
        double best = 0;
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
        for (int r = 0; r < repetitions; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            pool.Run(pool.ThreadCount, job, static (j, start, n) => { float s = Loop(j.Iterations); lock (j) j.Sink += s; });
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, pool.ThreadCount * (double)iterations * Chains * lanes * 2 / seconds / 1e9);
        }
        return best;
    }

    /// <summary>GFLOP/s of C = A B (n x n x n, float) through <see cref="Gemm.MatMulNN{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, bool)"/>, rows split over the pool; the best of <paramref name="repetitions"/>.</summary>
    public static double GemmProduct(WorkerPool pool, int n, int repetitions)
    {
        var job = new GemmJob(n);
        double best = 0;
        pool.Run(n, job, static (j, start, count) => j.Rows(start, count), 4);
        for (int r = 0; r < repetitions; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            pool.Run(n, job, static (j, start, count) => j.Rows(start, count), 4);
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, 2.0 * n * n * n / seconds / 1e9);
        }
        return best;
    }

    private sealed class GemmJob
    {
        private readonly int n;
        private readonly float[] a, b, c;

        public GemmJob(int n)
        {
            this.n = n;
            var r = new Random(5);
            a = new float[n * n];
            b = new float[n * n];
            c = new float[n * n];
            for (int i = 0; i < a.Length; i++) { a[i] = (float)r.NextDouble(); b[i] = (float)r.NextDouble(); }
        }

        public void Rows(int start, int count) =>
            Gemm.MatMulNN<float>(a.AsSpan(start * n), n, b, n, c.AsSpan(start * n), n, count, n, n, 1f, false);
    }

    // Kept call-free and in its own method (TOOLCHAIN.md pitfall 10): 12 independent FMA chains.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop(long iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var d = Vector512.Create(1e-7f);
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
            for (long i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, d); a1 = Vector512.FusedMultiplyAdd(a1, m, d);
                a2 = Vector512.FusedMultiplyAdd(a2, m, d); a3 = Vector512.FusedMultiplyAdd(a3, m, d);
                a4 = Vector512.FusedMultiplyAdd(a4, m, d); a5 = Vector512.FusedMultiplyAdd(a5, m, d);
                a6 = Vector512.FusedMultiplyAdd(a6, m, d); a7 = Vector512.FusedMultiplyAdd(a7, m, d);
                a8 = Vector512.FusedMultiplyAdd(a8, m, d); a9 = Vector512.FusedMultiplyAdd(a9, m, d);
                a10 = Vector512.FusedMultiplyAdd(a10, m, d); a11 = Vector512.FusedMultiplyAdd(a11, m, d);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        }
        else
        {
            var m = Vector256.Create(0.999999f);
            var d = Vector256.Create(1e-7f);
            Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
            for (long i = 0; i < iterations; i++)
            {
                a0 = Vector256.FusedMultiplyAdd(a0, m, d); a1 = Vector256.FusedMultiplyAdd(a1, m, d);
                a2 = Vector256.FusedMultiplyAdd(a2, m, d); a3 = Vector256.FusedMultiplyAdd(a3, m, d);
                a4 = Vector256.FusedMultiplyAdd(a4, m, d); a5 = Vector256.FusedMultiplyAdd(a5, m, d);
                a6 = Vector256.FusedMultiplyAdd(a6, m, d); a7 = Vector256.FusedMultiplyAdd(a7, m, d);
                a8 = Vector256.FusedMultiplyAdd(a8, m, d); a9 = Vector256.FusedMultiplyAdd(a9, m, d);
                a10 = Vector256.FusedMultiplyAdd(a10, m, d); a11 = Vector256.FusedMultiplyAdd(a11, m, d);
            }
            return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        }
    }
}
