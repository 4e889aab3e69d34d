using System;
using System.Collections.Immutable;
using System.Linq;

namespace Symbolic.Rules;

/// <summary>The angle between a rule's updates and backprop's gradients, per parameter and overall.</summary>
public static class UpdateAngles
{
    /// <summary>Per parameter, the angle in degrees between <paramref name="updates"/> and <paramref name="reference"/> (0 when either is zero).</summary>
    public static ImmutableSortedDictionary<string, double> PerParameter(ParameterSet updates, ParameterSet reference) =>
        updates.Names.ToImmutableSortedDictionary(n => n, n => Angle(updates[n].Enumerate().ToArray(), reference[n].Enumerate().ToArray()), StringComparer.Ordinal);

    /// <summary>The angle in degrees between the flattened, concatenated sets (the AR authors' logged metric).</summary>
    public static double Overall(ParameterSet updates, ParameterSet reference) =>
        Angle(updates.Names.SelectMany(n => updates[n].Enumerate()).ToArray(), updates.Names.SelectMany(n => reference[n].Enumerate()).ToArray());

    private static double Angle(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        if (na == 0 || nb == 0) return 0;
        return Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1, 1)) * 180.0 / Math.PI;
    }
}
