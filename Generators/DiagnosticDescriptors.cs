using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// Every diagnostic the Symbolic generator reports. IDs are stable (they are listed in AnalyzerReleases.*.md);
    /// messages name the offending declaration and, for shape errors, both shapes.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "Symbolic.Generator";

        /// <summary>SYM001: the type is not a 'static partial class' (not static, not partial, or a record, struct, interface, enum or delegate); {1} says which.</summary>
        public static readonly DiagnosticDescriptor NotStaticPartial = Make("SYM001", "Graph class must be static partial",
            "The computation graph '{0}' must be a static partial class so the generator can add its members; it is {1}");

        /// <summary>SYM002: the class is generic.</summary>
        public static readonly DiagnosticDescriptor GenericClass = Make("SYM002", "Graph class must not be generic",
            "The computation graph class '{0}' must not be generic; every size of a graph is a constant");

        /// <summary>SYM003: the class is nested in another type.</summary>
        public static readonly DiagnosticDescriptor NestedClass = Make("SYM003", "Graph class must be top-level",
            "The computation graph class '{0}' is nested in '{1}'; declare it directly in a namespace");

        /// <summary>SYM004: no (or more than one) Forward method.</summary>
        public static readonly DiagnosticDescriptor MissingForward = Make("SYM004", "Graph class needs one Forward method",
            "The computation graph class '{0}' needs exactly one method 'static Node Forward(...)' that declares the graph; it has {1}");

        /// <summary>SYM005: a statement other than a local declaration or the final return.</summary>
        public static readonly DiagnosticDescriptor UnsupportedStatement = Make("SYM005", "Unsupported statement in a graph declaration",
            "The statement '{0}' is not supported in a graph declaration; use 'var name = expression;' and one final 'return expression;'");

        /// <summary>SYM006: an expression the declaration language does not have.</summary>
        public static readonly DiagnosticDescriptor UnsupportedExpression = Make("SYM006", "Unsupported expression in a graph declaration",
            "The expression '{0}' is not supported in a graph declaration: {1}");

        /// <summary>SYM007: a call of something that is not a graph op; its second argument is <see cref="DeclaredOps"/>.</summary>
        public static readonly DiagnosticDescriptor UnknownOp = Make("SYM007", "Unknown graph op",
            "'{0}' is not a graph op; the ops are {1}");

        /// <summary>The ops a declaration can call, as SYM007 lists them ("Relu, Tanh, ... and BiasAdd"), from the op table.</summary>
        public static readonly string DeclaredOps = OpTable.NameList(OpTable.Declared.Select(op => op.DeclarationName!));

        /// <summary>SYM008: the op does not fit its arguments (shape mismatch, wrong kind or number of arguments, a size over int.MaxValue).</summary>
        public static readonly DiagnosticDescriptor InvalidGraph = Make("SYM008", "Shape mismatch or invalid op use",
            "{0}");

        /// <summary>SYM009: a Forward parameter without a role attribute.</summary>
        public static readonly DiagnosticDescriptor MissingAttribute = Make("SYM009", "Forward parameter needs a role attribute",
            "The parameter '{0}' of Forward needs one of [Input(length)], [Weight(rows, cols)] or [Bias(length)]");

        /// <summary>SYM010: a Forward parameter with more than one role attribute.</summary>
        public static readonly DiagnosticDescriptor DuplicateAttribute = Make("SYM010", "Forward parameter has several role attributes",
            "The parameter '{0}' of Forward has {1}; give it exactly one of [Input], [Weight] or [Bias]");

        /// <summary>SYM011: a Forward parameter the output does not depend on.</summary>
        public static readonly DiagnosticDescriptor UnusedParameter = Make("SYM011", "Unused Forward parameter",
            "The parameter '{0}' of Forward does not contribute to the output; remove it or use it");

        /// <summary>SYM012: the output is not computed from an input.</summary>
        public static readonly DiagnosticDescriptor NoPathFromInput = Make("SYM012", "No path from an input to the output",
            "{0}");

        /// <summary>SYM013: a role or graph attribute with an invalid argument (a non-positive size, a product of sizes over int.MaxValue, a bad Loss), at the attribute.</summary>
        public static readonly DiagnosticDescriptor InvalidAttributeArgument = Make("SYM013", "Invalid attribute argument",
            "The attribute on '{0}' has an invalid argument: {1}");

        /// <summary>SYM014: an identifier that is neither a Forward parameter nor an earlier local.</summary>
        public static readonly DiagnosticDescriptor UnknownIdentifier = Make("SYM014", "Unknown name in a graph declaration",
            "'{0}' is neither a parameter of Forward nor a local declared before this use");

        /// <summary>SYM015: an op argument of the wrong form (a slope that is not a constant, a named or ref argument).</summary>
        public static readonly DiagnosticDescriptor InvalidOpArgument = Make("SYM015", "Invalid op argument",
            "{0}");

        /// <summary>SYM016: Forward does not end with a return.</summary>
        public static readonly DiagnosticDescriptor MissingReturn = Make("SYM016", "Forward must return the output",
            "Forward in '{0}' must end with 'return expression;' naming the graph's output");

        /// <summary>SYM017: a local the output does not depend on.</summary>
        public static readonly DiagnosticDescriptor UnusedLocal = Make("SYM017", "Unused local in a graph declaration",
            "The local '{0}' does not contribute to the output; remove it or use it");

        /// <summary>SYM018: the class, or one of its members, has a name the generator emits into the class.</summary>
        public static readonly DiagnosticDescriptor ReservedName = Make("SYM018", "Name reserved by the generator",
            "'{0}' declares {1}, a name the Symbolic generator emits into the class; rename it");

        /// <summary>SYM019: the graph uses an op that the generator cannot lower to compiled code.</summary>
        public static readonly DiagnosticDescriptor MissingLowering = Make("SYM019", "Op without a generator lowering",
            "The op {0} in graph '{1}' has no lowering in the source generator; its compiled code cannot be emitted (the reference engine still runs the graph)");

        /// <summary>SYM099: a bug in the generator, reported instead of thrown.</summary>
        public static readonly DiagnosticDescriptor InternalError = Make("SYM099", "Internal generator error",
            "The Symbolic generator failed on '{0}': {1}; this is a bug, please report it");

        /// <summary>All descriptors by ID.</summary>
        public static readonly IReadOnlyDictionary<string, DiagnosticDescriptor> ById = Index(
            NotStaticPartial, GenericClass, NestedClass, MissingForward, UnsupportedStatement, UnsupportedExpression, UnknownOp,
            InvalidGraph, MissingAttribute, DuplicateAttribute, UnusedParameter, NoPathFromInput, InvalidAttributeArgument,
            UnknownIdentifier, InvalidOpArgument, MissingReturn, UnusedLocal, ReservedName, MissingLowering, InternalError);

        private static DiagnosticDescriptor Make(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static IReadOnlyDictionary<string, DiagnosticDescriptor> Index(params DiagnosticDescriptor[] all)
        {
            var map = new Dictionary<string, DiagnosticDescriptor>();
            foreach (var d in all) map.Add(d.Id, d);
            return map;
        }
    }
}
