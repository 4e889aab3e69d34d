using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// The hint name (file name) of each generated file: <c>Ns.Name.g.cs</c>, the class's namespace-qualified name without
    /// keyword escapes. Roslyn compares hint names ignoring case, so classes whose names differ only by case (<c>Test.Mlp</c>,
    /// <c>Test.MLP</c>) get a numbered name each (<c>Test.MLP.1.g.cs</c>, <c>Test.Mlp.2.g.cs</c>, numbered in ordinal order
    /// of their names); a number cannot be a name segment, so no numbered name equals another class's plain one.
    /// </summary>
    internal static class HintNames
    {
        /// <summary>The extension of every generated file.</summary>
        public const string Extension = ".g.cs";

        /// <summary>
        /// The hint name of the class <paramref name="fullName"/> among <paramref name="all"/>, the full names of every class the
        /// generator emits into in this compilation (sorted ordinally, distinct; <paramref name="fullName"/> among them).
        /// </summary>
        public static string For(string fullName, EquatableArray<string> all)
        {
            string stem = Stem(fullName);
            var twins = all.Where(n => string.Equals(Stem(n), stem, StringComparison.OrdinalIgnoreCase)).ToList();
            if (twins.Count <= 1) return stem + Extension;
            int index = twins.IndexOf(fullName);
            if (index < 0) index = twins.Count;
            return stem + "." + (index + 1).ToString(CultureInfo.InvariantCulture) + Extension;
        }

        /// <summary>
        /// The file-name stem of a full name: letters, digits, '.' and '_' kept, any other character (a combining mark, a
        /// formatting character, half of a surrogate pair) replaced by '_'. Two stems equal ignoring case are numbered by <see cref="For"/>.
        /// </summary>
        public static string Stem(string fullName)
        {
            var sb = new StringBuilder(fullName.Length);
            foreach (char c in fullName) sb.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
            return sb.ToString();
        }

        /// <summary>The full names of the classes that get a file, sorted ordinally and distinct (the input of <see cref="For"/>).</summary>
        public static EquatableArray<string> Collect(IEnumerable<string?> fullNames) =>
            fullNames.Where(n => n is not null).Select(n => n!).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray();
    }
}
