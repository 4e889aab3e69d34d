using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace Symbolic.Graph
{
    /// <summary>An immutable array with value equality, so records that hold one compare by content.</summary>
    /// <typeparam name="T">The element type; its own <see cref="object.Equals(object)"/> defines element equality.</typeparam>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
    {
        private readonly ImmutableArray<T> items;

        /// <summary>Wraps an immutable array (a default array is treated as empty).</summary>
        public EquatableArray(ImmutableArray<T> items) => this.items = items.IsDefault ? ImmutableArray<T>.Empty : items;

        /// <summary>An empty array.</summary>
        public static EquatableArray<T> Empty => new EquatableArray<T>(ImmutableArray<T>.Empty);

        /// <summary>The wrapped immutable array.</summary>
        public ImmutableArray<T> AsImmutableArray() => items.IsDefault ? ImmutableArray<T>.Empty : items;

        /// <summary>The number of elements.</summary>
        public int Count => items.IsDefault ? 0 : items.Length;

        /// <summary>The element at <paramref name="index"/>.</summary>
        public T this[int index] => items[index];

        /// <inheritdoc/>
        public bool Equals(EquatableArray<T> other)
        {
            var a = AsImmutableArray();
            var b = other.AsImmutableArray();
            if (a.Length != b.Length) return false;
            var comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < a.Length; i++)
            {
                if (!comparer.Equals(a[i], b[i])) return false;
            }
            return true;
        }

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            unchecked
            {
                int hash = 17;
                var comparer = EqualityComparer<T>.Default;
                foreach (var item in AsImmutableArray())
                {
                    hash = hash * 31 + (item is null ? 0 : comparer.GetHashCode(item));
                }
                return hash;
            }
        }

        /// <summary>Value equality.</summary>
        public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

        /// <summary>Value inequality.</summary>
        public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

        /// <summary>Wraps an immutable array.</summary>
        public static implicit operator EquatableArray<T>(ImmutableArray<T> items) => new EquatableArray<T>(items);

        /// <inheritdoc/>
        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)AsImmutableArray()).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <inheritdoc/>
        public override string ToString() => "[" + string.Join(", ", AsImmutableArray()) + "]";
    }

    /// <summary>Factory helpers for <see cref="EquatableArray{T}"/>.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    static class EquatableArray
    {
        /// <summary>Makes an equatable array from the given items.</summary>
        public static EquatableArray<T> Create<T>(params T[] items) => new EquatableArray<T>(ImmutableArray.Create(items));

        /// <summary>Makes an equatable array from a sequence.</summary>
        public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items) => new EquatableArray<T>(ImmutableArray.CreateRange(items));
    }
}
