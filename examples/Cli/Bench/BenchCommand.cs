using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using Symbolic.Rules.Kernels;

using Symbolic.Examples;

namespace Symbolic.Cli.Bench;

/// <summary>
/// <c>symbolic bench [--quick] [--json PATH] [--filter TEXT] [--no-reference] [--portable] [--gemm] [--wait-idle S] [--column-split] [--check]</c>: measures the
/// machine's peak, then times each case (warm-up, repetitions, medians) and prints a table and JSON.
/// </summary>
public static class BenchCommand
{
    private sealed record Settings(bool Quick, string? Json, string? Filter, bool Reference, bool Portable, bool Gemm, double WaitIdle, bool ColumnSplit);

    /// <summary>Runs the benchmark; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Contains("--check")) return KernelMlp.Check(output) ? 0 : 1;
        var s = Parse(args);
        if (s.Portable) Gemm.FastKernels = false;
        ColumnSplit = s.ColumnSplit;
        if (s.WaitIdle > 0) WaitForIdle(s.WaitIdle, output);
        var clock = Stopwatch.StartNew();
        LoadBefore = LoadAverage();
        output.WriteLine("Vector512 accelerated: " + System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated + ", Avx512F: " + System.Runtime.Intrinsics.X86.Avx512F.IsSupported + ", Gemm fast kernels: " + Gemm.FastKernels);
        output.WriteLine("load average (1, 5, 15 min): " + LoadBefore + (Environment.ProcessorCount <= 2 ? "  (other processes on these cores skew the timings)" : ""));
        var peak = MeasurePeak(s, output);
        if (s.Gemm)
        {
            output.WriteLine();
            GemmShapes.Run(output, s.Quick, peak.Fma[1]);
            return 0;
        }
        var cases = Cases(s).Where(c => s.Filter == null || Label(c).Contains(s.Filter, StringComparison.OrdinalIgnoreCase)).ToList();
        var results = new List<CaseResult>();
        output.WriteLine();
        output.WriteLine(Header());
        foreach (var c in cases)
        {
            var r = Time(c, peak.Fma, s.Quick);
            results.Add(r);
            output.WriteLine(Row(r));
        }
        output.WriteLine();
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s; load average before/after: {LoadBefore} / {LoadAverage()}");
        if (s.Json != null)
        {
            File.WriteAllText(s.Json, ToJson(peak, results, s));
            output.WriteLine("wrote " + s.Json);
        }
        return 0;
    }

    /// <summary>The measured peaks: FMA GFLOP/s and Gemm GFLOP/s by thread count.</summary>
    public sealed record PeakFigures(Dictionary<int, double> Fma, Dictionary<int, double> Gemm);

    private static PeakFigures MeasurePeak(Settings s, TextWriter output)
    {
        var fma = new Dictionary<int, double>();
        var gemm = new Dictionary<int, double>();
        int n = s.Quick ? 512 : 1024;
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            fma[threads] = Peak.Fma(pool, s.Quick ? 20_000_000 : 60_000_000, s.Quick ? 3 : 5);
            gemm[threads] = Peak.GemmProduct(pool, n, s.Quick ? 3 : 5);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"peak {threads} thread(s): FMA loop {fma[threads]:F1} GFLOP/s, Gemm NN {n}^3 float {gemm[threads]:F1} GFLOP/s ({gemm[threads] / fma[threads]:P0} of FMA)"));
        }
        return new PeakFigures(fma, gemm);
    }

    /// <summary>
    /// The cases: the paper MLP through the generated code (bp; AR 100 steps eta 0.1 synchronous and top-down; AR eta 1
    /// synchronous for the unit depth; the compiled closed form, 100 synchronous steps from the unit depth's sweeps), the non-chain example through the generated code, the hand-written kernel MLP
    /// (the kernels' ceiling), and the float64 reference engine (including the closed-form relaxation).
    /// </summary>
    public static IEnumerable<BenchCase> Cases(bool quick, bool reference)
    {
        const string graph = "mlp-784-300-300-100-10";
        var mlp = PaperMlp.Graph;
        int exact = PaperMlp.Float32.LayerRelaxationDepth;
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int batch in new[] { 1, 64, 256 })
            {
                yield return new BenchCase(graph, "bp", 0, 0, batch, threads, "generated", GeneratedCases.Macs(mlp, "bp", 0), GeneratedCases.PaperMlpSetup);
                yield return new BenchCase(graph, "ar", 100, 0.1, batch, threads, "generated", GeneratedCases.Macs(mlp, "ar", 100), GeneratedCases.PaperMlpSetup);
                if (!quick || batch == 64) yield return new BenchCase(graph, "ar-topdown", 100, 0.1, batch, threads, "generated", GeneratedCases.Macs(mlp, "ar", 100), GeneratedCases.PaperMlpSetup);
                if (!quick || batch == 64) yield return new BenchCase(graph, "ar-sync-exact", exact, 1.0, batch, threads, "generated", GeneratedCases.Macs(mlp, "ar", exact), GeneratedCases.PaperMlpSetup);
                if (!quick || batch == 64) yield return new BenchCase(graph, "ar-closed-form", 100, 0.1, batch, threads, "generated", GeneratedCases.Macs(mlp, "ar-closed-form", 100), GeneratedCases.PaperMlpSetup);
            }
        }
        var gated = GatedResidual.Graph;
        foreach (int threads in new[] { 1, 2 })
        {
            yield return new BenchCase("gated-residual-16-12-5", "bp", 0, 0, 64, threads, "generated", GeneratedCases.Macs(gated, "bp", 0), GeneratedCases.GatedResidualSetup);
            yield return new BenchCase("gated-residual-16-12-5", "ar", 100, 0.1, 64, threads, "generated", GeneratedCases.Macs(gated, "ar", 100), GeneratedCases.GatedResidualSetup);
        }
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int batch in quick ? new[] { 64 } : new[] { 1, 64, 256 })
            {
                yield return new BenchCase(graph, "bp", 0, 0, batch, threads, "kernels", MlpFlops.Backprop, KernelSetup);
                yield return new BenchCase(graph, "ar", 100, 0.1, batch, threads, "kernels", MlpFlops.Ar(100), KernelSetup);
            }
        }
        if (!reference) yield break;
        yield return new BenchCase(graph, "bp", 0, 0, 1, 1, "reference", MlpFlops.Backprop, ReferenceCases.Setup);
        yield return new BenchCase(graph, "bp", 0, 0, 64, 1, "reference", MlpFlops.Backprop, ReferenceCases.Setup);
        yield return new BenchCase(graph, "ar", 100, 0.1, 1, 1, "reference", MlpFlops.Ar(100), ReferenceCases.Setup);
        yield return new BenchCase(graph, "ar-closed-form", 100, 0.1, 1, 1, "reference", MlpFlops.Ar(100), ReferenceCases.Setup);
        if (!quick) yield return new BenchCase(graph, "ar", 100, 0.1, 64, 1, "reference", MlpFlops.Ar(100), ReferenceCases.Setup);
        if (!quick) yield return new BenchCase(graph, "ar-closed-form", 100, 0.1, 64, 1, "reference", MlpFlops.Ar(100), ReferenceCases.Setup);
    }

    private static IEnumerable<BenchCase> Cases(Settings s) => Cases(s.Quick, s.Reference);

    private static bool ColumnSplit;

    private static CaseRun KernelSetup(BenchCase c)
    {
        var mlp = new KernelMlp(MlpFlops.Sizes, c.Batch, c.Threads, c.Rule == "ar", c.Steps, c.Eta, columnSplit: ColumnSplit);
        return new CaseRun(mlp.Step, () => mlp.Iterations, mlp);
    }

    /// <summary>Times <paramref name="c"/>: warm-up, then repetitions of a calibrated number of steps; medians.</summary>
    public static CaseResult Time(BenchCase c, IReadOnlyDictionary<int, double> peak, bool quick)
    {
        var run = c.Setup(c);
        try
        {
            double warm = quick ? 0.4 : 1.0, rep = quick ? 0.08 : 0.3;
            int reps = quick ? 3 : 7;
            // Warm-up (tiered JIT, caches, pool spin-up), also calibrating the steps per repetition.
            var clock = Stopwatch.StartNew();
            int warmSteps = 0;
            while (warmSteps < 2 || clock.Elapsed.TotalSeconds < warm)
            {
                run.Step();
                warmSteps++;
            }
            double perStep = clock.Elapsed.TotalSeconds / warmSteps;
            int stepsPerRep = Math.Max(1, (int)(rep / perStep));
            var times = new double[reps];
            long allocated = GC.GetTotalAllocatedBytes(true);
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < stepsPerRep; i++) run.Step();
                times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / stepsPerRep;
            }
            double alloc = (GC.GetTotalAllocatedBytes(true) - allocated) / (double)(reps * stepsPerRep);
            Array.Sort(times);
            double median = times[reps / 2];
            double samples = c.Batch / median;
            double gflops = 2 * c.MacsPerSample * samples / 1e9;
            double fraction = peak.TryGetValue(c.Threads, out var p) ? gflops / p : double.NaN;
            return new CaseResult(c, median, samples, gflops, fraction, alloc, run.MeanIterations?.Invoke() ?? 0, (times[^1] - times[0]) / median, c.Batch / times[0]);
        }
        finally
        {
            run.Owner?.Dispose();
        }
    }

    private static string Label(BenchCase c) => $"{ShortGraph(c.Graph)} {c.Path} {c.Rule} b{c.Batch} t{c.Threads}";

    private static string ShortGraph(string graph) => graph.StartsWith("mlp", StringComparison.Ordinal) ? "mlp" : graph.StartsWith("gated", StringComparison.Ordinal) ? "gated" : graph;

    private static string Header() =>
        $"{"graph",-6} {"path",-10} {"rule",-13} {"T",4} {"eta",4} {"batch",5} {"thr",3} {"samples/s",11} {"ms/step",9} {"GFLOP/s",8} {"of peak",7} {"alloc B/step",12} {"iters",5} {"spread",6} {"best/s",11} {"best of peak",12}";

    private static string Row(CaseResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{ShortGraph(r.Case.Graph),-6} {r.Case.Path,-10} {r.Case.Rule,-13} {r.Case.Steps,4} {r.Case.Eta,4:0.##} {r.Case.Batch,5} {r.Case.Threads,3} {r.SamplesPerSecond,11:N0} {r.SecondsPerStep * 1e3,9:F3} {r.Gflops,8:F1} {r.FractionOfPeak,7:P1} {r.AllocBytesPerStep,12:N0} {r.MeanIterations,5:0} {r.Spread,6:P0} {r.BestSamplesPerSecond,11:N0} {r.FractionOfPeak * r.BestSamplesPerSecond / r.SamplesPerSecond,12:P1}");

    private static string ToJson(PeakFigures peak, List<CaseResult> results, Settings s)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("machine");
            w.WriteString("cpu", CpuName());
            w.WriteNumber("logical_cores", Environment.ProcessorCount);
            w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            w.WriteString("load_average_before", LoadBefore);
            w.WriteString("load_average_after", LoadAverage());
            if (!double.IsNaN(IdleBefore)) w.WriteNumber("cpu_idle_before", Math.Round(IdleBefore, 3));
            w.WriteString("vector", System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512" : "Vector256");
            w.WriteStartObject("peak_gflops");
            foreach (var (t, v) in peak.Fma) w.WriteNumber(t.ToString(CultureInfo.InvariantCulture), Math.Round(v, 2));
            w.WriteEndObject();
            w.WriteStartObject("gemm_gflops");
            foreach (var (t, v) in peak.Gemm) w.WriteNumber(t.ToString(CultureInfo.InvariantCulture), Math.Round(v, 2));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteBoolean("quick", s.Quick);
            w.WriteBoolean("fast_kernels", Gemm.FastKernels);
            w.WriteStartArray("cases");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("graph", r.Case.Graph);
                w.WriteString("rule", r.Case.Rule);
                w.WriteNumber("steps", r.Case.Steps);
                w.WriteNumber("eta", r.Case.Eta);
                w.WriteNumber("batch", r.Case.Batch);
                w.WriteNumber("threads", r.Case.Threads);
                w.WriteString("path", r.Case.Path);
                w.WriteNumber("samples_per_s", Math.Round(r.SamplesPerSecond, 2));
                w.WriteNumber("gflops", Math.Round(r.Gflops, 3));
                w.WriteNumber("fraction_of_peak", Math.Round(r.FractionOfPeak, 4));
                w.WriteNumber("alloc_bytes_per_step", Math.Round(r.AllocBytesPerStep, 1));
                w.WriteNumber("mean_iterations", r.MeanIterations);
                w.WriteNumber("seconds_per_step", r.SecondsPerStep);
                w.WriteNumber("spread", Math.Round(r.Spread, 4));
                w.WriteNumber("best_samples_per_s", Math.Round(r.BestSamplesPerSecond, 2));
                w.WriteNumber("best_fraction_of_peak", Math.Round(r.FractionOfPeak * r.BestSamplesPerSecond / r.SamplesPerSecond, 4));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string LoadBefore = "";

    /// <summary>The fraction of CPU time idle over <paramref name="seconds"/> (from /proc/stat; NaN where unreadable).</summary>
    public static double IdleFraction(double seconds)
    {
        static (long Idle, long Total)? Read()
        {
            try
            {
                var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
                return (f[3] + f[4], f.Sum());
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
        var a = Read();
        System.Threading.Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var b = Read();
        if (a == null || b == null || b.Value.Total == a.Value.Total) return double.NaN;
        return (double)(b.Value.Idle - a.Value.Idle) / (b.Value.Total - a.Value.Total);
    }

    // Other processes on a 2-core machine wreck 2-thread timings: wait (up to a limit) for the CPUs to be idle.
    private static void WaitForIdle(double limit, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        double idle;
        while ((idle = IdleFraction(1.0)) < 0.9 && clock.Elapsed.TotalSeconds < limit)
        {
        }
        IdleBefore = idle;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU idle over the last second before starting: {idle:P0} (waited {clock.Elapsed.TotalSeconds:F0} s)"));
    }

    private static double IdleBefore = double.NaN;

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim() + " (" + Environment.ProcessorCount + " logical cores)";
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture + " (" + Environment.ProcessorCount + " logical cores)";
    }

    private static Settings Parse(string[] args)
    {
        bool quick = false, reference = true, portable = false, gemm = false;
        double waitIdle = 0;
        bool columnSplit = false;
        string? json = null, filter = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--no-reference": reference = false; break;
                case "--portable": portable = true; break;
                case "--gemm": gemm = true; break;
                case "--column-split": columnSplit = true; break;
                case "--wait-idle" when i + 1 < args.Length: waitIdle = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--json" when i + 1 < args.Length: json = args[++i]; break;
                case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
                default: throw new ArgumentException("bench: unknown option '" + args[i] + "'; options: --quick, --json PATH, --filter TEXT, --no-reference, --portable, --gemm, --wait-idle SECONDS, --column-split, --check.");
            }
        }
        return new Settings(quick, json, filter, reference, portable, gemm, waitIdle, columnSplit);
    }
}
