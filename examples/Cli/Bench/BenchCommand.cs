using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using Symbolic.Cli.CommandLine;
using Symbolic.Rules.Kernels;

using Symbolic.Examples;

namespace Symbolic.Cli.Bench;

/// <summary>
/// <c>symbolic bench [--quick] [--json PATH] [--filter TEXT] [--no-reference] [--portable] [--gemm] [--wait-idle S] [--column-split] [--check]</c>: measures the
/// machine's peak, then times each case (warm-up, repetitions, medians) and prints a table and JSON.
/// </summary>
public static class BenchCommand
{
    /// <summary>The benchmark's settings, as given on the command line.</summary>
    /// <param name="Quick">Shorter warm-up and repetitions, fewer cases (under 60 s).</param>
    /// <param name="Json">Where to write the results as JSON (null: nowhere).</param>
    /// <param name="Filter">Only the cases whose name contains this, ignoring case (null: all).</param>
    /// <param name="Reference">Include the float64 reference engine's cases.</param>
    /// <param name="Portable">Run with <c>Gemm.FastKernels = false</c>.</param>
    /// <param name="Gemm">Time the Gemm operations on the MLP's shapes instead of the cases.</param>
    /// <param name="WaitIdle">Wait up to this many seconds for the CPUs to be idle (0: do not wait).</param>
    /// <param name="ColumnSplit">The hand-written kernels split batch-1 relaxation by columns.</param>
    /// <param name="Check">Only verify the hand-written step.</param>
    /// <param name="Epoch">Run the end-to-end MNIST epochs (in a full run, or alone with a filter containing "epoch").</param>
    /// <param name="Blas">With <paramref name="Gemm"/>: add the square products through a system BLAS as reference rows.</param>
    /// <param name="NoPackPanels">Run with <c>Gemm.PackPanels = false</c> (before/after figures of the packed panels).</param>
    /// <param name="NoBlocked">Run with <c>Gemm.BlockedKernels = false</c> (before/after figures of the cache-blocked path).</param>
    /// <param name="NoDirectConv">Run with <c>Convolution.DirectInputVjp = false</c> (before/after figures of the direct image VJP).</param>
    /// <param name="WideEdges">Run with <c>Gemm.NarrowEdgePanels = false</c> (before/after figures of the 1- and 2-vector edge kernels).</param>
    /// <param name="ChunkBytes">When positive, <c>RelaxationChunking.MaxBytes</c> (the chunked relaxation's buffer cap, for tuning).</param>
    /// <param name="PackedA">Run with <c>Gemm.DirectA = false</c> (before/after figures of reading A in place in the blocked GEMM).</param>
    /// <param name="Ab">When set, one of <see cref="AbSettings"/>: each case's repetitions alternate between the settings
    /// above and the same with this one switched, and a second row gives the switched runs (in-process A/B figures).</param>
    /// <param name="NoSharedPacks">Run with <c>Gemm.SharePackedB = false</c> (before/after figures of the step's shared packed weights).</param>
    /// <param name="TileEdges">Run with <c>Gemm.MaskedEdges = false</c> (before/after figures of the masked edge stores).</param>
    /// <param name="NoStepChunks">Run with <c>RelaxationChunking.Enabled = false</c> (before/after figures of relaxing a chunk of steps at a time).</param>
    public sealed record Settings(bool Quick = false, string? Json = null, string? Filter = null, bool Reference = true, bool Portable = false, bool Gemm = false, double WaitIdle = 0, bool ColumnSplit = false, bool Check = false, bool Epoch = true,
        bool Blas = false, bool NoPackPanels = false, bool NoBlocked = false, bool NoDirectConv = false, bool NoStepChunks = false, bool WideEdges = false, long ChunkBytes = 0,
        bool PackedA = false, bool TileEdges = false, bool NoSharedPacks = false, string? Ab = null);

    /// <summary>The <c>bench</c> command and its options.</summary>
    public static Command CreateCommand()
    {
        var quick = CliOptions.Flag("--quick", "Shorter warm-up and repetitions and fewer cases (about 20 s instead of about 145 s)");
        var json = CliOptions.Text("--json", "PATH", "Also write the results as JSON to PATH (checked before the benchmark starts; written atomically)");
        var filter = CliOptions.Text("--filter", "TEXT", "Only the cases whose name (e.g. 'mlp generated bp b64 t1') contains TEXT, ignoring case");
        var noReference = CliOptions.Flag("--no-reference", "Leave out the float64 reference engine's cases");
        var portable = CliOptions.Flag("--portable", "Run the cases with Gemm.FastKernels = false");
        var noPack = CliOptions.Flag("--no-pack-panels", "Run the cases with Gemm.PackPanels = false (NN and TN stream B unpacked)");
        var noBlocked = CliOptions.Flag("--no-blocked", "Run the cases with Gemm.BlockedKernels = false (no cache-blocked path with packed A and B)");
        var noDirectConv = CliOptions.Flag("--no-direct-conv", "Run the cases with Convolution.DirectInputVjp = false (a convolution's image VJP through the patch matrix and col2im)");
        var noStepChunks = CliOptions.Flag("--no-step-chunks", "Run the cases with RelaxationChunking.Enabled = false (each relaxation step's products on their own, not a chunk of steps' at once)");
        var wideEdges = CliOptions.Flag("--wide-edges", "Run the cases with Gemm.NarrowEdgePanels = false (the blocked GEMM's last, narrower column panel through the full 3-vector kernel over zero padding)");
        var packedA = CliOptions.Flag("--packed-a", "Run the cases with Gemm.DirectA = false (the blocked GEMM packs A instead of reading it in place)");
        var tileEdges = CliOptions.Flag("--tile-edges", "Run the cases with Gemm.MaskedEdges = false (the blocked GEMM's last, narrowed column panel through a scratch tile and a scalar merge instead of masked stores)");
        var noSharedPacks = CliOptions.Flag("--no-shared-packs", "Run the cases with Gemm.SharePackedB = false (every product packs its weights, instead of once per step for all shards and relaxation steps)");
        var ab = CliOptions.Text("--ab", "SETTING", "Alternate each case's repetitions with SETTING switched (" + string.Join(", ", AbSettings.Keys) + ") and print its row under each case: before/after figures from one run, repetition by repetition");
        var chunkBytes = CliOptions.Integer("--chunk-bytes", "BYTES", "Cap the chunked relaxation's buffers at BYTES per workspace (RelaxationChunking.MaxBytes, default 1 MB), for tuning", 0, v => v >= 1024, "at least 1024");
        var gemm = CliOptions.Flag("--gemm", "Time each Gemm operation on the MLP's shapes and NN, NT, TN at 512^3 to 2048^3 (float and double, 1 and 2 threads) instead of the cases");
        var blas = CliOptions.Flag("--blas", "With --gemm: the square products through a system BLAS too (OpenBLAS or BLIS, when installed), as reference rows");
        var waitIdle = CliOptions.Number("--wait-idle", "SECONDS", "Wait up to SECONDS for the CPUs to be idle before starting", 0, v => v >= 0, "0 or more");
        var columnSplit = CliOptions.Flag("--column-split", "The hand-written kernels split batch-1 relaxation over threads by columns");
        var noEpoch = CliOptions.Flag("--no-epoch", "Leave out the end-to-end MNIST epochs (bp and AR, 1 and 2 threads, about 60 s; not in --quick); they fetch MNIST into the cache on first use");
        var check = CliOptions.Flag("--check", "Only verify the hand-written training step (bp against AR with eta 1, 1 against 2 threads)");
        var command = new Command("bench", "Time training steps (forward, backward phase, update) and the machine's peak; prints a table (see docs/performance.md)")
        {
            quick, json, filter, noReference, portable, noPack, noBlocked, noDirectConv, noStepChunks, wideEdges, packedA, tileEdges, noSharedPacks, ab, chunkBytes, gemm, blas, waitIdle, columnSplit, check, noEpoch,
        };
        command.SetAction(parse => Run(
            new Settings(parse.GetValue(quick), parse.GetValue(json), parse.GetValue(filter), !parse.GetValue(noReference), parse.GetValue(portable),
                parse.GetValue(gemm), parse.GetValue(waitIdle), parse.GetValue(columnSplit), parse.GetValue(check), !parse.GetValue(noEpoch), parse.GetValue(blas), parse.GetValue(noPack), parse.GetValue(noBlocked), parse.GetValue(noDirectConv), parse.GetValue(noStepChunks), parse.GetValue(wideEdges), (long)parse.GetValue(chunkBytes),
                parse.GetValue(packedA), parse.GetValue(tileEdges), parse.GetValue(noSharedPacks), parse.GetValue(ab)),
            parse.InvocationConfiguration.Output));
        return command;
    }

    /// <summary>
    /// Checks <paramref name="s"/> without running anything long: options that would be ignored, a filter that matches no
    /// case, a JSON path that cannot be written. Throws <see cref="UsageException"/>.
    /// </summary>
    public static void Validate(Settings s)
    {
        if (s.Blas && !s.Gemm) throw new UsageException("--blas adds reference rows to --gemm; give both");
        if (s.Ab != null && !AbSettings.ContainsKey(s.Ab)) throw new UsageException("--ab takes one of " + string.Join(", ", AbSettings.Keys) + ", not '" + s.Ab + "'");
        if (s.Ab != null && (s.Gemm || s.Check)) throw new UsageException("--ab applies to the cases, not to " + (s.Gemm ? "--gemm" : "--check"));
        // --ab switches between the default and the switched setting, so the same setting given as a flag would be undone.
        bool sameFlag = s.Ab switch
        {
            "packed-a" => s.PackedA,
            "tile-edges" => s.TileEdges,
            "no-shared-packs" => s.NoSharedPacks,
            "wide-edges" => s.WideEdges,
            "no-blocked" => s.NoBlocked,
            _ => false,
        };
        if (sameFlag) throw new UsageException("--ab " + s.Ab + " alternates with the default, so --" + s.Ab + " cannot be given as well");
        string? only = s.Check ? "--check" : s.Gemm ? "--gemm" : null;
        if (only != null)
        {
            if (s.Json != null) throw new UsageException($"--json does not apply to {only}");
            if (s.Filter != null) throw new UsageException($"--filter does not apply to {only}");
            if (s.Check && s.Gemm) throw new UsageException("--gemm does not apply to --check");
        }
        if (s.Filter != null && !WantsEpochs(s))
        {
            var all = Cases(s).ToList();
            if (!all.Any(c => Matches(c, s.Filter)))
            {
                static string Words(IEnumerable<string> words) => string.Join("|", words.Distinct());
                throw new UsageException($"no bench case matches '{s.Filter}'; cases are named like '{Label(all[0])}' "
                    + $"(graph {Words(all.Select(c => ShortGraph(c.Graph)))}, path {Words(all.Select(c => c.Path))}, rule {Words(all.Select(c => c.Rule))}, "
                    + $"batch {Words(all.Select(c => "b" + c.Batch))}, threads {Words(all.Select(c => "t" + c.Threads))}"
                    + (s.Quick || !s.Reference ? $"; with{(s.Quick ? " --quick" : "")}{(s.Reference ? "" : " --no-reference")}" : "")
                    + ") and --filter keeps those whose name contains the text, ignoring case; --filter epoch runs only the end-to-end epochs");
            }
        }
        if (s.Json != null) OutputFile.CheckWritable(s.Json, "--json");
    }

    /// <summary>Runs the benchmark (after <see cref="Validate"/>); returns the exit code.</summary>
    public static int Run(Settings s, TextWriter output)
    {
        Validate(s);
        if (s.Check) return KernelMlp.Check(output) ? 0 : 1;
        if (s.Portable) Gemm.FastKernels = false;
        if (s.NoPackPanels) Gemm.PackPanels = false;
        if (s.NoBlocked) Gemm.BlockedKernels = false;
        if (s.NoDirectConv) Convolution.DirectInputVjp = false;
        if (s.NoStepChunks) Symbolic.Rules.Compiled.RelaxationChunking.Enabled = false;
        if (s.WideEdges) Gemm.NarrowEdgePanels = false;
        if (s.PackedA) Gemm.DirectA = false;
        if (s.TileEdges) Gemm.MaskedEdges = false;
        if (s.NoSharedPacks) Gemm.SharePackedB = false;
        if (s.ChunkBytes > 0) Symbolic.Rules.Compiled.RelaxationChunking.MaxBytes = s.ChunkBytes;
        ColumnSplit = s.ColumnSplit;
        if (s.WaitIdle > 0) WaitForIdle(s.WaitIdle, output);
        var clock = Stopwatch.StartNew();
        LoadBefore = LoadAverage();
        output.WriteLine("Vector512 accelerated: " + System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated + ", Avx512F: " + System.Runtime.Intrinsics.X86.Avx512F.IsSupported + ", Gemm fast kernels: " + Gemm.FastKernels + ", packed panels: " + Gemm.PackPanels + ", blocked: " + Gemm.BlockedKernels + ", narrow edge panels: " + Gemm.NarrowEdgePanels + ", A in place: " + Gemm.DirectA + ", masked edges: " + Gemm.MaskedEdges + ", shared packed weights: " + Gemm.SharePackedB + ", direct image VJP: " + Convolution.DirectInputVjp + ", relaxation step chunks: " + Symbolic.Rules.Compiled.RelaxationChunking.Enabled + " (at most " + Symbolic.Rules.Compiled.RelaxationChunking.MaxBytes + " bytes)");
        output.WriteLine("load average (1, 5, 15 min): " + LoadBefore + (Environment.ProcessorCount <= 2 ? "  (other processes on these cores skew the timings)" : ""));
        var peak = MeasurePeak(s, output, "before the cases");
        if (s.Gemm)
        {
            output.WriteLine();
            GemmShapes.Run(output, s.Quick, peak.Fma[1]);
            output.WriteLine();
            SystemBlas? library = null;
            if (s.Blas)
            {
                library = SystemBlas.TryLoad(out var reason);
                output.WriteLine(library is null ? "--blas: " + reason + "; the rows below are the managed kernels only" : "--blas: reference rows through " + library.Name);
            }
            GemmShapes.RunSquare(output, s.Quick, peak.Fma, library);
            return 0;
        }
        var cases = Cases(s).Where(c => s.Filter == null || Matches(c, s.Filter)).ToList();
        if (s.Filter != null && s.Filter.Contains("epoch", StringComparison.OrdinalIgnoreCase)) cases.Clear();
        var results = new List<CaseResult>();
        output.WriteLine();
        output.WriteLine(Header());
        foreach (var c in cases)
        {
            var r = Time(c, peak.Fma, s.Quick, s.Ab is null ? null : AbSettings[s.Ab], out var switched);
            results.Add(r);
            output.WriteLine(Row(r));
            if (switched is not null)
            {
                output.WriteLine(Row(switched) + string.Create(CultureInfo.InvariantCulture, $"  <- --{s.Ab}, alternated: {switched.SamplesPerSecond / r.SamplesPerSecond:F3}x"));
            }
        }
        var epochs = WantsEpochs(s) ? EpochCases.Run(output, results) : Array.Empty<EpochResult>();
        output.WriteLine();
        // The peak again after the cases: another process on the cores depresses either measurement, so each case's
        // fraction is taken against the larger of the two, and one that still exceeds it is flagged, not hidden.
        var after = MeasurePeak(s, output, "after the cases");
        var best = PeakFigures.Larger(peak, after);
        if (results.Count > 0)
        {
            results = results.Select(r => r with { FractionOfPeak = best.Fma.TryGetValue(r.Case.Threads, out var p) ? r.Gflops / p : double.NaN }).ToList();
            if (best.Fma.Any(kv => kv.Value > peak.Fma[kv.Key] * 1.02))
            {
                output.WriteLine("The peak read higher after the cases (the machine was busier before): the cases against the larger peak:");
                output.WriteLine(Header());
                foreach (var r in results) output.WriteLine(Row(r));
            }
            foreach (var r in results.Where(r => r.FractionOfPeak > 1))
            {
                output.WriteLine($"warning: {Label(r.Case)} ran at {r.FractionOfPeak:P0} of the measured peak: the peak was measured while other work shared the cores; rerun on an idle machine (--wait-idle)");
            }
        }
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s; load average before/after: {LoadBefore} / {LoadAverage()}");
        if (s.Json != null)
        {
            OutputFile.WriteAllText(s.Json, ToJson(best, peak, after, results, epochs, s));
            output.WriteLine("wrote " + s.Json);
        }
        return 0;
    }

    // The end-to-end epochs: in a full run, or alone with --filter epoch.
    private static bool WantsEpochs(Settings s) => s.Epoch && (s.Filter == null ? !s.Quick : s.Filter.Contains("epoch", StringComparison.OrdinalIgnoreCase));

    private static bool Matches(BenchCase c, string filter) => Label(c).Contains(filter, StringComparison.OrdinalIgnoreCase);

    /// <summary>The measured peaks: FMA GFLOP/s and Gemm GFLOP/s by thread count.</summary>
    public sealed record PeakFigures(Dictionary<int, double> Fma, Dictionary<int, double> Gemm)
    {
        /// <summary>The larger of two measurements, per thread count and kind.</summary>
        public static PeakFigures Larger(PeakFigures a, PeakFigures b) => new(
            a.Fma.ToDictionary(kv => kv.Key, kv => Math.Max(kv.Value, b.Fma.GetValueOrDefault(kv.Key))),
            a.Gemm.ToDictionary(kv => kv.Key, kv => Math.Max(kv.Value, b.Gemm.GetValueOrDefault(kv.Key))));
    }

    private static PeakFigures MeasurePeak(Settings s, TextWriter output, string when)
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
                $"peak {when}, {threads} thread(s): FMA loop {fma[threads]:F1} GFLOP/s, Gemm NN {n}^3 float {gemm[threads]:F1} GFLOP/s ({gemm[threads] / fma[threads]:P0} of FMA)"));
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
        // The rule family at the batch and threads the issue compares them at (AR variants against ar-topdown, FA and DFA against bp).
        if (!quick)
        {
            yield return new BenchCase(graph, "ar-learned-psi", 100, 0.1, 64, 2, "generated", GeneratedCases.Macs(mlp, "ar", 100), GeneratedCases.PaperMlpSetup);
            yield return new BenchCase(graph, "ar-random-psi", 100, 0.1, 64, 2, "generated", GeneratedCases.Macs(mlp, "ar", 100), GeneratedCases.PaperMlpSetup);
            foreach (var variant in new[] { "ar-no-fprime", "ar-learned-psi-no-fprime", "ar-current-fprime", "ar-current-inputs" })
            {
                yield return new BenchCase(graph, variant, 100, 0.1, 64, 2, "generated", GeneratedCases.Macs(mlp, variant, 100), GeneratedCases.PaperMlpSetup);
            }
            yield return new BenchCase(graph, "pc", 100, 0.1, 64, 2, "generated", GeneratedCases.Macs(mlp, "pc", 100), GeneratedCases.PaperMlpSetup);
            yield return new BenchCase(graph, "pc-strict", 100, 0.1, 64, 2, "generated", GeneratedCases.Macs(mlp, "pc-strict", 100), GeneratedCases.PaperMlpSetup);
            yield return new BenchCase(graph, "fa", 0, 0, 64, 2, "generated", GeneratedCases.Macs(mlp, "fa", 0), GeneratedCases.PaperMlpSetup);
            yield return new BenchCase(graph, "dfa", 0, 0, 64, 2, "generated", GeneratedCases.Macs(mlp, "dfa", 0), GeneratedCases.PaperMlpSetup);
        }
        // The follow-up's CNN (the AR rules top-down, as its code relaxes), at the batches and threads the issue names.
        var cnn = PaperCnn.Graph;
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int batch in quick ? new[] { 64 } : new[] { 1, 64, 256 })
            {
                yield return new BenchCase("cnn-paper-28", "bp", 0, 0, batch, threads, "generated", GeneratedCases.Macs(cnn, "bp", 0), GeneratedCases.PaperCnnSetup);
                yield return new BenchCase("cnn-paper-28", "ar-topdown", 100, 0.1, batch, threads, "generated", GeneratedCases.Macs(cnn, "ar", 100), GeneratedCases.PaperCnnSetup);
            }
        }
        // GAIT-prop's square network (five 784-wide layers, batch 60 as the authors): backprop, GAIT-prop, GAIT-prop with the
        // authors' orthogonality penalty (lambda 0.1), and the step's four LU factorisations alone, in float64 and float32.
        var square = GaitSquare.Graph;
        foreach (bool float64 in new[] { true, false })
        {
            foreach (int threads in quick ? new[] { 2 } : new[] { 1, 2 })
            {
                string path = float64 ? "f64" : "generated";
                foreach (var rule in new[] { "bp", "gait", "gait-ortho" })
                {
                    yield return new BenchCase("gait-square", rule, 0, 0, 60, threads, path, GeneratedCases.GaitMacs(square, rule, 60), GeneratedCases.GaitSquareSetup, float64);
                }
                if (float64) yield return new BenchCase("gait-square", "lu", 0, 0, 60, threads, path, GeneratedCases.GaitMacs(square, "lu", 60), GeneratedCases.GaitSquareSetup, float64);
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

    // The JIT must have compiled nothing for this long before a case's timing starts (tier-1 promotion waits 100 ms after
    // the last tier-0 activity), but warm-up never takes longer than MaxWarmSeconds.
    private const int JitQuietMilliseconds = 300;
    private const double MaxWarmSeconds = 10;

    /// <summary>
    /// The kernel settings <c>--ab</c> can switch: each flips one process-wide setting (true: switched, false: back to
    /// the default), read at every kernel call, so a run can alternate them between repetitions.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Action<bool>> AbSettings = new SortedDictionary<string, Action<bool>>(StringComparer.Ordinal)
    {
        ["packed-a"] = on => Gemm.DirectA = !on,
        ["tile-edges"] = on => Gemm.MaskedEdges = !on,
        ["no-shared-packs"] = on => Gemm.SharePackedB = !on,
        ["wide-edges"] = on => Gemm.NarrowEdgePanels = !on,
        ["no-blocked"] = on => Gemm.BlockedKernels = !on,
    };

    /// <summary>Times <paramref name="c"/>: warm-up, then repetitions of a calibrated number of steps; medians (see <see cref="Time(BenchCase, IReadOnlyDictionary{int, double}, bool, Action{bool}?, out CaseResult?)"/>).</summary>
    public static CaseResult Time(BenchCase c, IReadOnlyDictionary<int, double> peak, bool quick) => Time(c, peak, quick, null, out _);

    /// <summary>
    /// Times one case: warm-up, calibration, then repetitions whose median gives the row. With <paramref name="alternate"/>,
    /// every repetition is followed by one with the setting switched (alternate(true), restored after), whose median
    /// gives <paramref name="switched"/>.
    /// </summary>
    public static CaseResult Time(BenchCase c, IReadOnlyDictionary<int, double> peak, bool quick, Action<bool>? alternate, out CaseResult? switched)
    {
        switched = null;
        var run = c.Setup(c);
        try
        {
            double warm = quick ? 0.4 : 1.0, rep = quick ? 0.08 : 0.3;
            int reps = quick ? 3 : 7;
            // Warm-up (tiered JIT, caches, pool spin-up), until the JIT has compiled nothing new for a while: the first case
            // of a graph otherwise times tier-0 code of its generated methods (seen: backprop on the CNN 5x slower than
            // the same step a case later). Then calibrate the steps per repetition on warm code.
            var clock = Stopwatch.StartNew();
            int warmSteps = 0;
            long methods = System.Runtime.JitInfo.GetCompiledMethodCount(), lastChange = 0;
            while (warmSteps < 2 || clock.Elapsed.TotalSeconds < warm || (clock.ElapsedMilliseconds - lastChange < JitQuietMilliseconds && clock.Elapsed.TotalSeconds < MaxWarmSeconds))
            {
                alternate?.Invoke(warmSteps % 2 == 1);
                run.Step();
                alternate?.Invoke(false);
                warmSteps++;
                long now = System.Runtime.JitInfo.GetCompiledMethodCount();
                if (now != methods)
                {
                    methods = now;
                    lastChange = clock.ElapsedMilliseconds;
                }
            }
            clock.Restart();
            int calibrationSteps = 0;
            while (calibrationSteps < 2 || clock.Elapsed.TotalSeconds < rep)
            {
                run.Step();
                calibrationSteps++;
            }
            double perStep = clock.Elapsed.TotalSeconds / calibrationSteps;
            int stepsPerRep = Math.Max(1, (int)(rep / perStep));
            var times = new double[reps];
            var switchedTimes = new double[reps];
            long allocated = GC.GetTotalAllocatedBytes(true);
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < stepsPerRep; i++) run.Step();
                times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / stepsPerRep;
                if (alternate is null) continue;
                alternate(true);
                try
                {
                    t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < stepsPerRep; i++) run.Step();
                    switchedTimes[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / stepsPerRep;
                }
                finally
                {
                    alternate(false);
                }
            }
            double alloc = (GC.GetTotalAllocatedBytes(true) - allocated) / (double)(reps * stepsPerRep * (alternate is null ? 1 : 2));
            if (alternate is not null) switched = Result(c, peak, switchedTimes, alloc, run);
            return Result(c, peak, times, alloc, run);
        }
        finally
        {
            run.Owner?.Dispose();
        }
    }

    // A case's row from its repetitions' seconds per step.
    private static CaseResult Result(BenchCase c, IReadOnlyDictionary<int, double> peak, double[] times, double alloc, CaseRun run)
    {
        times = (double[])times.Clone();
        Array.Sort(times);
        double median = times[times.Length / 2];
        double samples = c.Batch / median;
        double gflops = 2 * c.MacsPerSample * samples / 1e9;
        // The peak is the float FMA loop's; a float64 case runs half as many lanes per instruction.
        double fraction = peak.TryGetValue(c.Threads, out var p) ? gflops / (c.Float64 ? p / 2 : p) : double.NaN;
        return new CaseResult(c, median, samples, gflops, fraction, alloc, run.MeanIterations?.Invoke() ?? 0, (times[^1] - times[0]) / median, c.Batch / times[0]);
    }

    private static string Label(BenchCase c) => $"{ShortGraph(c.Graph)} {c.Path} {c.Rule} b{c.Batch} t{c.Threads}";

    private static string ShortGraph(string graph) => graph.StartsWith("mlp", StringComparison.Ordinal) ? "mlp" : graph.StartsWith("gated", StringComparison.Ordinal) ? "gated" : graph.StartsWith("cnn", StringComparison.Ordinal) ? "cnn" : graph.StartsWith("gait", StringComparison.Ordinal) ? "gait" : graph;

    private static string Header() =>
        $"{"graph",-6} {"path",-10} {"rule",-13} {"T",4} {"eta",4} {"batch",5} {"thr",3} {"samples/s",11} {"ms/step",9} {"GFLOP/s",8} {"of peak",7} {"alloc B/step",12} {"iters",5} {"spread",6} {"best/s",11} {"best of peak",12}";

    private static string Row(CaseResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{ShortGraph(r.Case.Graph),-6} {r.Case.Path,-10} {r.Case.Rule,-13} {r.Case.Steps,4} {r.Case.Eta,4:0.##} {r.Case.Batch,5} {r.Case.Threads,3} {r.SamplesPerSecond,11:N0} {r.SecondsPerStep * 1e3,9:F3} {r.Gflops,8:F1} {r.FractionOfPeak,7:P1} {r.AllocBytesPerStep,12:N0} {r.MeanIterations,5:0} {r.Spread,6:P0} {r.BestSamplesPerSecond,11:N0} {r.FractionOfPeak * r.BestSamplesPerSecond / r.SamplesPerSecond,12:P1}");

    private static string ToJson(PeakFigures peak, PeakFigures before, PeakFigures after, List<CaseResult> results, IReadOnlyList<EpochResult> epochs, Settings s)
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
            foreach (var (name, figures) in new[] { ("peak_gflops_before", before), ("peak_gflops_after", after) })
            {
                w.WriteStartObject(name);
                foreach (var (t, v) in figures.Fma) w.WriteNumber(t.ToString(CultureInfo.InvariantCulture), Math.Round(v, 2));
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteBoolean("quick", s.Quick);
            w.WriteBoolean("fast_kernels", Gemm.FastKernels);
            w.WriteBoolean("pack_panels", Gemm.PackPanels);
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
            w.WriteStartArray("epochs");
            foreach (var e in epochs)
            {
                w.WriteStartObject();
                w.WriteString("rule", e.Rule);
                w.WriteNumber("threads", e.Threads);
                w.WriteNumber("load_s", Math.Round(e.LoadSeconds, 3));
                w.WriteNumber("train_s", Math.Round(e.TrainSeconds, 3));
                w.WriteNumber("evaluation_s", Math.Round(e.EvaluationSeconds, 3));
                w.WriteNumber("total_s", Math.Round(e.TotalSeconds, 3));
                w.WriteNumber("train_samples_per_s", Math.Round(e.TrainSamplesPerSecond, 1));
                w.WriteNumber("test_accuracy", Math.Round(e.TestAccuracy, 4));
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
}
