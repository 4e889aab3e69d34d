using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Symbolic.Rules.Kernels;

/// <summary>
/// The fused elementwise steps of Activation Relaxation: one pass over a unit that applies
/// x &lt;- x + eta (drive - x) and returns the squared norm of the update (the residual's contribution).
/// </summary>
public static class Relax
{
    /// <summary>x += eta (drive - x); returns the sum of the squared updates.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Update<T>(Span<T> x, ReadOnlySpan<T> drive, T eta) where T : unmanaged, INumber<T>
    {
        if (drive.Length != x.Length) throw new ArgumentException("Relax.Update: x has " + x.Length + " elements but the drive " + drive.Length + ".");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(drive);
        int n = x.Length, i = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && n >= Vector<T>.Count)
        {
            var e = new Vector<T>(eta);
            var s0 = Vector<T>.Zero;
            var s1 = Vector<T>.Zero;
            for (; i + 2 * Vector<T>.Count <= n; i += 2 * Vector<T>.Count)
            {
                var x0 = Vector.LoadUnsafe(ref xr, (nuint)i);
                var x1 = Vector.LoadUnsafe(ref xr, (nuint)(i + Vector<T>.Count));
                var u0 = e * (Vector.LoadUnsafe(ref dr, (nuint)i) - x0);
                var u1 = e * (Vector.LoadUnsafe(ref dr, (nuint)(i + Vector<T>.Count)) - x1);
                (x0 + u0).StoreUnsafe(ref xr, (nuint)i);
                (x1 + u1).StoreUnsafe(ref xr, (nuint)(i + Vector<T>.Count));
                s0 += u0 * u0;
                s1 += u1 * u1;
            }
            sum = Vector.Sum(s0 + s1);
        }
        for (; i < n; i++)
        {
            T u = eta * (Unsafe.Add(ref dr, i) - Unsafe.Add(ref xr, i));
            Unsafe.Add(ref xr, i) += u;
            sum += u * u;
        }
        return sum;
    }

    /// <summary>
    /// x += eta (drive - x), then masked = x * mask (the unit seen through a frozen derivative, e.g. ReLU's 0/1 mask,
    /// ready for the next drive); returns the sum of the squared updates.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T UpdateMasked<T>(Span<T> x, ReadOnlySpan<T> drive, T eta, ReadOnlySpan<T> mask, Span<T> masked) where T : unmanaged, INumber<T>
    {
        if (drive.Length != x.Length || mask.Length != x.Length || masked.Length != x.Length)
        {
            throw new ArgumentException("Relax.UpdateMasked: x has " + x.Length + " elements, the drive " + drive.Length + ", the mask " + mask.Length + ", the output " + masked.Length + ".");
        }
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(drive);
        ref T mr = ref MemoryMarshal.GetReference(mask);
        ref T or = ref MemoryMarshal.GetReference(masked);
        int n = x.Length, i = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && n >= Vector<T>.Count)
        {
            var e = new Vector<T>(eta);
            var s = Vector<T>.Zero;
            for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            {
                var x0 = Vector.LoadUnsafe(ref xr, (nuint)i);
                var u = e * (Vector.LoadUnsafe(ref dr, (nuint)i) - x0);
                x0 += u;
                x0.StoreUnsafe(ref xr, (nuint)i);
                (x0 * Vector.LoadUnsafe(ref mr, (nuint)i)).StoreUnsafe(ref or, (nuint)i);
                s += u * u;
            }
            sum = Vector.Sum(s);
        }
        for (; i < n; i++)
        {
            T u = eta * (Unsafe.Add(ref dr, i) - Unsafe.Add(ref xr, i));
            T v = Unsafe.Add(ref xr, i) + u;
            Unsafe.Add(ref xr, i) = v;
            Unsafe.Add(ref or, i) = v * Unsafe.Add(ref mr, i);
            sum += u * u;
        }
        return sum;
    }
}
