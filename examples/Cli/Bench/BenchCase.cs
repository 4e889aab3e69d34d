using System;

namespace Symbolic.Cli.Bench;

/// <summary>
/// One timed configuration. <see cref="Setup"/> builds everything a step needs (parameters, data, buffers, pool) and
/// returns the step to time; the generated code plugs in here as another <see cref="BenchCase"/> with its own setup.
/// </summary>
/// <param name="Graph">The graph's name (e.g. "mlp-784-300-300-100-10").</param>
/// <param name="Rule">"bp", "ar", …</param>
/// <param name="Steps">Relaxation iterations per training step (0 for bp).</param>
/// <param name="Eta">The relaxation step size (0 for bp).</param>
/// <param name="Batch">Samples per training step.</param>
/// <param name="Threads">Threads the step may use.</param>
/// <param name="Path">"kernels" (hand-written over Symbolic.Rules.Kernels), "reference" (the float64 engine), "generated", "f64" (generated, float64).</param>
/// <param name="MacsPerSample">Multiply-adds per sample per training step (GFLOP/s counts two flops each).</param>
/// <param name="Setup">Builds the case and returns its step.</param>
/// <param name="Float64">The case computes in float64: its fraction is of half the float FMA peak.</param>
public sealed record BenchCase(string Graph, string Rule, int Steps, double Eta, int Batch, int Threads, string Path, double MacsPerSample, Func<BenchCase, CaseRun> Setup, bool Float64 = false);

/// <summary>A set-up case: the step to time, the relaxation iterations the last step used, and what to release after.</summary>
/// <param name="Step">One full training step over one batch.</param>
/// <param name="MeanIterations">The relaxation iterations per step (null: 0).</param>
/// <param name="Owner">Disposed when the case is done (e.g. its worker pool).</param>
public sealed record CaseRun(Action Step, Func<double>? MeanIterations = null, IDisposable? Owner = null);

/// <summary>A timed case's figures.</summary>
/// <param name="Case">The case.</param>
/// <param name="SecondsPerStep">The median over repetitions of the time per step.</param>
/// <param name="SamplesPerSecond">Batch / seconds per step.</param>
/// <param name="Gflops">2 x MACs per sample x samples per second / 1e9.</param>
/// <param name="FractionOfPeak">Gflops over the measured FMA peak for the case's thread count.</param>
/// <param name="AllocBytesPerStep">Bytes allocated by all threads per step.</param>
/// <param name="MeanIterations">Relaxation iterations per step.</param>
/// <param name="Spread">(max - min) / median of the repetitions' times.</param>
/// <param name="BestSamplesPerSecond">Samples per second of the fastest repetition (robust to other processes on the cores).</param>
public sealed record CaseResult(BenchCase Case, double SecondsPerStep, double SamplesPerSecond, double Gflops, double FractionOfPeak, double AllocBytesPerStep, double MeanIterations, double Spread, double BestSamplesPerSecond);

/// <summary>The paper MLP's work per sample, in multiply-adds.</summary>
public static class MlpFlops
{
    /// <summary>The layer sizes 784-300-300-100-10.</summary>
    public static readonly int[] Sizes = { 784, 300, 300, 100, 10 };

    /// <summary>Forward multiply-adds per sample: 356,200.</summary>
    public const double Forward = 784.0 * 300 + 300.0 * 300 + 300.0 * 100 + 100.0 * 10;

    /// <summary>One relaxation step's multiply-adds per sample (the drives of the three hidden units): 121,000.</summary>
    public const double RelaxStep = 300.0 * 300 + 300.0 * 100 + 100.0 * 10;

    /// <summary>Backprop: forward, the weight gradients (1 x forward) and the cotangents of the hidden layers' inputs (121,000): 833,400, not 3 x forward, since no cotangent of the data is needed.</summary>
    public const double Backprop = 2 * Forward + RelaxStep;

    /// <summary>AR with <paramref name="steps"/> relaxation steps: 2 x forward + steps x 121,000.</summary>
    public static double Ar(int steps) => 2 * Forward + steps * RelaxStep;
}
