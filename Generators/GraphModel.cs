using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// A source location as a value: the file path, the span and the line span. The pipeline never holds a
    /// <see cref="Location"/> (it would pin a syntax tree and defeat caching); one is rebuilt when reporting.
    /// </summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        /// <summary>Captures a location (null when it is not in source).</summary>
        public static LocationInfo? From(Location? location)
        {
            if (location is null || location.SourceTree is null) return null;
            return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
        }

        /// <summary>Captures a syntax node's location.</summary>
        public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());

        /// <summary>Rebuilds the location.</summary>
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
    }

    /// <summary>A diagnostic as a value: the descriptor's ID, where, and the message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        /// <summary>Makes a diagnostic of <paramref name="descriptor"/> at <paramref name="location"/>.</summary>
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
            new DiagnosticInfo(descriptor.Id, location, EquatableArray.Create(arguments));

        /// <summary>The Roslyn diagnostic.</summary>
        public Diagnostic ToDiagnostic()
        {
            var descriptor = DiagnosticDescriptors.ById.TryGetValue(Id, out var d) ? d : DiagnosticDescriptors.InternalError;
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
            return Diagnostic.Create(descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, args);
        }
    }

    /// <summary>
    /// The declaring class: where it lives and whether the generator may add a partial part to it.
    /// </summary>
    /// <param name="Namespace">The containing namespace as C# source (keyword-escaped), empty for the global namespace.</param>
    /// <param name="Name">The class name as C# source (keyword-escaped).</param>
    /// <param name="IsStatic">Declared static.</param>
    /// <param name="CanExtend">A partial, top-level, non-generic class with valid names: a partial part can be emitted.</param>
    /// <param name="FullName">The namespace-qualified name without escapes (<c>Ns.Name</c>), for the hint name of the generated file.</param>
    /// <param name="Taken">The vocabulary names (the <c>Node</c> class, op methods) the class already has or is called: the vocabulary leaves them out.</param>
    internal sealed record ClassInfo(string Namespace, string Name, bool IsStatic, bool CanExtend, string FullName, EquatableArray<string> Taken)
    {
        /// <summary>The fully qualified reference, <c>global::Ns.Name</c>.</summary>
        public string QualifiedName => "global::" + (Namespace.Length == 0 ? "" : Namespace + ".") + Name;
    }

    /// <summary>
    /// What the parser makes of one <c>[ComputationGraph]</c> class: the class, the validated graph (null when the
    /// declaration has errors) and the diagnostics. Value-equatable throughout, so the pipeline caches it.
    /// </summary>
    /// <param name="Class">The declaring class.</param>
    /// <param name="Graph">The validated graph, or null when the declaration has errors.</param>
    /// <param name="Diagnostics">The parser's diagnostics.</param>
    /// <param name="Location">The class name's location, for diagnostics about the graph as a whole.</param>
    internal sealed record GraphModel(ClassInfo Class, ComputationGraph? Graph, EquatableArray<DiagnosticInfo> Diagnostics, LocationInfo? Location = null);
}
