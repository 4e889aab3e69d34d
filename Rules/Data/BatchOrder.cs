using System;

namespace Symbolic.Rules.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of xoshiro): a 64-bit state advanced by a fixed odd
/// constant and passed through a bijective mixer. Its output is defined by the code below alone, unlike
/// <see cref="Random"/>, whose algorithm .NET does not promise to keep, so sequences drawn from it never change.
/// </summary>
public struct SplitMix64
{
    private const ulong Increment = 0x9E3779B97F4A7C15;
    private ulong state;

    /// <summary>A generator whose first output is <c>Mix(seed + 0x9E3779B97F4A7C15)</c>.</summary>
    public SplitMix64(ulong seed) => state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        state = unchecked(state + Increment);
        return Mix(state);
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>), without bias (Lemire's multiply-and-reject on the high 32
    /// bits of <see cref="Next"/>).
    /// </summary>
    public uint NextBelow(uint bound)
    {
        if (bound == 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be at least 1.");
        ulong product = (Next() >> 32) * bound;
        uint low = (uint)product;
        if (low < bound)
        {
            // 2^32 mod bound: the low parts below it belong to the values that 2^32 does not cover evenly.
            uint threshold = unchecked(0u - bound) % bound;
            while (low < threshold)
            {
                product = (Next() >> 32) * bound;
                low = (uint)product;
            }
        }
        return (uint)(product >> 32);
    }

    /// <summary>SplitMix64's finaliser (a bijection on 64-bit values that spreads every input bit over the output).</summary>
    public static ulong Mix(ulong value)
    {
        unchecked
        {
            value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
            value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
            return value ^ (value >> 31);
        }
    }
}

/// <summary>
/// The order in which an epoch visits a data set's samples: a Fisher-Yates shuffle of 0 to count - 1 driven by a
/// <see cref="SplitMix64"/> seeded from (seed, epoch). A pure function of (seed, epoch, count), the same on every .NET
/// version and machine, and a different order for each epoch.
/// </summary>
public static class BatchOrder
{
    // Kept apart from the seed's own mixing so that (seed, epoch) and (epoch, seed) start different streams.
    private const ulong EpochDomain = 0xD1B54A32D192ED03;

    /// <summary>A new array holding the permutation of 0 to <paramref name="count"/> - 1 for (<paramref name="seed"/>, <paramref name="epoch"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> or <paramref name="count"/> is negative.</exception>
    public static int[] Permutation(long seed, int epoch, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        Fill(seed, epoch, order);
        return order;
    }

    /// <summary>
    /// Writes the permutation of 0 to order.Length - 1 for (<paramref name="seed"/>, <paramref name="epoch"/>) into
    /// <paramref name="order"/> (whatever it held). Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public static void Fill(long seed, int epoch, Span<int> order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var generator = new SplitMix64(SplitMix64.Mix(unchecked((ulong)seed)) ^ SplitMix64.Mix(unchecked((ulong)epoch ^ EpochDomain)));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)generator.NextBelow((uint)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
