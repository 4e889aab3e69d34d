using System;
using System.Runtime.InteropServices;

namespace Symbolic.Cli.Bench;

/// <summary>
/// A system BLAS found at run time (Debian's OpenBLAS or BLIS packages, or any library exporting CBLAS), for
/// <c>bench --gemm --blas</c>'s reference rows. Nothing depends on it: when no library loads, the rows are left out.
/// </summary>
public sealed class SystemBlas
{
    // CBLAS's enums: row-major order, no transpose, transpose.
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly string[] Candidates =
    {
        "libopenblas.so.0", "libopenblas.so", "libblis.so.4", "libblis.so", "libcblas.so.3", "libblas.so.3",
    };

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void Dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetThreads(int threads);

    private readonly Sgemm sgemm;
    private readonly Dgemm dgemm;
    private readonly SetThreads? setThreads;

    private SystemBlas(string name, Sgemm sgemm, Dgemm dgemm, SetThreads? setThreads)
    {
        Name = name;
        this.sgemm = sgemm;
        this.dgemm = dgemm;
        this.setThreads = setThreads;
    }

    /// <summary>The library's file name.</summary>
    public string Name { get; }

    /// <summary>Whether the library's thread count can be set (OpenBLAS, BLIS); otherwise it runs with its own default.</summary>
    public bool CanSetThreads => setThreads is not null;

    /// <summary>The first candidate library that loads and exports cblas_sgemm and cblas_dgemm, or null with the reason.</summary>
    public static SystemBlas? TryLoad(out string reason)
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var s) || !NativeLibrary.TryGetExport(handle, "cblas_dgemm", out var d)) continue;
            SetThreads? threads = null;
            foreach (var setter in new[] { "openblas_set_num_threads", "bli_thread_set_num_threads" })
            {
                if (NativeLibrary.TryGetExport(handle, setter, out var t))
                {
                    threads = Marshal.GetDelegateForFunctionPointer<SetThreads>(t);
                    break;
                }
            }
            reason = "";
            return new SystemBlas(name, Marshal.GetDelegateForFunctionPointer<Sgemm>(s), Marshal.GetDelegateForFunctionPointer<Dgemm>(d), threads);
        }
        reason = "no system BLAS with CBLAS found (tried " + string.Join(", ", Candidates) + "; on Debian: apt-get install libopenblas0-pthread or libblis4-pthread)";
        return null;
    }

    /// <summary>Sets the library's thread count, where it can be set.</summary>
    public void Threads(int threads) => setThreads?.Invoke(threads);

    /// <summary>C = A op B (row-major) with op "NN" (A m x k, B k x n), "NT" (B n x k) or "TN" (A k x m).</summary>
    public void Gemm(string op, float[] a, float[] b, float[] c, int m, int n, int k)
    {
        var (ta, tb, lda, ldb) = Layout(op, m, n, k);
        sgemm(RowMajor, ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
    }

    /// <summary>The float64 <see cref="Gemm(string, float[], float[], float[], int, int, int)"/>.</summary>
    public void Gemm(string op, double[] a, double[] b, double[] c, int m, int n, int k)
    {
        var (ta, tb, lda, ldb) = Layout(op, m, n, k);
        dgemm(RowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
    }

    private static (int TransA, int TransB, int Lda, int Ldb) Layout(string op, int m, int n, int k) => op switch
    {
        "NN" => (NoTrans, NoTrans, k, n),
        "NT" => (NoTrans, Trans, k, k),
        "TN" => (Trans, NoTrans, m, n),
        _ => throw new ArgumentException("Unknown product '" + op + "'; NN, NT or TN.", nameof(op)),
    };
}
