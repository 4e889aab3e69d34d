using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Symbolic.Rules.Kernels;

public static partial class Gemm
{
    // NT with m >= this many rows packs B^T once and runs the NN kernel: the packing (n k moves) is repaid across
    // the m rows, and the NN kernel keeps its B panel in L1 where the dot kernel re-streams A from L2.
    private const int PackRowsThreshold = 8;

    /// <summary>Names the per-thread buffer for B^T, grown on demand, so steady-state calls allocate nothing.</summary>
    private readonly struct TransposeUse { }

    /// <summary>dst (k x n, rows <paramref name="n"/> apart) = B^T for B n x k with rows <paramref name="ldb"/> apart.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void Transpose<T>(ReadOnlySpan<T> b, int ldb, Span<T> dst, int n, int k) where T : unmanaged
    {
        if (n < 0 || k < 0 || ldb < k || b.Length < Needed(n, k, ldb) || dst.Length < (long)n * k)
        {
            throw new ArgumentException("Transpose: B is " + n + " x " + k + " (leading dimension " + ldb + ") in " + b.Length + " elements, the destination has " + dst.Length + ".");
        }
        if (n == 0 || k == 0) return;
        TransposeTo(ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(dst), n, n, k);
    }

    // dst (k x n, row-major, rows n apart) = B^T.
    private static void Transpose<T>(ref T b, nint ldb, ref T dst, int n, int k) where T : unmanaged =>
        TransposeTo(ref b, ldb, ref dst, n, n, k);

    // dst (k x n, row-major, rows ldd apart) = B^T for B n x k with rows ldb apart, in 16 x 16 tiles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeTo<T>(ref T b, nint ldb, ref T dst, nint ldd, int n, int k) where T : unmanaged
    {
        const int Tile = 16;
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            TransposeFloat(ref Unsafe.As<T, float>(ref b), ldb, ref Unsafe.As<T, float>(ref dst), ldd, n, k);
            return;
        }
        for (int j0 = 0; j0 < n; j0 += Tile)
        {
            int j1 = Math.Min(j0 + Tile, n);
            for (int p0 = 0; p0 < k; p0 += Tile)
            {
                int p1 = Math.Min(p0 + Tile, k);
                for (int j = j0; j < j1; j++)
                {
                    ref T row = ref Unsafe.Add(ref b, j * ldb);
                    for (int p = p0; p < p1; p++) Unsafe.Add(ref dst, p * ldd + j) = Unsafe.Add(ref row, p);
                }
            }
        }
    }

    // Float B^T with AVX-512: whole 16 x 16 tiles by register transposes, the edges scalar.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeFloat(ref float b, nint ldb, ref float dst, nint ldd, int n, int k)
    {
        int n16 = n & ~15, k16 = k & ~15;
        for (int j0 = 0; j0 < n16; j0 += 16)
        {
            for (int p0 = 0; p0 < k16; p0 += 16) Tile16(ref Unsafe.Add(ref b, j0 * ldb + p0), ldb, ref Unsafe.Add(ref dst, p0 * ldd + j0), ldd);
        }
        for (int j = 0; j < n; j++)
        {
            ref float row = ref Unsafe.Add(ref b, j * ldb);
            for (int p = j < n16 ? k16 : 0; p < k; p++) Unsafe.Add(ref dst, p * ldd + j) = Unsafe.Add(ref row, p);
        }
    }

    // dst[p, j] = src[j, p] for a 16 x 16 float tile: unpack ps, unpack pd, then two rounds of 128-bit lane shuffles.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile16(ref float src, nint lds, ref float dst, nint ldd)
    {
        nint s = lds;
        var r0 = Vector512.LoadUnsafe(ref src, (nuint)(0 * s));
        var r1 = Vector512.LoadUnsafe(ref src, (nuint)(1 * s));
        var r2 = Vector512.LoadUnsafe(ref src, (nuint)(2 * s));
        var r3 = Vector512.LoadUnsafe(ref src, (nuint)(3 * s));
        var r4 = Vector512.LoadUnsafe(ref src, (nuint)(4 * s));
        var r5 = Vector512.LoadUnsafe(ref src, (nuint)(5 * s));
        var r6 = Vector512.LoadUnsafe(ref src, (nuint)(6 * s));
        var r7 = Vector512.LoadUnsafe(ref src, (nuint)(7 * s));
        var r8 = Vector512.LoadUnsafe(ref src, (nuint)(8 * s));
        var r9 = Vector512.LoadUnsafe(ref src, (nuint)(9 * s));
        var r10 = Vector512.LoadUnsafe(ref src, (nuint)(10 * s));
        var r11 = Vector512.LoadUnsafe(ref src, (nuint)(11 * s));
        var r12 = Vector512.LoadUnsafe(ref src, (nuint)(12 * s));
        var r13 = Vector512.LoadUnsafe(ref src, (nuint)(13 * s));
        var r14 = Vector512.LoadUnsafe(ref src, (nuint)(14 * s));
        var r15 = Vector512.LoadUnsafe(ref src, (nuint)(15 * s));
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var u00 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(); var u10 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        var u20 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(); var u30 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var u01 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle(); var u11 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        var u21 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle(); var u31 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var u02 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle(); var u12 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        var u22 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle(); var u32 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
        var u03 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle(); var u13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        var u23 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle(); var u33 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();
        var e00 = Avx512F.Shuffle4x128(u00, u01, 0x88); var o00 = Avx512F.Shuffle4x128(u00, u01, 0xDD);
        var e01 = Avx512F.Shuffle4x128(u02, u03, 0x88); var o01 = Avx512F.Shuffle4x128(u02, u03, 0xDD);
        Avx512F.Shuffle4x128(e00, e01, 0x88).StoreUnsafe(ref dst, (nuint)(0 * ldd));
        Avx512F.Shuffle4x128(o00, o01, 0x88).StoreUnsafe(ref dst, (nuint)(4 * ldd));
        Avx512F.Shuffle4x128(e00, e01, 0xDD).StoreUnsafe(ref dst, (nuint)(8 * ldd));
        Avx512F.Shuffle4x128(o00, o01, 0xDD).StoreUnsafe(ref dst, (nuint)(12 * ldd));
        var e10 = Avx512F.Shuffle4x128(u10, u11, 0x88); var o10 = Avx512F.Shuffle4x128(u10, u11, 0xDD);
        var e11 = Avx512F.Shuffle4x128(u12, u13, 0x88); var o11 = Avx512F.Shuffle4x128(u12, u13, 0xDD);
        Avx512F.Shuffle4x128(e10, e11, 0x88).StoreUnsafe(ref dst, (nuint)(1 * ldd));
        Avx512F.Shuffle4x128(o10, o11, 0x88).StoreUnsafe(ref dst, (nuint)(5 * ldd));
        Avx512F.Shuffle4x128(e10, e11, 0xDD).StoreUnsafe(ref dst, (nuint)(9 * ldd));
        Avx512F.Shuffle4x128(o10, o11, 0xDD).StoreUnsafe(ref dst, (nuint)(13 * ldd));
        var e20 = Avx512F.Shuffle4x128(u20, u21, 0x88); var o20 = Avx512F.Shuffle4x128(u20, u21, 0xDD);
        var e21 = Avx512F.Shuffle4x128(u22, u23, 0x88); var o21 = Avx512F.Shuffle4x128(u22, u23, 0xDD);
        Avx512F.Shuffle4x128(e20, e21, 0x88).StoreUnsafe(ref dst, (nuint)(2 * ldd));
        Avx512F.Shuffle4x128(o20, o21, 0x88).StoreUnsafe(ref dst, (nuint)(6 * ldd));
        Avx512F.Shuffle4x128(e20, e21, 0xDD).StoreUnsafe(ref dst, (nuint)(10 * ldd));
        Avx512F.Shuffle4x128(o20, o21, 0xDD).StoreUnsafe(ref dst, (nuint)(14 * ldd));
        var e30 = Avx512F.Shuffle4x128(u30, u31, 0x88); var o30 = Avx512F.Shuffle4x128(u30, u31, 0xDD);
        var e31 = Avx512F.Shuffle4x128(u32, u33, 0x88); var o31 = Avx512F.Shuffle4x128(u32, u33, 0xDD);
        Avx512F.Shuffle4x128(e30, e31, 0x88).StoreUnsafe(ref dst, (nuint)(3 * ldd));
        Avx512F.Shuffle4x128(o30, o31, 0x88).StoreUnsafe(ref dst, (nuint)(7 * ldd));
        Avx512F.Shuffle4x128(e30, e31, 0xDD).StoreUnsafe(ref dst, (nuint)(11 * ldd));
        Avx512F.Shuffle4x128(o30, o31, 0xDD).StoreUnsafe(ref dst, (nuint)(15 * ldd));
    }
}
