using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Rules;

namespace Symbolic.PropertyTests.Optimisers;

/// <summary>A random optimiser with random parameters and per-step gradients, all drawn from <see cref="Seed"/>.</summary>
public sealed record OptimiserCase(Optimiser Optimiser, int Seed, (int Rows, int Cols)[] Shapes, int Steps)
{
    /// <summary>The initial parameters, uniform in (-2, 2).</summary>
    public ParameterSet Parameters => OptimiserCases.RandomSet(Shapes, new Random(Seed), 2.0);

    /// <summary>One gradient set per step, uniform in (-1, 1) with about one element in ten exactly zero.</summary>
    public IReadOnlyList<ParameterSet> Gradients
    {
        get
        {
            var random = new Random(Seed + 1);
            return Enumerable.Range(0, Steps).Select(_ => OptimiserCases.RandomSet(Shapes, random, 1.0, zeros: true)).ToArray();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Optimiser + ", seed " + Seed + ", shapes " + string.Join(" ", Shapes.Select(s => s.Rows + "x" + s.Cols)) + ", " + Steps + " steps";
}

/// <summary>Generators of optimiser cases and the drivers that run both engines on them.</summary>
public static class OptimiserCases
{
    private static Gen<double> LearningRates => Gen.Choose(-4000, -300).Select(k => Math.Pow(10, k / 1000.0));

    private static Gen<double> Decays => Gen.Choose(0, 2).SelectMany(k => k == 0 ? Gen.Constant(0.0) : Gen.Choose(1, 1000).Select(j => j / 10000.0));

    private static Gen<double> UnitInterval => Gen.Elements(0.0, 0.5, 0.9, 0.99, 0.999).SelectMany(b => Gen.Choose(0, 1).Select(k => k == 0 ? b : b * 0.97));

    /// <summary>SGD with a random rate and, two times in three, weight decay.</summary>
    public static Gen<Optimiser> Sgds =>
        from rate in LearningRates
        from decay in Decays
        select (Optimiser)new Sgd(rate, decay);

    /// <summary>Momentum with random coefficient, decay and Nesterov flag.</summary>
    public static Gen<Optimiser> Momentums =>
        from rate in LearningRates
        from coefficient in UnitInterval
        from decay in Decays
        from nesterov in Gen.Elements(false, true)
        select (Optimiser)new Momentum(rate, coefficient, decay, nesterov);

    /// <summary>Adam with random betas, epsilon, bias correction and decay.</summary>
    public static Gen<Optimiser> Adams =>
        from rate in LearningRates
        from beta1 in UnitInterval
        from beta2 in UnitInterval
        from epsilon in Gen.Elements(1e-8, 1e-6, 1e-3, 0.1)
        from bias in Gen.Elements(false, true)
        from decay in Decays
        select (Optimiser)new Adam(rate, beta1, beta2, epsilon, bias, decay);

    /// <summary>Any of the three.</summary>
    public static Gen<Optimiser> AnyOptimiser => Gen.OneOf(Sgds, Momentums, Adams);

    /// <summary>Cases of <paramref name="optimisers"/>: 1-4 parameters of up to 40 x 3 (sizes around the vector widths and beyond), 1-5 steps.</summary>
    public static Arbitrary<OptimiserCase> Cases(Gen<Optimiser> optimisers) => Arb.From(
        from optimiser in optimisers
        from count in Gen.Choose(1, 4)
        from rows in Gen.ArrayOf(Gen.Choose(1, 40), count)
        from cols in Gen.ArrayOf(Gen.Choose(1, 3), count)
        from seed in Gen.Choose(0, 1_000_000)
        from steps in Gen.Choose(1, 5)
        select new OptimiserCase(optimiser, seed, rows.Zip(cols).ToArray(), steps));

    /// <summary>A set "p0", "p1", ... of the given shapes, uniform in (-scale, scale).</summary>
    public static ParameterSet RandomSet((int Rows, int Cols)[] shapes, Random random, double scale, bool zeros = false) =>
        ParameterSet.From(shapes.Select((s, i) => ("p" + i, Matrix<double>.Build.Dense(s.Rows, s.Cols, (_, _) => zeros && random.Next(10) == 0 ? 0.0 : scale * (2 * random.NextDouble() - 1)))));

    /// <summary>Every value rounded to float32, so a float32 run and the reference start from the same numbers.</summary>
    public static ParameterSet RoundToSingle(ParameterSet set) => set.Map((_, m) => m.Map(x => (double)(float)x));

    /// <summary>The reference engine over all the gradients.</summary>
    public static (ParameterSet Parameters, OptimiserState State) RunReference(Optimiser optimiser, ParameterSet parameters, IEnumerable<ParameterSet> gradients)
    {
        var state = optimiser.InitialState(parameters);
        foreach (var g in gradients) (parameters, state) = optimiser.Step(parameters, g, state);
        return (parameters, state);
    }

    /// <summary>The compiled engine over all the gradients, whole parameters at a time; parameter i is the i-th name in order.</summary>
    public static (T[][] Parameters, OptimiserBuffers<T> Buffers) RunCompiled<T>(Optimiser optimiser, ParameterSet parameters, IEnumerable<ParameterSet> gradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var names = parameters.Names.ToArray();
        var values = names.Select(n => ToArray<T>(parameters[n])).ToArray();
        var buffers = optimiser.CreateBuffers<T>(values.Select(v => v.Length).ToArray());
        foreach (var g in gradients)
        {
            optimiser.BeginStep(buffers);
            for (int i = 0; i < names.Length; i++) optimiser.Apply<T>(i, values[i], ToArray<T>(g[names[i]]), buffers, 0, values[i].Length);
        }
        return (values, buffers);
    }

    /// <summary>The values in column-major order, converted to <typeparamref name="T"/>.</summary>
    public static T[] ToArray<T>(Matrix<double> m) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        m.ToColumnMajorArray().Select(T.CreateTruncating).ToArray();

    /// <summary>max |compiled - reference| / max(1, |reference|) over the elements of every parameter, in order of name.</summary>
    public static double RelativeError<T>(IReadOnlyList<T[]> compiled, ParameterSet reference) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var names = reference.Names.ToArray();
        double worst = 0;
        for (int i = 0; i < names.Length; i++)
        {
            var expected = reference[names[i]].ToColumnMajorArray();
            if (compiled[i].Length != expected.Length) return double.PositiveInfinity;
            for (int k = 0; k < expected.Length; k++)
            {
                double error = Math.Abs(double.CreateTruncating(compiled[i][k]) - expected[k]) / Math.Max(1.0, Math.Abs(expected[k]));
                if (!(error <= worst)) worst = double.IsNaN(error) ? double.PositiveInfinity : error;
            }
        }
        return worst;
    }

    /// <summary>The compiled moments as arrays per parameter, for <see cref="RelativeError{T}"/> against a reference moment set.</summary>
    public static T[][] Moments<T>(OptimiserBuffers<T> buffers, int moment) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Enumerable.Range(0, buffers.ParameterCount).Select(i => buffers.Moment(moment, i).ToArray()).ToArray();
}
