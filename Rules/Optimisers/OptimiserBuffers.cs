using System;
using System.Collections.Generic;
using System.Numerics;

namespace Symbolic.Rules;

/// <summary>
/// The compiled engine's optimiser state for one model, allocated once by <see cref="Optimiser.CreateBuffers{T}"/> and then
/// updated in place: per-parameter moment arrays and the step count. Not thread-safe by itself: a driver calls
/// <see cref="Optimiser.BeginStep{T}"/> on one thread, then may <see cref="Optimiser.Apply{T}"/> disjoint slices from many.
/// </summary>
/// <typeparam name="T">float or double: the element type of the parameters.</typeparam>
public sealed class OptimiserBuffers<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal OptimiserBuffers(int[] sizes, int momentCount)
    {
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] < 0) throw new ArgumentException("Parameter " + i + " has size " + sizes[i] + "; sizes must be at least 0.", "parameterSizes");
        }
        SizeArray = sizes;
        MomentArrays = new T[momentCount][][];
        for (int k = 0; k < momentCount; k++)
        {
            MomentArrays[k] = new T[sizes.Length][];
            for (int i = 0; i < sizes.Length; i++) MomentArrays[k][i] = new T[sizes[i]];
        }
        Sizes = Array.AsReadOnly(sizes);
    }

    /// <summary>The number of elements of each parameter, in the driver's order.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>The number of parameters.</summary>
    public int ParameterCount => SizeArray.Length;

    /// <summary>How many moments each parameter has (the creating optimiser's <see cref="Optimiser.MomentCount"/>).</summary>
    public int MomentCount => MomentArrays.Length;

    /// <summary>The number of training steps begun with <see cref="Optimiser.BeginStep{T}"/>; 0 before the first.</summary>
    public long StepCount { get; internal set; }

    /// <summary>
    /// Moment <paramref name="moment"/> (0: momentum's velocity or Adam's first moment; 1: Adam's second moment) of parameter
    /// <paramref name="parameterIndex"/>, writable, for inspection and checkpoints.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such moment or parameter.</exception>
    public Span<T> Moment(int moment, int parameterIndex)
    {
        if ((uint)moment >= (uint)MomentArrays.Length) throw new ArgumentOutOfRangeException(nameof(moment), moment, "The buffers hold " + MomentArrays.Length + " moment(s).");
        if ((uint)parameterIndex >= (uint)SizeArray.Length) throw new ArgumentOutOfRangeException(nameof(parameterIndex), parameterIndex, "The buffers hold " + SizeArray.Length + " parameter(s).");
        return MomentArrays[moment][parameterIndex];
    }

    /// <summary>The sizes, unwrapped, for the hot path.</summary>
    internal int[] SizeArray { get; }

    /// <summary>[moment][parameter][element].</summary>
    internal T[][][] MomentArrays { get; }
}
