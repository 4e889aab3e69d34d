using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Symbolic.Graph;

namespace Symbolic.PropertyTests.Reference;

/// <summary>6. Every activation's derivative matches a central finite difference, and inverses invert.</summary>
public class ActivationProperties
{
    private const double InverseAlpha = 0.1;

    private static readonly OpKind[] Ops = OpTable.All.Where(op => op.IsElementwise).Select(op => op.Kind).ToArray();

    private static readonly OpKind[] Invertible = Ops.Where(op => Activation.HasInverse(op, InverseAlpha)).ToArray();

    /// <summary>f'(x) against (f(x+h) - f(x-h)) / 2h, away from the kinks at zero.</summary>
    [Property(MaxTest = 500)]
    public Property DerivativeMatchesFiniteDifference() =>
        Prop.ForAll(Arb.From(Gen.Elements(Ops)), Arb.From(Gen.Choose(-8000, 8000).Select(k => k / 1000.0 + 0.0005)), Arb.From(Gen.Choose(0, 99).Select(k => k / 100.0)),
            (op, x, alpha) =>
            {
                const double h = 1e-6;
                double fd = (Activation.Apply(op, alpha, x + h) - Activation.Apply(op, alpha, x - h)) / (2 * h);
                double exact = Activation.Derivative(op, alpha, x);
                return (Math.Abs(fd - exact) < 1e-7 * Math.Max(1, Math.Abs(exact))).Label($"{op}({x}, alpha {alpha}): f' {exact:R}, finite difference {fd:R}");
            });

    /// <summary>f^-1(f(x)) = x for the invertible activations, on the range where f is not saturated in float64.</summary>
    [Property(MaxTest = 300)]
    public Property InverseInverts() =>
        Prop.ForAll(Arb.From(Gen.Elements(Invertible)), Arb.From(Gen.Choose(-5000, 5000).Select(k => k / 1000.0)),
            (op, x) =>
            {
                double back = Activation.Inverse(op, InverseAlpha, Activation.Apply(op, InverseAlpha, x));
                return (Math.Abs(back - x) < 1e-8 * Math.Max(1, Math.Abs(x))).Label($"{op}: f^-1(f({x})) = {back:R}");
            });
}
