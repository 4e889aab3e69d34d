using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;

namespace Symbolic.PropertyTests.Reference;

/// <summary>Error measures used by the properties.</summary>
public static class Compare
{
    /// <summary>max |actual - expected| / max(1, max |expected|): relative to the reference's scale, absolute below 1.</summary>
    public static double RelativeError(Matrix<double> actual, Matrix<double> expected)
    {
        double diff = (actual - expected).Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max();
        double scale = Math.Max(1.0, expected.Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max());
        return diff / scale;
    }

    /// <summary>|a - b| / max(1, |a|, |b|).</summary>
    public static double RelativeError(double a, double b) => Math.Abs(a - b) / Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(b)));
}
