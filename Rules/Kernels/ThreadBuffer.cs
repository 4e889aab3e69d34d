using System;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// A per-thread scratch array of <typeparamref name="T"/> for one use, named by <typeparamref name="TUse"/> (so two kernels
/// that call each other never share one), grown on demand and never shrunk: steady-state calls allocate nothing.
/// </summary>
/// <typeparam name="TUse">A marker type naming the use.</typeparam>
/// <typeparam name="T">The element type.</typeparam>
internal static class ThreadBuffer<TUse, T>
{
    [ThreadStatic]
    private static T[]? buffer;

    /// <summary>This thread's array of at least <paramref name="length"/> elements (contents unspecified).</summary>
    public static T[] Get(int length)
    {
        var b = buffer;
        if (b is null || b.Length < length) buffer = b = new T[Math.Max(length, Math.Min((b?.Length ?? 0) * 2, Array.MaxLength))];
        return b;
    }
}
