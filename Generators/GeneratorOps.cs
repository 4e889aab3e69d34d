using System.Collections.Generic;
using System.Linq;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>What the generator can lower, by op name (for the completeness tests; the generator's own op types are internal).</summary>
    public static class GeneratorOps
    {
        /// <summary>True when the op named <paramref name="op"/> (an OpKind name) has a lowering.</summary>
        public static bool HasLowering(string op) => System.Enum.TryParse<OpKind>(op, out var kind) && Lowerings.TryGet(kind, out _);

        /// <summary>The names of the ops that have a lowering.</summary>
        public static IEnumerable<string> LoweredOps() => Lowerings.Ops.Select(o => o.ToString()).ToList();
    }
}
