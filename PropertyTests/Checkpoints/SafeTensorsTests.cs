using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Symbolic.Rules.Checkpoints;
using Xunit;

namespace Symbolic.PropertyTests.Checkpoints;

/// <summary>The safetensors encoder and decoder: the layout the spec fixes, determinism, and every corruption refused naming the file.</summary>
public class SafeTensorsTests
{
    private const string FileName = "bad/ckpt.safetensors";

    private static byte[] Raw(string header, int dataBytes, ulong? length = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    private static (string, string, int[], ReadOnlyMemory<byte>) T(string name, string dtype, int[] shape, int seed)
    {
        int n = shape.Aggregate(1, (a, b) => a * b) * SafeTensors.DTypeSize(dtype);
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return (name, dtype, shape, data);
    }

    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_bytes_and_metadata()
    {
        var tensors = new[] { T("zeta", "F32", new[] { 3, 2 }, 1), T("alpha", "F64", new[] { 5 }, 2), T("empty", "I32", new[] { 0, 4 }, 3), T("scalar", "U8", Array.Empty<int>(), 4) };
        var meta = new Dictionary<string, string> { ["b"] = "two", ["a"] = "ünïcode \"quoted\"" };
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, meta);
        stream.Position = 0;
        var read = SafeTensors.Read(stream, "mem");
        Assert.Equal(new[] { "alpha", "empty", "scalar", "zeta" }, read.Tensors.Select(t => t.Name));
        foreach (var (name, dtype, shape, data) in tensors)
        {
            var t = read.Find(name)!;
            Assert.Equal(dtype, t.DType);
            Assert.Equal(shape, t.Shape.ToArray());
            Assert.Equal(data.ToArray(), t.Data.ToArray());
        }
        Assert.Equal(meta.OrderBy(kv => kv.Key), read.Metadata);
    }

    [Fact]
    public void Identical_content_gives_identical_bytes_whatever_the_order_given()
    {
        var a = new[] { T("x", "F32", new[] { 4 }, 1), T("y", "F64", new[] { 2, 2 }, 2) };
        var metaA = new Dictionary<string, string> { ["k1"] = "v1", ["k2"] = "v2" };
        var metaB = new Dictionary<string, string> { ["k2"] = "v2", ["k1"] = "v1" };
        Assert.Equal(SafeTensors.ToBytes(a, metaA), SafeTensors.ToBytes(a.Reverse().ToArray(), metaB));
    }

    [Fact]
    public void Layout_follows_the_spec_when_decoded_by_hand()
    {
        var tensors = new[] { T("b", "F32", new[] { 3 }, 1), T("a", "F64", new[] { 2, 3 }, 2), T("c", "BF16", new[] { 7 }, 3) };
        var bytes = SafeTensors.ToBytes(tensors, new Dictionary<string, string> { ["m"] = "v" });
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + (long)n) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.EndsWith("}", header.TrimEnd(' '));
        using var doc = JsonDocument.Parse(header);
        Assert.Equal("v", doc.RootElement.GetProperty("__metadata__").GetProperty("m").GetString());
        var entries = doc.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (p.Name, DType: p.Value.GetProperty("dtype").GetString(), Offsets: p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray()))
            .OrderBy(e => e.Offsets[0]).ToArray();
        Assert.Equal(new[] { "a", "b", "c" }, entries.Select(e => e.Name));
        long at = 0;
        foreach (var e in entries)
        {
            Assert.Equal(at, e.Offsets[0]);
            at = e.Offsets[1];
            var original = tensors.Single(t => t.Item1 == e.Name).Item4.ToArray();
            Assert.Equal(original, bytes.AsSpan(8 + (int)n + (int)e.Offsets[0], (int)(e.Offsets[1] - e.Offsets[0])).ToArray());
        }
        Assert.Equal(bytes.Length - 8 - (long)n, at);
    }

    public static IEnumerable<object[]> Corruptions()
    {
        const string ok = "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        object[] Case(string label, byte[] bytes, string fragment) => new object[] { label, bytes, fragment };
        yield return Case("too short", new byte[5], "shorter than the 8-byte header length");
        yield return Case("header beyond the file", Raw("{" + ok + "}", 8, length: 1000), "beyond the end of the file");
        yield return Case("absurd header", Raw("{}", 0, length: 200UL * 1024 * 1024), "more than the");
        yield return Case("empty header", Raw("", 0), "header is empty");
        yield return Case("not an object", Raw("[1,2]   ", 0), "does not start with '{'");
        yield return Case("invalid JSON", Raw("{\"x\":{\"dtype\":", 0), "not valid JSON");
        yield return Case("trailing junk in header", Raw("{}x", 0), "not valid JSON");
        yield return Case("entry not an object", Raw("{\"x\":5}", 0), "tensor 'x' is a JSON Number");
        yield return Case("dtype not a string", Raw("{\"x\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "dtype that is a JSON Number");
        yield return Case("unknown dtype", Raw("{\"x\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "dtype 'F31'");
        yield return Case("shape not an array", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8), "shape that is a JSON Number");
        yield return Case("negative dimension", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "every entry must be an integer");
        yield return Case("fractional dimension", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8), "every entry must be an integer");
        yield return Case("one offset", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8), "needs two");
        yield return Case("offsets reversed", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "end before they begin");
        yield return Case("missing shape", Raw("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "has no shape");
        yield return Case("unknown field", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", 8), "unknown field 'extra'");
        yield return Case("shape times size is not the span", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12 bytes");
        yield return Case("offsets out of range", Raw("{" + ok + "}", 4), "beyond the 4-byte buffer");
        yield return Case("overlap", Raw("{" + ok + ",\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlapping");
        yield return Case("gap", Raw("{" + ok + ",\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16), "gap of 4 bytes");
        yield return Case("not from 0", Raw("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "does not start at offset 0");
        yield return Case("trailing bytes", Raw("{" + ok + "}", 11), "3 trailing byte(s)");
        yield return Case("duplicate names", Raw("{" + ok + "," + ok + "}", 8), "names 'x' twice");
        yield return Case("metadata not an object", Raw("{\"__metadata__\":[]," + ok + "}", 8), "not an object of strings");
        yield return Case("metadata value not a string", Raw("{\"__metadata__\":{\"a\":1}," + ok + "}", 8), "metadata 'a' is a JSON Number");
    }

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Every_corruption_is_a_clear_error_naming_the_file(string label, byte[] bytes, string fragment)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(bytes, FileName));
        Assert.Contains("'" + FileName + "'", e.Message);
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), label + ": '" + e.Message + "' lacks '" + fragment + "'");
    }

    [Fact]
    public void Padded_header_and_zero_length_tensors_are_accepted()
    {
        var bytes = Raw("{\"e\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[0,0]}," + "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}      ", 8);
        var read = SafeTensors.Read(bytes, FileName);
        Assert.Equal(2, read.Tensors.Length);
    }

    [Fact]
    public void Writing_refuses_inconsistent_tensors()
    {
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new[] { ("x", "F32", new[] { 3 }, (ReadOnlyMemory<byte>)new byte[8]) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new[] { ("x", "F99", new[] { 2 }, (ReadOnlyMemory<byte>)new byte[8]) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new[] { T("x", "F32", new[] { 2 }, 1), T("x", "F32", new[] { 2 }, 2) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new[] { T("__metadata__", "F32", new[] { 2 }, 1) }));
    }
}
