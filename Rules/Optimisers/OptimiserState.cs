using System;
using System.Collections.Immutable;
using System.Linq;

namespace Symbolic.Rules;

/// <summary>
/// The reference engine's optimiser state, immutable: how many steps were taken and the moment sets, each shaped like the
/// parameters (none for SGD; the velocity for momentum; the first then the second moment for Adam). Equality is by value.
/// </summary>
/// <param name="StepCount">The number of steps taken; 0 before the first.</param>
/// <param name="Moments">The moment sets, in the optimiser's order.</param>
public sealed record OptimiserState(long StepCount, ImmutableArray<ParameterSet> Moments)
{
    /// <summary>The number of steps taken; 0 before the first, never negative.</summary>
    public long StepCount { get; init => field = RequireStepCount(value); } = RequireStepCount(StepCount);

    /// <summary>The moment sets, in the optimiser's order (see <see cref="Optimiser.MomentCount"/>); never default.</summary>
    public ImmutableArray<ParameterSet> Moments { get; init => field = RequireMoments(value); } = RequireMoments(Moments);

    /// <inheritdoc/>
    public bool Equals(OptimiserState? other) =>
        other is not null && StepCount == other.StepCount && Moments.SequenceEqual(other.Moments);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StepCount, Moments.Length);

    private static long RequireStepCount(long value) => value >= 0 ? value
        : throw new ArgumentException("StepCount must be at least 0; got " + value + ".", nameof(StepCount));

    private static ImmutableArray<ParameterSet> RequireMoments(ImmutableArray<ParameterSet> value) =>
        value.IsDefault || value.Any(m => m is null) ? throw new ArgumentException("Moments must be an initialised array of parameter sets (empty for SGD).", nameof(Moments)) : value;
}
