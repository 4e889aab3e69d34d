using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Symbolic.Generators
{
    /// <summary>
    /// The Symbolic source generator: for every <c>[ComputationGraph] static partial class</c> it reads the
    /// <c>Forward</c> declaration (<see cref="Parser"/>) into a value-equatable <see cref="GraphModel"/> and writes
    /// the graph value and specialised engines (<see cref="Emitter"/>). Problems are diagnostics, never exceptions.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class GraphGenerator : IIncrementalGenerator
    {
        /// <summary>The tracking name of the parse step (for incremental tests).</summary>
        public const string ParseStep = "Symbolic.Parse";

        /// <summary>The fully qualified name of the marker attribute.</summary>
        public const string AttributeName = "Symbolic.Graph.ComputationGraphAttribute";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var models = context.SyntaxProvider
                .ForAttributeWithMetadataName(AttributeName, static (node, _) => node is ClassDeclarationSyntax, static (ctx, ct) => Parser.Parse(ctx, ct))
                .WithTrackingName(ParseStep);
            context.RegisterSourceOutput(models, static (spc, model) => Produce(spc, model));
        }

        private static void Produce(SourceProductionContext context, GraphModel model)
        {
            foreach (var diagnostic in model.Diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
            try
            {
                var (source, diagnostics) = Emitter.Emit(model);
                foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
                if (source is not null) context.AddSource(model.Class.HintName, SourceText.From(source, System.Text.Encoding.UTF8));
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, model.Class.Name, e.GetType().Name + ": " + e.Message));
            }
        }
    }
}
