using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Symbolic.Rules.Kernels;

/// <summary>A compile-time integer: a struct type argument whose value the JIT folds into the specialised kernel.</summary>
internal interface IConst
{
    /// <summary>The value.</summary>
    static abstract int Value { get; }
}

/// <summary>The constant 1.</summary>
internal struct C1 : IConst { public static int Value => 1; }

/// <summary>The constant 2.</summary>
internal struct C2 : IConst { public static int Value => 2; }

/// <summary>The constant 3.</summary>
internal struct C3 : IConst { public static int Value => 3; }

/// <summary>The constant 4.</summary>
internal struct C4 : IConst { public static int Value => 4; }

/// <summary>The constant 8.</summary>
internal struct C8 : IConst { public static int Value => 8; }

/// <summary>Vector helpers over float and double that the JIT specialises and inlines (typeof checks are folded).</summary>
internal static class Simd
{
    /// <summary>True when the fast kernels can run for <typeparamref name="T"/>: float or double on Vector512 hardware.</summary>
    public static bool Fast512<T>() => (typeof(T) == typeof(float) || typeof(T) == typeof(double)) && Vector512.IsHardwareAccelerated && Gemm.FastKernels;

    /// <summary>a * b + c, fused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>The lanes at index &gt;= <paramref name="first"/> set, the others clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LanesFrom<T>(int first)
    {
        if (typeof(T) == typeof(float)) return Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(first)).As<int, T>();
        if (typeof(T) == typeof(double)) return Vector512.GreaterThanOrEqual(Vector512<long>.Indices, Vector512.Create((long)first)).As<long, T>();
        throw new System.NotSupportedException();
    }

    /// <summary>The lanes at index &lt; <paramref name="count"/> set, the others clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LanesBelow<T>(int count)
    {
        if (typeof(T) == typeof(float)) return Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).As<int, T>();
        if (typeof(T) == typeof(double)) return Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count)).As<long, T>();
        throw new System.NotSupportedException();
    }

    /// <summary>
    /// The lanes of <paramref name="mask"/> loaded from <paramref name="c"/>, the others zero; memory under the clear
    /// lanes is not touched (AVX-512 masked loads suppress faults), so a vector may end past an array or a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<T> LoadMasked<T>(ref T c, Vector512<T> mask) where T : unmanaged
    {
        fixed (T* p = &c)
        {
            if (typeof(T) == typeof(float)) return Avx512F.MaskLoad((float*)p, mask.AsSingle(), Vector512<float>.Zero).As<float, T>();
            if (typeof(T) == typeof(double)) return Avx512F.MaskLoad((double*)p, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();
        }
        throw new System.NotSupportedException();
    }

    /// <summary>Stores the lanes of <paramref name="mask"/> at <paramref name="c"/>, leaving the memory under the others untouched.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreMasked<T>(ref T c, Vector512<T> value, Vector512<T> mask) where T : unmanaged
    {
        fixed (T* p = &c)
        {
            if (typeof(T) == typeof(float)) Avx512F.MaskStore((float*)p, mask.AsSingle(), value.AsSingle());
            else if (typeof(T) == typeof(double)) Avx512F.MaskStore((double*)p, mask.AsDouble(), value.AsDouble());
            else throw new System.NotSupportedException();
        }
    }

    /// <summary>The horizontal sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum<T>(Vector512<T> v) => Vector512.Sum(v);

    /// <summary>Stores alpha * acc (+ old) at <paramref name="c"/>, keeping the old value in lanes outside <paramref name="mask"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(ref T c, Vector512<T> acc, Vector512<T> alpha, bool accumulate, Vector512<T> mask)
    {
        var old = Vector512.LoadUnsafe(ref c);
        var value = accumulate ? Fma(acc, alpha, old) : acc * alpha;
        Vector512.ConditionalSelect(mask, value, old).StoreUnsafe(ref c);
    }
}
