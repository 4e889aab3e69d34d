using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules.Checkpoints;

/// <summary>
/// A training checkpoint as an immutable value: the graph's name, every parameter (F32 or F64, weights [rows, cols],
/// biases [n]), the optimiser's moments and step count, a rule's own state tensors, the training step and epoch, and the
/// run's configuration. Stored as safetensors: parameters under their node names, moment m of parameter p as
/// <c>optimiser/m{m}/{p}</c>, rule state as <c>rule/{name}</c>; the scalars and the configuration (keys
/// <c>config.{key}</c>) in the metadata. Every value is finite (checked when captured and when loaded).
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The metadata value of <c>format</c> that marks a Symbolic checkpoint.</summary>
    public const string FormatName = "symbolic-checkpoint/1";

    /// <summary>The tensor name prefix of the optimiser's moments.</summary>
    public const string OptimiserPrefix = "optimiser/";

    /// <summary>The tensor name prefix of a rule's state.</summary>
    public const string RulePrefix = "rule/";

    /// <summary>The metadata key prefix of the configuration entries.</summary>
    public const string ConfigPrefix = "config.";

    private Checkpoint(string graphName, string dtype, ImmutableArray<SafeTensor> parameters, ImmutableArray<ImmutableArray<SafeTensor>> moments,
        long optimiserSteps, ImmutableArray<SafeTensor> ruleState, long step, long epoch, ImmutableSortedDictionary<string, string> configuration)
    {
        GraphName = graphName;
        DType = dtype;
        Parameters = parameters;
        Moments = moments;
        OptimiserStepCount = optimiserSteps;
        RuleState = ruleState;
        Step = step;
        Epoch = epoch;
        Configuration = configuration;
    }

    /// <summary>The name of the graph the parameters belong to.</summary>
    public string GraphName { get; }

    /// <summary>The element type of every tensor: <c>F32</c> (float) or <c>F64</c> (double).</summary>
    public string DType { get; }

    /// <summary>The parameters in the graph's parameter order, named by node.</summary>
    public ImmutableArray<SafeTensor> Parameters { get; }

    /// <summary>[moment][parameter]: the optimiser's moments (empty for SGD), each named <c>optimiser/m{moment}/{parameter}</c>.</summary>
    public ImmutableArray<ImmutableArray<SafeTensor>> Moments { get; }

    /// <summary>The number of moments per parameter the optimiser kept (0 SGD, 1 momentum, 2 Adam).</summary>
    public int MomentCount => Moments.Length;

    /// <summary>The optimiser's step count (<see cref="OptimiserBuffers{T}.StepCount"/>), which Adam's bias correction reads.</summary>
    public long OptimiserStepCount { get; }

    /// <summary>A rule's own state, each tensor named <c>rule/{name}</c>, sorted by name.</summary>
    public ImmutableArray<SafeTensor> RuleState { get; }

    /// <summary>The training step the checkpoint was taken at.</summary>
    public long Step { get; }

    /// <summary>The epoch the checkpoint was taken in.</summary>
    public long Epoch { get; }

    /// <summary>The run's configuration (stored as metadata <c>config.{key}</c>).</summary>
    public ImmutableSortedDictionary<string, string> Configuration { get; }

    // ---------------------------------------------------------------- capture and restore

    /// <summary>
    /// Copies the current state of a run into a checkpoint.
    /// </summary>
    /// <param name="parameters">The parameters (their layout names the graph).</param>
    /// <param name="optimiser">The optimiser's buffers made for these parameters, or null when there are none (SGD).</param>
    /// <param name="step">The training step, at least 0.</param>
    /// <param name="epoch">The epoch, at least 0.</param>
    /// <param name="configuration">The run's configuration, or null.</param>
    /// <param name="ruleState">A rule's own state tensors (name, shape, values), or null.</param>
    /// <exception cref="ArgumentException">A value is NaN or infinite (the message names the tensor), the buffers do not fit the parameters, a rule tensor's shape does not match its values, or step or epoch is negative.</exception>
    public static Checkpoint Capture<T>(ParameterArrays<T> parameters, OptimiserBuffers<T>? optimiser, long step, long epoch,
        IReadOnlyDictionary<string, string>? configuration = null, IReadOnlyList<(string Name, int[] Shape, T[] Values)>? ruleState = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        string dtype = DTypeOf<T>();
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be at least 0.");
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "The epoch must be at least 0.");
        var layout = parameters.Layout;
        var names = ParameterNames(layout);
        foreach (var name in names)
        {
            if (name.StartsWith(OptimiserPrefix, StringComparison.Ordinal) || name.StartsWith(RulePrefix, StringComparison.Ordinal) || name == SafeTensors.MetadataKey)
            {
                throw new ArgumentException("Graph '" + layout.Graph.Name + "' has a parameter named '" + name + "', which a checkpoint reserves.", nameof(parameters));
            }
        }
        var ps = names.Select((name, k) => Tensor(name, dtype, DeclaredShape(layout, k), parameters.Arrays[k])).ToImmutableArray();

        var moments = ImmutableArray<ImmutableArray<SafeTensor>>.Empty;
        long optimiserSteps = 0;
        if (optimiser is not null)
        {
            if (optimiser.ParameterCount != names.Length || Enumerable.Range(0, names.Length).Any(k => optimiser.Sizes[k] != layout.ParameterSizes[k]))
            {
                throw new ArgumentException("The optimiser buffers' sizes [" + string.Join(", ", optimiser.Sizes) + "] are not the parameter sizes of graph '" + layout.Graph.Name + "' [" + string.Join(", ", layout.ParameterSizes) + "].", nameof(optimiser));
            }
            moments = Enumerable.Range(0, optimiser.MomentCount)
                .Select(m => names.Select((name, k) => Tensor(MomentName(m, name), dtype, DeclaredShape(layout, k), optimiser.Moment(m, k).ToArray())).ToImmutableArray())
                .ToImmutableArray();
            optimiserSteps = optimiser.StepCount;
        }

        var rule = ImmutableArray.CreateBuilder<SafeTensor>();
        foreach (var (name, shape, values) in ruleState ?? Array.Empty<(string, int[], T[])>())
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            ArgumentNullException.ThrowIfNull(shape);
            ArgumentNullException.ThrowIfNull(values);
            long product = shape.Aggregate(1L, (a, d) => d < 0 ? -1 : a * d);
            if (product != values.Length) throw new ArgumentException("Rule state '" + name + "' has shape " + SafeTensors.ShowShape(shape) + " but " + values.Length + " values.", nameof(ruleState));
            rule.Add(Tensor(RulePrefix + name, dtype, shape.ToImmutableArray(), values));
        }
        var ruleTensors = rule.OrderBy(t => t.Name, StringComparer.Ordinal).ToImmutableArray();
        for (int i = 1; i < ruleTensors.Length; i++)
        {
            if (ruleTensors[i].Name == ruleTensors[i - 1].Name) throw new ArgumentException("Two rule state tensors are named '" + ruleTensors[i].Name + "'.", nameof(ruleState));
        }

        var config = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, configuration ?? new Dictionary<string, string>());
        foreach (var (key, value) in config)
        {
            if (value is null) throw new ArgumentException("Configuration '" + key + "' has no value.", nameof(configuration));
        }
        return new Checkpoint(layout.Graph.Name, dtype, ps, moments, optimiserSteps, ruleTensors, step, epoch, config);
    }

    /// <summary>
    /// Copies the checkpoint's parameters into <paramref name="parameters"/> and, when given, its moments and step count
    /// into <paramref name="optimiser"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The parameters belong to another graph, <typeparamref name="T"/> is not the checkpoint's dtype, or the buffers keep another number of moments or other sizes.</exception>
    public void Restore<T>(ParameterArrays<T> parameters, OptimiserBuffers<T>? optimiser = null) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        RequireType<T>();
        var layout = parameters.Layout;
        if (layout.Graph.Name != GraphName || layout.ParameterIds.Length != Parameters.Length)
        {
            throw new ArgumentException("The checkpoint holds the parameters of graph '" + GraphName + "', not of '" + layout.Graph.Name + "'.", nameof(parameters));
        }
        for (int k = 0; k < Parameters.Length; k++)
        {
            if (parameters.Arrays[k].Length * SafeTensors.DTypeSize(DType) != Parameters[k].Data.Length)
            {
                throw new ArgumentException("Parameter '" + Parameters[k].Name + "' has " + parameters.Arrays[k].Length + " values but the checkpoint's has shape " + Parameters[k].ShapeText + ".", nameof(parameters));
            }
        }
        if (optimiser is not null)
        {
            if (optimiser.MomentCount != MomentCount)
            {
                throw new ArgumentException("The checkpoint holds " + MomentCount + " optimiser moment(s) per parameter but the buffers keep " + optimiser.MomentCount + "; restore them into buffers of the optimiser that was saved.", nameof(optimiser));
            }
            if (optimiser.ParameterCount != Parameters.Length || Enumerable.Range(0, Parameters.Length).Any(k => optimiser.Sizes[k] != parameters.Arrays[k].Length))
            {
                throw new ArgumentException("The optimiser buffers' sizes [" + string.Join(", ", optimiser.Sizes) + "] are not the parameter sizes of graph '" + GraphName + "'.", nameof(optimiser));
            }
        }
        for (int k = 0; k < Parameters.Length; k++) Decode(Parameters[k].Data.Span, parameters.Arrays[k]);
        if (optimiser is not null)
        {
            for (int m = 0; m < MomentCount; m++)
            {
                for (int k = 0; k < Parameters.Length; k++) Decode(Moments[m][k].Data.Span, optimiser.Moment(m, k));
            }
            optimiser.StepCount = OptimiserStepCount;
        }
    }

    /// <summary>New buffers of <paramref name="optimiser"/> for <paramref name="layout"/>, holding the checkpoint's moments and step count.</summary>
    /// <exception cref="ArgumentException">As <see cref="Restore{T}"/>: the optimiser keeps another number of moments, or the types differ.</exception>
    public OptimiserBuffers<T> CreateBuffers<T>(Optimiser optimiser, GraphLayout layout) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(optimiser);
        ArgumentNullException.ThrowIfNull(layout);
        RequireType<T>();
        if (optimiser.MomentCount != MomentCount)
        {
            throw new ArgumentException(optimiser.GetType().Name + " keeps " + optimiser.MomentCount + " moment(s) per parameter but the checkpoint holds " + MomentCount + ".", nameof(optimiser));
        }
        var buffers = optimiser.CreateBuffers<T>(layout.ParameterSizes);
        Restore(new ParameterArrays<T>(layout), buffers);
        return buffers;
    }

    /// <summary>The values of rule state tensor <paramref name="name"/> (without the <c>rule/</c> prefix), or null when there is none.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the checkpoint's dtype.</exception>
    public T[]? RuleStateValues<T>(string name) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireType<T>();
        foreach (var t in RuleState)
        {
            if (t.Name == RulePrefix + name)
            {
                var values = new T[t.Data.Length / SafeTensors.DTypeSize(DType)];
                Decode(t.Data.Span, values);
                return values;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- encoding

    /// <summary>The checkpoint as safetensors bytes; deterministic (identical checkpoints give identical bytes).</summary>
    public byte[] ToBytes()
    {
        var tensors = Parameters.Concat(Moments.SelectMany(m => m)).Concat(RuleState)
            .Select(t => (t.Name, t.DType, t.Shape.ToArray(), t.Data)).ToList();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatName,
            ["graph"] = GraphName,
            ["dtype"] = DType,
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = Epoch.ToString(CultureInfo.InvariantCulture),
            ["optimiser.moments"] = MomentCount.ToString(CultureInfo.InvariantCulture),
            ["optimiser.steps"] = OptimiserStepCount.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in Configuration) metadata[ConfigPrefix + key] = value;
        return SafeTensors.ToBytes(tensors, metadata);
    }

    /// <summary>Saves the checkpoint to <paramref name="path"/> atomically (a temporary file in the same folder, then a move over the target).</summary>
    public void Save(string path) => CheckpointFile.WriteAtomic(path, ToBytes());

    /// <summary>Loads and validates the checkpoint at <paramref name="path"/> against <paramref name="layout"/> (see <see cref="FromBytes"/>).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file or does not fit the graph; the message names the file.</exception>
    public static Checkpoint Load(string path, GraphLayout layout)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FromBytes(CheckpointFile.ReadAll(path), path, layout);
    }

    /// <summary>
    /// Decodes a checkpoint and validates it against <paramref name="layout"/>: a valid safetensors file whose metadata marks
    /// a checkpoint of this graph; every parameter of the graph present with the graph's shape and the checkpoint's dtype
    /// (F32 or F64); every moment of every parameter likewise; no other tensor but <c>rule/</c> ones; every value finite.
    /// </summary>
    /// <exception cref="InvalidDataException">A rule is broken; the message names the file (<paramref name="displayName"/>), the tensor and what differs.</exception>
    public static Checkpoint FromBytes(ReadOnlySpan<byte> bytes, string displayName, GraphLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        string file = displayName ?? "<unnamed>";
        InvalidDataException Fail(string problem) => new("checkpoint '" + file + "': " + problem);
        var content = SafeTensors.Read(bytes, file);
        var meta = content.Metadata;
        string Meta(string key) => meta.TryGetValue(key, out var v) ? v : throw Fail("the metadata has no '" + key + "'; is this a Symbolic checkpoint?");
        long Count(string key)
        {
            string text = Meta(key);
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw Fail("metadata '" + key + "' is '" + text + "', not a whole number of at least 0.");
        }

        if (Meta("format") != FormatName) throw Fail("metadata 'format' is '" + meta["format"] + "', not '" + FormatName + "'.");
        string graphName = Meta("graph");
        string graph = layout.Graph.Name;
        if (graphName != graph) throw Fail("it holds the parameters of graph '" + graphName + "' but graph '" + graph + "' was expected.");
        string dtype = Meta("dtype");
        if (dtype != "F32" && dtype != "F64") throw Fail("metadata 'dtype' is '" + dtype + "'; a checkpoint holds F32 or F64.");
        long step = Count("step"), epoch = Count("epoch"), optimiserSteps = Count("optimiser.steps"), momentCount = Count("optimiser.moments");
        if (momentCount > 16) throw Fail("metadata 'optimiser.moments' is " + momentCount + "; no optimiser keeps that many.");

        var byName = content.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var names = ParameterNames(layout);
        SafeTensor Expect(string name, int k)
        {
            if (!byName.TryGetValue(name, out var t)) throw Fail("it has no tensor '" + name + "', which graph '" + graph + "' needs.");
            var declared = DeclaredShape(layout, k);
            if (!t.Shape.SequenceEqual(declared)) throw Fail("tensor '" + name + "' has shape " + t.ShapeText + " but graph '" + graph + "' declares " + SafeTensors.ShowShape(declared) + ".");
            if (t.DType != dtype) throw Fail("tensor '" + name + "' has dtype " + t.DType + " but the checkpoint's dtype is " + dtype + ".");
            RequireFinite(t, Fail);
            used.Add(name);
            return t;
        }
        var ps = names.Select((name, k) => Expect(name, k)).ToImmutableArray();
        var moments = Enumerable.Range(0, (int)momentCount).Select(m => names.Select((name, k) => Expect(MomentName(m, name), k)).ToImmutableArray()).ToImmutableArray();
        var rule = ImmutableArray.CreateBuilder<SafeTensor>();
        foreach (var t in content.Tensors)
        {
            if (used.Contains(t.Name)) continue;
            if (!t.Name.StartsWith(RulePrefix, StringComparison.Ordinal))
            {
                throw Fail("tensor '" + t.Name + "' is neither a parameter of graph '" + graph + "' nor one of its " + momentCount + " optimiser moment(s) nor rule state.");
            }
            if (t.DType != dtype) throw Fail("tensor '" + t.Name + "' has dtype " + t.DType + " but the checkpoint's dtype is " + dtype + ".");
            RequireFinite(t, Fail);
            rule.Add(t);
        }
        var config = meta.Where(kv => kv.Key.StartsWith(ConfigPrefix, StringComparison.Ordinal))
            .ToImmutableSortedDictionary(kv => kv.Key.Substring(ConfigPrefix.Length), kv => kv.Value, StringComparer.Ordinal);
        return new Checkpoint(graphName, dtype, ps, moments, optimiserSteps, rule.ToImmutable(), step, epoch, config);
    }

    // ---------------------------------------------------------------- helpers

    private static string MomentName(int moment, string parameter) => OptimiserPrefix + "m" + moment.ToString(CultureInfo.InvariantCulture) + "/" + parameter;

    private static string[] ParameterNames(GraphLayout layout) => layout.ParameterIds.Select(id => layout.Graph.Nodes[id].Name).ToArray();

    private static ImmutableArray<int> DeclaredShape(GraphLayout layout, int k) => layout.Graph.Nodes[layout.ParameterIds[k]].Shape.Dims.ToImmutableArray();

    /// <summary>The safetensors dtype of <typeparamref name="T"/>: F32 for float, F64 for double.</summary>
    public static string DTypeOf<T>() =>
        typeof(T) == typeof(float) ? "F32" : typeof(T) == typeof(double) ? "F64"
        : throw new NotSupportedException("Checkpoints hold float (F32) or double (F64) values, not " + typeof(T).Name + ".");

    private void RequireType<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (DTypeOf<T>() != DType) throw new ArgumentException("The checkpoint holds " + DType + " values but " + typeof(T).Name + " (" + DTypeOf<T>() + ") was asked for.");
    }

    private static SafeTensor Tensor<T>(string name, string dtype, ImmutableArray<int> shape, T[] values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!Optimiser.AllFinite<T>(values))
        {
            int at = Array.FindIndex(values, v => !T.IsFinite(v));
            throw new ArgumentException("Tensor '" + name + "' holds a NaN or infinity (element " + at + ", " + values[at] + "); the checkpoint was not written.");
        }
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian) SwapElements(bytes, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return new SafeTensor(name, dtype, shape, bytes);
    }

    private static void Decode<T>(ReadOnlySpan<byte> data, Span<T> target) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, T>(data).CopyTo(target);
            return;
        }
        var copy = data.ToArray();
        SwapElements(copy, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        MemoryMarshal.Cast<byte, T>(copy).CopyTo(target);
    }

    private static void SwapElements(byte[] bytes, int size)
    {
        for (int i = 0; i < bytes.Length; i += size) Array.Reverse(bytes, i, size);
    }

    private static void RequireFinite(SafeTensor t, Func<string, InvalidDataException> fail)
    {
        int bad = -1;
        if (t.DType == "F32")
        {
            var values = new float[t.Data.Length / 4];
            Decode(t.Data.Span, values.AsSpan());
            if (!Optimiser.AllFinite<float>(values)) bad = Array.FindIndex(values, v => !float.IsFinite(v));
        }
        else if (t.DType == "F64")
        {
            var values = new double[t.Data.Length / 8];
            Decode(t.Data.Span, values.AsSpan());
            if (!Optimiser.AllFinite<double>(values)) bad = Array.FindIndex(values, v => !double.IsFinite(v));
        }
        if (bad >= 0) throw fail("tensor '" + t.Name + "' holds a NaN or infinity (element " + bad + ").");
    }
}
