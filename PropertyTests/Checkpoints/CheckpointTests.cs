using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Checkpoints;
using Symbolic.Rules.Compiled;
using Xunit;

namespace Symbolic.PropertyTests.Checkpoints;

/// <summary>Checkpoints of PaperMlp: bit-exact round trips, determinism, validation against the graph, atomic saves, finite values.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "symbolic-ckpt-" + Guid.NewGuid().ToString("N"));

    public CheckpointTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly Dictionary<string, string> Config = new() { ["rule"] = "backprop", ["optimiser"] = "Adam(1e-3)", ["seed"] = "1" };

    private static OptimiserBuffers<T> Moments<T>(Optimiser optimiser, GraphLayout layout, int seed, int steps) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var buffers = optimiser.CreateBuffers<T>(layout.ParameterSizes);
        var random = new Random(seed);
        for (int m = 0; m < buffers.MomentCount; m++)
        {
            for (int k = 0; k < buffers.ParameterCount; k++)
            {
                var span = buffers.Moment(m, k);
                for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked(random.NextDouble() - 0.5) * T.CreateChecked(1e-3);
                if (span.Length > 2) { span[0] = T.NegativeZero; span[1] = T.Epsilon; }
            }
        }
        for (int s = 0; s < steps; s++) optimiser.BeginStep(buffers);
        return buffers;
    }

    private static bool SameBits<T>(T[] a, T[] b) where T : unmanaged => MemoryMarshal.AsBytes(a.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.AsSpan()));

    private static bool SameBits<T>(Span<T> a, Span<T> b) where T : unmanaged => MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));

    private void RoundTrip<T>(ParameterArrays<T> parameters, Optimiser optimiser) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var layout = parameters.Layout;
        var buffers = Moments<T>(optimiser, layout, seed: 3, steps: 7);
        var rule = new[] { ("feedback", new[] { 2, 3 }, new[] { T.One, T.NegativeOne, T.Zero, T.Epsilon, T.NegativeZero, T.CreateChecked(0.1) }) };
        var saved = Checkpoint.Capture(parameters, buffers, step: 1234, epoch: 5, Config, rule);
        string path = Path.Combine(folder, "ckpt.safetensors");
        saved.Save(path);

        var loaded = Checkpoint.Load(path, layout);
        Assert.Equal("PaperMlp", loaded.GraphName);
        Assert.Equal((1234L, 5L, 7L), (loaded.Step, loaded.Epoch, loaded.OptimiserStepCount));
        Assert.Equal(Config.OrderBy(kv => kv.Key), loaded.Configuration);
        var into = new ParameterArrays<T>(layout);
        var moments = optimiser.CreateBuffers<T>(layout.ParameterSizes);
        loaded.Restore(into, moments);
        for (int k = 0; k < layout.ParameterSizes.Length; k++) Assert.True(SameBits(parameters.Arrays[k], into.Arrays[k]), "parameter " + k);
        Assert.Equal(buffers.StepCount, moments.StepCount);
        for (int m = 0; m < buffers.MomentCount; m++)
        {
            for (int k = 0; k < buffers.ParameterCount; k++) Assert.True(SameBits(buffers.Moment(m, k), moments.Moment(m, k)), "moment " + m + " of " + k);
        }
        Assert.True(SameBits(rule[0].Item3, loaded.RuleStateValues<T>("feedback")!));
        var fresh = loaded.CreateBuffers<T>(optimiser, layout);
        Assert.True(SameBits(buffers.Moment(0, 0), fresh.Moment(0, 0)));
        Assert.Equal(saved.ToBytes(), loaded.ToBytes());
    }

    [Fact]
    public void Float_round_trip_with_Adam_is_bit_exact() =>
        RoundTrip(PaperMlp.Float32.Parameters.Initialise(1), new Adam(1e-3));

    [Fact]
    public void Double_round_trip_with_momentum_is_bit_exact() =>
        RoundTrip(PaperMlp.Float64.Parameters.Initialise(2), new Momentum(0.1, 0.9));

    [Fact]
    public void Sgd_checkpoint_has_no_moments_and_restores_parameters()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(4);
        var loaded = Checkpoint.FromBytes(Checkpoint.Capture(p, null, 0, 0).ToBytes(), "mem", PaperMlp.Float32.Layout);
        Assert.Equal(0, loaded.MomentCount);
        var into = new ParameterArrays<float>(PaperMlp.Float32.Layout);
        loaded.Restore(into, new Sgd(0.1).CreateBuffers<float>(PaperMlp.Float32.Layout.ParameterSizes));
        Assert.True(SameBits(p.W1, into.Arrays[0]));
    }

    [Fact]
    public void Identical_content_gives_identical_files()
    {
        var layout = PaperMlp.Float32.Layout;
        var reversed = Config.Reverse().ToDictionary(kv => kv.Key, kv => kv.Value);
        var a = Checkpoint.Capture(PaperMlp.Float32.Parameters.Initialise(1), Moments<float>(new Adam(1e-3), layout, 9, 2), 10, 1, Config);
        var b = Checkpoint.Capture(PaperMlp.Float32.Parameters.Initialise(1), Moments<float>(new Adam(1e-3), layout, 9, 2), 10, 1, reversed);
        string pa = Path.Combine(folder, "a.safetensors"), pb = Path.Combine(folder, "b.safetensors");
        a.Save(pa);
        b.Save(pb);
        Assert.Equal(File.ReadAllBytes(pa), File.ReadAllBytes(pb));
    }

    [Fact]
    public void The_file_is_plain_safetensors_with_parameters_under_their_names()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        var bytes = Checkpoint.Capture(p, Moments<float>(new Momentum(0.1, 0.9), PaperMlp.Float32.Layout, 1, 1), 3, 0, Config).ToBytes();
        var content = SafeTensors.Read(bytes, "mem");
        var w1 = content.Find("w1")!;
        Assert.Equal("F32", w1.DType);
        Assert.Equal(new[] { 300, 784 }, w1.Shape.ToArray());
        Assert.Equal(new[] { 300 }, content.Find("b1")!.Shape.ToArray());
        Assert.Equal(p.W1[12345], System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(w1.Data.Span.Slice(12345 * 4)));
        Assert.NotNull(content.Find("optimiser/m0/w4"));
        Assert.Equal("PaperMlp", content.Metadata["graph"]);
        Assert.Equal("backprop", content.Metadata["config.rule"]);
        Assert.Equal("3", content.Metadata["step"]);
    }

    private static byte[] Rewrite(byte[] checkpoint, Func<SafeTensor, SafeTensor?> map, Action<Dictionary<string, string>>? meta = null)
    {
        var content = SafeTensors.Read(checkpoint, "mem");
        var metadata = content.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        meta?.Invoke(metadata);
        var tensors = content.Tensors.Select(map).Where(t => t is not null).Select(t => (t!.Name, t.DType, t.Shape.ToArray(), t.Data)).ToList();
        return SafeTensors.ToBytes(tensors, metadata);
    }

    private static byte[] Good() => Checkpoint.Capture(PaperMlp.Float32.Parameters.Initialise(1), Moments<float>(new Adam(1e-3), PaperMlp.Float32.Layout, 1, 1), 1, 0, Config).ToBytes();

    private static void Refused(byte[] bytes, params string[] fragments)
    {
        const string name = "run/ckpt.safetensors";
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.FromBytes(bytes, name, PaperMlp.Float32.Layout));
        Assert.StartsWith("checkpoint '" + name + "': ", e.Message);
        foreach (var f in fragments) Assert.True(e.Message.Contains(f, StringComparison.Ordinal), "'" + e.Message + "' lacks '" + f + "'");
    }

    [Fact]
    public void Wrong_shape_is_named_against_the_graph() =>
        Refused(Rewrite(Good(), t => t.Name == "w1" ? t with { Shape = [300, 700], Data = new byte[300 * 700 * 4] } : t),
            "tensor 'w1' has shape [300, 700] but graph 'PaperMlp' declares [300, 784]");

    [Fact]
    public void Wrong_moment_shape_is_named() =>
        Refused(Rewrite(Good(), t => t.Name == "optimiser/m1/b2" ? t with { Shape = [30, 10] } : t), "tensor 'optimiser/m1/b2' has shape [30, 10]", "[300]");

    [Fact]
    public void Wrong_dtype_is_named()
    {
        Refused(Rewrite(Good(), t => t.Name == "b3" ? t with { DType = "F64", Data = new byte[100 * 8] } : t), "tensor 'b3' has dtype F64 but the checkpoint's dtype is F32");
        Refused(Rewrite(Good(), t => t, m => m["dtype"] = "F16"), "metadata 'dtype' is 'F16'");
    }

    [Fact]
    public void Wrong_tensor_dtype_with_right_shape_is_named()
    {
        var bytes = Rewrite(Good(), t => t.Name == "b3" ? t with { DType = "I32" } : t);
        Refused(bytes, "tensor 'b3' has dtype I32 but the checkpoint's dtype is F32");
    }

    [Fact]
    public void Wrong_graph_is_named()
    {
        Refused(Rewrite(Good(), t => t, m => m["graph"] = "GatedResidual"), "graph 'GatedResidual'", "graph 'PaperMlp' was expected");
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.FromBytes(Good(), "x.safetensors", GatedResidual.Float32.Layout));
        Assert.Contains("'x.safetensors'", e.Message);
        Assert.Contains("PaperMlp", e.Message);
        Assert.Contains("GatedResidual", e.Message);
    }

    [Fact]
    public void Missing_and_unexpected_tensors_are_named()
    {
        Refused(Rewrite(Good(), t => t.Name == "b4" ? null : t), "no tensor 'b4'");
        Refused(Rewrite(Good(), t => t.Name == "b4" ? t with { Name = "b5" } : t), "no tensor 'b4'");
        Refused(Rewrite(Good(), t => t, m => m["optimiser.moments"] = "1"), "tensor 'optimiser/m1/b1' is neither a parameter");
        Refused(Rewrite(Good(), t => t, m => m.Remove("format")), "no 'format'");
        Refused(Rewrite(Good(), t => t, m => m["step"] = "-3"), "metadata 'step' is '-3'");
    }

    [Fact]
    public void Restoring_into_the_wrong_type_or_optimiser_is_refused()
    {
        var loaded = Checkpoint.FromBytes(Good(), "mem", PaperMlp.Float32.Layout);
        var e = Assert.Throws<ArgumentException>(() => loaded.Restore(new ParameterArrays<double>(PaperMlp.Float64.Layout)));
        Assert.Contains("F32", e.Message);
        var m = Assert.Throws<ArgumentException>(() => loaded.Restore(new ParameterArrays<float>(PaperMlp.Float32.Layout), new Momentum(0.1, 0.9).CreateBuffers<float>(PaperMlp.Float32.Layout.ParameterSizes)));
        Assert.Contains("2 optimiser moment(s)", m.Message);
        Assert.Throws<ArgumentException>(() => loaded.Restore(new ParameterArrays<float>(GatedResidual.Float32.Layout)));
    }

    [Fact]
    public void Corrupt_safetensors_is_refused_naming_the_file()
    {
        string path = Path.Combine(folder, "broken.safetensors");
        var bytes = Good();
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 1).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, PaperMlp.Float32.Layout));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Non_finite_values_are_refused_on_save_and_on_load()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        p.Arrays[3][7] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Capture(p, null, 0, 0));
        Assert.Contains("'b2'", e.Message);

        var q = PaperMlp.Float64.Parameters.Initialise(1);
        var buffers = Moments<double>(new Adam(1e-3), PaperMlp.Float64.Layout, 1, 1);
        buffers.Moment(1, 0)[5] = double.PositiveInfinity;
        Assert.Contains("'optimiser/m1/w1'", Assert.Throws<ArgumentException>(() => Checkpoint.Capture(q, buffers, 0, 0)).Message);

        var poisoned = Rewrite(Good(), t =>
        {
            if (t.Name != "b2") return t;
            var data = t.Data.ToArray();
            BitConverter.GetBytes(float.NegativeInfinity).CopyTo(data, 8);
            return t with { Data = data };
        });
        Refused(poisoned, "tensor 'b2' holds a NaN or infinity (element 2)");
    }

    [Fact]
    public void Atomic_save_keeps_the_old_file_when_writing_throws_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(folder, "ckpt.safetensors");
        var old = Checkpoint.Capture(PaperMlp.Float32.Parameters.Initialise(1), null, 1, 0);
        old.Save(path);
        var before = File.ReadAllBytes(path);

        var e = Assert.Throws<IOException>(() => CheckpointFile.WriteAtomic(path, s => { s.Write(new byte[1000]); throw new IOException("disk full"); }));
        Assert.Equal("disk full", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(folder));

        var p = PaperMlp.Float32.Parameters.Initialise(1);
        p.W2[0] = float.NaN;
        Assert.Throws<ArgumentException>(() => Checkpoint.Capture(p, null, 2, 0).Save(path));
        Assert.Equal(before, File.ReadAllBytes(path));

        Checkpoint.Capture(PaperMlp.Float32.Parameters.Initialise(2), null, 2, 0).Save(path);
        Assert.NotEqual(before, File.ReadAllBytes(path));
        Assert.Equal(2, Checkpoint.Load(path, PaperMlp.Float32.Layout).Step);
        Assert.Equal(new[] { path }, Directory.GetFiles(folder));
    }
}
