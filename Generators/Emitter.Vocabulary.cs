using System.Linq;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    internal static partial class Emitter
    {
        /// <summary>
        /// Writes the declaration vocabulary: the <c>Node</c> placeholder and one declaration-only method per op of the op table,
        /// except the names in <paramref name="taken"/> (the class is called so or has a member so named: SYM018 reports it, and
        /// leaving the member out keeps the generated file free of errors). Without the placeholder the op methods cannot be
        /// written either, so a taken <c>Node</c> leaves the vocabulary out.
        /// </summary>
        private static void Vocabulary(SourceWriter w, EquatableArray<string> taken)
        {
            if (taken.Contains("Node")) return;
            const string Throw = " => throw new global::System.NotSupportedException(\"declaration only\");";
            w.Summary("A symbolic value of the Forward declaration; the generator reads the declaration, which never runs.");
            w.Open("private sealed class Node");
            w.Summary("Not constructible: Node values exist only in the declaration.");
            w.WriteLine("private Node() { }");
            w.WriteLine();
            w.Summary("Bias addition (when either side is a bias) or the elementwise sum.");
            w.WriteLine("public static Node operator +(Node left, Node right)" + Throw);
            w.WriteLine();
            w.Summary("The matrix-vector product (when the left side is a weight) or the elementwise product, a gate.");
            w.WriteLine("public static Node operator *(Node left, Node right)" + Throw);
            w.Close();
            foreach (var op in OpTable.Declared)
            {
                if (taken.Contains(op.DeclarationName!)) continue;
                w.WriteLine();
                w.Summary("Declares " + op.Summary);
                w.WriteLine("private static Node " + op.DeclarationName + op.Signature + Throw);
            }
        }
    }
}
