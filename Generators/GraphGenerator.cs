using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// The Symbolic source generator: for every <c>[ComputationGraph] static partial class</c> it reads the
    /// <c>Forward</c> declaration (<see cref="Parser"/>) into a value-equatable <see cref="GraphModel"/> and writes
    /// the graph value and specialised engines (<see cref="Emitter"/>) to a file named by <see cref="HintNames"/>.
    /// Problems are diagnostics, never exceptions.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class GraphGenerator : IIncrementalGenerator
    {
        /// <summary>The tracking name of the parse step (for incremental tests).</summary>
        public const string ParseStep = "Symbolic.Parse";

        /// <summary>The tracking name of the step that collects the names of the classes that get a file (for their hint names).</summary>
        public const string NamesStep = "Symbolic.Names";

        /// <summary>The fully qualified name of the marker attribute.</summary>
        public const string AttributeName = "Symbolic.Graph.ComputationGraphAttribute";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // Every type declaration the attribute sits on, so a record, struct or interface gets SYM001 instead of silence.
            var models = context.SyntaxProvider
                .ForAttributeWithMetadataName(AttributeName, static (node, _) => node is BaseTypeDeclarationSyntax || node is DelegateDeclarationSyntax, static (ctx, ct) => Parser.Parse(ctx, ct))
                .WithTrackingName(ParseStep);
            // Hint names must be unique ignoring case across the compilation: each file's name depends on the others' class names
            // (an equatable list, so an edit that renames no class leaves every output cached).
            var names = models
                .Select(static (model, _) => model.Class.CanExtend ? model.Class.FullName : null)
                .Collect()
                .Select(static (all, _) => HintNames.Collect(all))
                .WithTrackingName(NamesStep);
            context.RegisterSourceOutput(models.Combine(names), static (spc, pair) => Produce(spc, pair.Left, pair.Right));
        }

        private static void Produce(SourceProductionContext context, GraphModel model, EquatableArray<string> names)
        {
            foreach (var diagnostic in model.Diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
            try
            {
                var (source, diagnostics) = Emitter.Emit(model);
                foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
                if (source is not null) context.AddSource(HintNames.For(model.Class.FullName, names), SourceText.From(source, System.Text.Encoding.UTF8));
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, model.Location?.ToLocation() ?? Location.None, model.Class.Name, e.GetType().Name + ": " + e.Message));
            }
        }
    }
}
