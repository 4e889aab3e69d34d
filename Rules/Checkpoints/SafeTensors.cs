using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Symbolic.Rules.Checkpoints;

/// <summary>One tensor of a safetensors file: its name, dtype (<c>F32</c>, <c>F64</c>, …), shape and little-endian bytes.</summary>
/// <param name="Name">The tensor's name (a key of the header).</param>
/// <param name="DType">The element type as the format spells it.</param>
/// <param name="Shape">The dimensions; empty for a scalar.</param>
/// <param name="Data">The raw little-endian bytes: the product of the shape times the dtype's size.</param>
public sealed record SafeTensor(string Name, string DType, ImmutableArray<int> Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>The shape as the format's JSON prints it, e.g. <c>[300, 784]</c>.</summary>
    public string ShapeText => SafeTensors.ShowShape(Shape);
}

/// <summary>The decoded content of a safetensors file: its tensors sorted by name and its <c>__metadata__</c> map. Immutable.</summary>
/// <param name="Tensors">The tensors, sorted by name (ordinal).</param>
/// <param name="Metadata">The string-to-string metadata (empty when the header has none).</param>
public sealed record SafeTensorsContent(ImmutableArray<SafeTensor> Tensors, ImmutableSortedDictionary<string, string> Metadata)
{
    /// <summary>The tensor named <paramref name="name"/>, or null when there is none.</summary>
    public SafeTensor? Find(string name)
    {
        foreach (var t in Tensors)
        {
            if (t.Name == name) return t;
        }
        return null;
    }
}

/// <summary>
/// A pure encoder and decoder of the safetensors format: an 8-byte little-endian unsigned header length N, N bytes of
/// UTF-8 JSON (tensor name to <c>{"dtype", "shape", "data_offsets"}</c>, plus an optional <c>"__metadata__"</c> object
/// of strings), then the tensors' bytes, contiguous and in order. Writing is deterministic (names and metadata keys
/// sorted ordinally, compact JSON, header padded with spaces to 8 bytes), so identical content gives identical bytes.
/// Reading checks every rule of the format and throws an <see cref="InvalidDataException"/> naming the file and the fault.
/// No file I/O happens here.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted on read (100 MB); a longer one is taken as corruption.</summary>
    public const long MaxHeaderLength = 100L * 1024 * 1024;

    /// <summary>The reserved header key of the metadata object.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly ImmutableDictionary<string, int> Sizes = new Dictionary<string, int>
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
        ["U16"] = 2, ["I16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["U32"] = 4, ["I32"] = 4, ["F32"] = 4,
        ["U64"] = 8, ["I64"] = 8, ["F64"] = 8,
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>, or -1 when the format does not know it.</summary>
    public static int DTypeSize(string dtype) => dtype is not null && Sizes.TryGetValue(dtype, out int n) ? n : -1;

    /// <summary>
    /// Writes the tensors and metadata to <paramref name="stream"/> (the stream is not closed).
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty, duplicated or reserved, a dtype unknown, a dimension negative, or a tensor's data length differs from its shape.</exception>
    public static void Write(Stream stream, IReadOnlyList<(string Name, string DType, int[] Shape, ReadOnlyMemory<byte> Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = ToBytes(tensors, metadata);
        stream.Write(bytes, 0, bytes.Length);
    }

    /// <summary>The bytes <see cref="Write"/> writes.</summary>
    /// <exception cref="ArgumentException">As <see cref="Write"/>.</exception>
    public static byte[] ToBytes(IReadOnlyList<(string Name, string DType, int[] Shape, ReadOnlyMemory<byte> Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        for (int i = 0; i < sorted.Length; i++)
        {
            var (name, dtype, shape, data) = sorted[i];
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A tensor has no name.", nameof(tensors));
            if (name == MetadataKey) throw new ArgumentException("'" + MetadataKey + "' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (i > 0 && sorted[i - 1].Name == name) throw new ArgumentException("Two tensors are named '" + name + "'.", nameof(tensors));
            int size = DTypeSize(dtype);
            if (size < 0) throw new ArgumentException("Tensor '" + name + "' has dtype '" + dtype + "', which safetensors does not define.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(shape);
            if (shape.Any(d => d < 0)) throw new ArgumentException("Tensor '" + name + "' has shape " + ShowShape(shape) + " with a negative dimension.", nameof(tensors));
            long expected = shape.Aggregate(1L, (a, d) => checked(a * d)) * size;
            if (data.Length != expected)
            {
                throw new ArgumentException("Tensor '" + name + "' of dtype " + dtype + " and shape " + ShowShape(shape) + " needs " + expected + " bytes but has " + data.Length + ".", nameof(tensors));
            }
        }

        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (value is null) throw new ArgumentException("Metadata '" + key + "' has no value.", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, data) in sorted)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += data.Length;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        long total = 8 + header.Length + sorted.Sum(t => (long)t.Data.Length);
        var result = new byte[checked((int)total)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)header.Length);
        header.GetBuffer().AsSpan(0, (int)header.Length).CopyTo(result.AsSpan(8));
        int at = 8 + (int)header.Length;
        foreach (var t in sorted)
        {
            t.Data.Span.CopyTo(result.AsSpan(at));
            at += t.Data.Length;
        }
        return result;
    }

    /// <summary>Reads a whole safetensors file from <paramref name="stream"/>, validating it (see <see cref="Read(ReadOnlySpan{byte}, string)"/>).</summary>
    /// <param name="stream">The file's bytes, read to the end.</param>
    /// <param name="displayName">The name errors give the file (its path, usually).</param>
    /// <exception cref="InvalidDataException">The bytes break a rule of the format; the message names the file and the rule.</exception>
    public static SafeTensorsContent Read(Stream stream, string displayName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.GetBuffer().AsSpan(0, (int)copy.Length), displayName);
    }

    /// <summary>
    /// Decodes and validates a safetensors file: the header length fits the file and is at most
    /// <see cref="MaxHeaderLength"/>; the header is a UTF-8 JSON object; every tensor entry has a string dtype the format
    /// defines, a shape of non-negative integers and two non-negative data offsets whose span is the shape's product times
    /// the dtype's size; names are unique; the offsets tile the byte buffer from 0 to its end with no gap, overlap or
    /// trailing byte; <c>__metadata__</c>, if present, maps strings to strings. The tensors' data are copies.
    /// </summary>
    /// <exception cref="InvalidDataException">A rule is broken; the message names the file (<paramref name="displayName"/>) and the fault.</exception>
    public static SafeTensorsContent Read(ReadOnlySpan<byte> bytes, string displayName)
    {
        string file = displayName ?? "<unnamed>";
        InvalidDataException Fail(string problem) => new("safetensors '" + file + "': " + problem);

        if (bytes.Length < 8) throw Fail("the file is " + bytes.Length + " bytes long, shorter than the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)MaxHeaderLength) throw Fail("the header length is " + n + " bytes, more than the " + MaxHeaderLength + " accepted (a corrupt or foreign file).");
        if (n > (ulong)(bytes.Length - 8)) throw Fail("the header length is " + n + " bytes, beyond the end of the file (" + (bytes.Length - 8) + " bytes follow the length).");
        if (n == 0) throw Fail("the header is empty; it must be a JSON object.");
        var headerBytes = bytes.Slice(8, (int)n);
        if (headerBytes[0] != (byte)'{') throw Fail("the header does not start with '{'; it must be a JSON object.");
        var buffer = bytes.Slice(8 + (int)n);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Fail("the header is not valid JSON: " + e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail("the header is a JSON " + root.ValueKind + ", not an object.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            var entries = new List<(string Name, string DType, int[] Shape, long Begin, long End)>();
            foreach (var property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!names.Add(name)) throw Fail("the header names '" + name + "' twice.");
                var value = property.Value;
                if (name == MetadataKey)
                {
                    if (value.ValueKind != JsonValueKind.Object) throw Fail("'" + MetadataKey + "' is a JSON " + value.ValueKind + ", not an object of strings.");
                    foreach (var m in value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Fail("metadata '" + m.Name + "' is a JSON " + m.Value.ValueKind + ", not a string.");
                        if (metadata.ContainsKey(m.Name)) throw Fail("the metadata names '" + m.Name + "' twice.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ReadEntry(name, value, Fail));
            }

            foreach (var (name, dtype, shape, begin, end) in entries)
            {
                long elements = 1;
                foreach (int d in shape)
                {
                    elements = elements > long.MaxValue / Math.Max(d, 1) ? -1 : elements * d;
                    if (elements < 0) throw Fail("tensor '" + name + "' has shape " + ShowShape(shape) + ", too large.");
                }
                int size = DTypeSize(dtype);
                if (elements > long.MaxValue / size || elements * size != end - begin)
                {
                    throw Fail("tensor '" + name + "' of dtype " + dtype + " and shape " + ShowShape(shape) + " needs " + (elements <= long.MaxValue / size ? (elements * size).ToString(CultureInfo.InvariantCulture) : "too many") + " bytes, but its data_offsets [" + begin + ", " + end + "] span " + (end - begin) + ".");
                }
                if (end > buffer.Length) throw Fail("tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] beyond the " + buffer.Length + "-byte buffer after the header.");
            }

            var byOffset = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToArray();
            long expectedBegin = 0;
            string? previous = null;
            foreach (var e in byOffset)
            {
                if (e.Begin < expectedBegin) throw Fail("tensor '" + e.Name + "' has data_offsets [" + e.Begin + ", " + e.End + "] overlapping tensor '" + previous + "', which ends at " + expectedBegin + ".");
                if (e.Begin > expectedBegin)
                {
                    throw Fail(previous is null
                        ? "the data does not start at offset 0: the first tensor, '" + e.Name + "', begins at " + e.Begin + "."
                        : "there is a gap of " + (e.Begin - expectedBegin) + " bytes between tensor '" + previous + "' (ending at " + expectedBegin + ") and tensor '" + e.Name + "' (beginning at " + e.Begin + ").");
                }
                expectedBegin = e.End;
                previous = e.Name;
            }
            if (expectedBegin != buffer.Length)
            {
                throw Fail("the tensors cover " + expectedBegin + " bytes of the buffer after the header but it holds " + buffer.Length + ": " + (buffer.Length - expectedBegin) + " trailing byte(s).");
            }

            var tensors = ImmutableArray.CreateBuilder<SafeTensor>(entries.Count);
            foreach (var e in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                tensors.Add(new SafeTensor(e.Name, e.DType, e.Shape.ToImmutableArray(), buffer.Slice((int)e.Begin, (int)(e.End - e.Begin)).ToArray()));
            }
            return new SafeTensorsContent(tensors.MoveToImmutable(), metadata.ToImmutable());
        }
    }

    private static (string Name, string DType, int[] Shape, long Begin, long End) ReadEntry(string name, JsonElement value, Func<string, InvalidDataException> fail)
    {
        if (value.ValueKind != JsonValueKind.Object) throw fail("tensor '" + name + "' is a JSON " + value.ValueKind + ", not an object with dtype, shape and data_offsets.");
        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in value.EnumerateObject())
        {
            if (!seen.Add(field.Name)) throw fail("tensor '" + name + "' has field '" + field.Name + "' twice.");
            switch (field.Name)
            {
                case "dtype":
                    if (field.Value.ValueKind != JsonValueKind.String) throw fail("tensor '" + name + "' has a dtype that is a JSON " + field.Value.ValueKind + ", not a string.");
                    dtype = field.Value.GetString()!;
                    if (DTypeSize(dtype) < 0) throw fail("tensor '" + name + "' has dtype '" + dtype + "', which safetensors does not define (known: " + string.Join(", ", Sizes.Keys.OrderBy(k => k, StringComparer.Ordinal)) + ").");
                    break;
                case "shape":
                    shape = ReadIntegers(name, "shape", field.Value, int.MaxValue, fail).Select(d => (int)d).ToArray();
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(name, "data_offsets", field.Value, long.MaxValue, fail);
                    if (offsets.Length != 2) throw fail("tensor '" + name + "' has " + offsets.Length + " data_offsets; it needs two, [begin, end].");
                    if (offsets[1] < offsets[0]) throw fail("tensor '" + name + "' has data_offsets [" + offsets[0] + ", " + offsets[1] + "] that end before they begin.");
                    break;
                default:
                    throw fail("tensor '" + name + "' has an unknown field '" + field.Name + "' (expected dtype, shape, data_offsets).");
            }
        }
        if (dtype is null) throw fail("tensor '" + name + "' has no dtype.");
        if (shape is null) throw fail("tensor '" + name + "' has no shape.");
        if (offsets is null) throw fail("tensor '" + name + "' has no data_offsets.");
        return (name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(string name, string field, JsonElement value, long max, Func<string, InvalidDataException> fail)
    {
        if (value.ValueKind != JsonValueKind.Array) throw fail("tensor '" + name + "' has a " + field + " that is a JSON " + value.ValueKind + ", not an array of integers.");
        var result = new List<long>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0 || v > max)
            {
                throw fail("tensor '" + name + "' has " + field + " " + value.GetRawText() + ": every entry must be an integer from 0 to " + max + ".");
            }
            result.Add(v);
        }
        return result.ToArray();
    }

    /// <summary>A shape as <c>[a, b]</c>.</summary>
    internal static string ShowShape(IEnumerable<int> shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
