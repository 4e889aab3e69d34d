using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// Reads a <c>[ComputationGraph]</c> class symbolically: the attributes of <c>Forward</c>'s parameters give the
    /// leaves, the body's local declarations and final return give the computed nodes. Every node is added through a
    /// <see cref="GraphBuilder"/>, so shape rules are the model's own; every problem becomes a diagnostic value.
    /// Never throws (except on cancellation).
    /// </summary>
    internal static class Parser
    {
        private const string AttributeNamespace = "Symbolic.Graph.";

        /// <summary>The vocabulary the generator emits into every class it can extend: the <c>Node</c> placeholder and the op methods (sorted, so diagnostics keep a stable order).</summary>
        private static readonly string[] VocabularyNames =
            new[] { "Node" }.Concat(OpTable.Declared.Select(op => op.DeclarationName!).OrderBy(n => n, StringComparer.Ordinal)).ToArray();

        /// <summary>Every name the generator emits into the class: the graph members, then the vocabulary.</summary>
        private static readonly string[] ReservedNames = new[] { "Graph", "CreateGraph", "Float32", "Float64" }.Concat(VocabularyNames).ToArray();

        /// <summary>Parses the type the attribute sits on.</summary>
        public static GraphModel Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var symbol = context.TargetSymbol as INamedTypeSymbol;
            if (symbol is null)
            {
                return new GraphModel(new ClassInfo("", "?", false, false, "?", EquatableArray<string>.Empty), null, EquatableArray<DiagnosticInfo>.Empty);
            }
            var classInfo = Describe(symbol, cancellationToken);
            var target = context.TargetNode;
            var classLocation = LocationInfo.From(Identifier(target).GetLocation());
            if (!IsFirstMarkedPart(symbol, target, cancellationToken))
            {
                // Another part of the same partial type carries the attribute too; that part produces the model.
                return new GraphModel(classInfo with { CanExtend = false }, null, EquatableArray<DiagnosticInfo>.Empty);
            }
            if (!(target is ClassDeclarationSyntax syntax))
            {
                // A record, struct, interface, enum or delegate: only a static partial class can hold a graph.
                var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.NotStaticPartial, classLocation, symbol.Name, KindInWords(symbol));
                return new GraphModel(classInfo, null, EquatableArray.Create(diagnostic), classLocation);
            }
            try
            {
                var state = new State(context.SemanticModel, symbol, cancellationToken);
                var graph = state.Run(syntax, context.Attributes, classInfo);
                return new GraphModel(classInfo, state.Diagnostics.Count == 0 ? graph : null, state.Diagnostics.ToEquatableArray(), classLocation);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception e)
            {
                var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, classLocation, symbol.Name, e.GetType().Name + ": " + e.Message);
                return new GraphModel(classInfo, null, EquatableArray.Create(diagnostic), classLocation);
            }
        }

        /// <summary>The name token of a type declaration.</summary>
        private static SyntaxToken Identifier(SyntaxNode node) => node switch
        {
            BaseTypeDeclarationSyntax type => type.Identifier,
            DelegateDeclarationSyntax d => d.Identifier,
            _ => node.GetFirstToken(),
        };

        /// <summary>What a type that is not a class is, for SYM001: "a record", "a struct", ...</summary>
        private static string KindInWords(INamedTypeSymbol symbol) => symbol.TypeKind switch
        {
            TypeKind.Class when symbol.IsRecord => "a record",
            TypeKind.Struct when symbol.IsRecord => "a record struct",
            TypeKind.Struct => "a struct",
            TypeKind.Interface => "an interface",
            TypeKind.Enum => "an enum",
            TypeKind.Delegate => "a delegate",
            _ => "a " + symbol.TypeKind.ToString().ToLowerInvariant(),
        };

        private static bool IsFirstMarkedPart(INamedTypeSymbol symbol, SyntaxNode target, CancellationToken cancellationToken)
        {
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                if (!(reference.GetSyntax(cancellationToken) is MemberDeclarationSyntax part)) continue;
                bool marked = part.AttributeLists.SelectMany(l => l.Attributes).Any(a =>
                {
                    string name = a.Name is QualifiedNameSyntax q ? q.Right.Identifier.ValueText : a.Name is AliasQualifiedNameSyntax aq ? aq.Name.Identifier.ValueText : a.Name.ToString();
                    return name == "ComputationGraph" || name == "ComputationGraphAttribute";
                });
                if (marked) return part == target;
            }
            return true;
        }

        private static ClassInfo Describe(INamedTypeSymbol symbol, CancellationToken cancellationToken)
        {
            var segments = new List<string>();
            for (var ns = symbol.ContainingNamespace; ns is not null && !ns.IsGlobalNamespace; ns = ns.ContainingNamespace) segments.Insert(0, ns.Name);
            // Error recovery can leave a name empty or half-written; the compiler reports that, and nothing is emitted.
            bool validNames = SyntaxFacts.IsValidIdentifier(symbol.Name) && segments.All(SyntaxFacts.IsValidIdentifier);
            bool isClass = symbol.TypeKind == TypeKind.Class && !symbol.IsRecord;
            bool partial = symbol.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));
            bool canExtend = isClass && partial && symbol.ContainingType is null && !symbol.IsGenericType && validNames;
            var taken = VocabularyNames.Where(name => symbol.Name == name || symbol.GetMembers(name).Any(m => !m.IsImplicitlyDeclared)).ToEquatableArray();
            return new ClassInfo(string.Join(".", segments.Select(Escape)), Escape(symbol.Name), symbol.IsStatic, canExtend,
                string.Join(".", segments.Concat(new[] { symbol.Name })), taken);
        }

        /// <summary>An identifier as C# source: keywords and contextual keywords get an '@'.</summary>
        public static string Escape(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        private sealed class State
        {
            private readonly SemanticModel model;
            private readonly INamedTypeSymbol symbol;
            private readonly CancellationToken cancellation;
            private readonly Dictionary<string, NodeRef?> scope = new Dictionary<string, NodeRef?>(StringComparer.Ordinal);
            private readonly Dictionary<string, LocationInfo?> locations = new Dictionary<string, LocationInfo?>(StringComparer.Ordinal);
            private readonly HashSet<string> taken = new HashSet<string>(StringComparer.Ordinal);
            private readonly List<(string Name, NodeRef Node, LocationInfo? Location)> parameters = new List<(string, NodeRef, LocationInfo?)>();
            private readonly List<(string Name, NodeRef Node, LocationInfo? Location)> locals = new List<(string, NodeRef, LocationInfo?)>();
            private GraphBuilder builder = new GraphBuilder();
            private SemanticModel? bodyModel;
            private string owner = "output";

            public State(SemanticModel model, INamedTypeSymbol symbol, CancellationToken cancellation)
            {
                this.model = model;
                this.symbol = symbol;
                this.cancellation = cancellation;
            }

            public List<DiagnosticInfo> Diagnostics { get; } = new List<DiagnosticInfo>();

            private void Report(DiagnosticDescriptor descriptor, SyntaxNode? at, params string[] args) =>
                Diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(at), args));

            private void Report(DiagnosticDescriptor descriptor, LocationInfo? at, params string[] args) =>
                Diagnostics.Add(DiagnosticInfo.Create(descriptor, at, args));

            public ComputationGraph? Run(ClassDeclarationSyntax syntax, System.Collections.Immutable.ImmutableArray<AttributeData> attributes, ClassInfo info)
            {
                var classLocation = LocationInfo.From(syntax.Identifier.GetLocation());
                bool partial = symbol.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellation) is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial || !symbol.IsStatic)
                {
                    Report(DiagnosticDescriptors.NotStaticPartial, classLocation, symbol.Name,
                        !partial && !symbol.IsStatic ? "neither static nor partial" : !partial ? "not partial" : "not static");
                }
                if (symbol.IsGenericType) Report(DiagnosticDescriptors.GenericClass, classLocation, symbol.Name);
                if (symbol.ContainingType is not null) Report(DiagnosticDescriptors.NestedClass, classLocation, symbol.Name, symbol.ContainingType.Name);
                // The generator adds these members to the class: a user's own would collide with them.
                foreach (var reserved in ReservedNames)
                {
                    if (symbol.Name == reserved) Report(DiagnosticDescriptors.ReservedName, classLocation, symbol.Name, "the class name '" + reserved + "'");
                    foreach (var member in symbol.GetMembers(reserved))
                    {
                        if (member.IsImplicitlyDeclared) continue;
                        Report(DiagnosticDescriptors.ReservedName, LocationInfo.From(member.Locations.FirstOrDefault()) ?? classLocation, symbol.Name, "a member '" + reserved + "'");
                    }
                }

                var loss = LossKind.SquaredError;
                foreach (var attribute in attributes)
                {
                    foreach (var named in attribute.NamedArguments)
                    {
                        if (named.Key != "Loss") continue;
                        if (named.Value.Value is int raw && (raw == (int)LossKind.SquaredError || raw == (int)LossKind.SoftmaxCrossEntropy)) loss = (LossKind)raw;
                        else Report(DiagnosticDescriptors.InvalidAttributeArgument, NamedArgumentLocation(attribute, "Loss") ?? classLocation, symbol.Name, "Loss must be LossKind.SquaredError or LossKind.SoftmaxCrossEntropy");
                    }
                }

                var forwards = symbol.GetMembers("Forward").OfType<IMethodSymbol>().ToList();
                if (forwards.Count != 1)
                {
                    Report(DiagnosticDescriptors.MissingForward, classLocation, symbol.Name, forwards.Count == 0 ? "none" : forwards.Count.ToString(CultureInfo.InvariantCulture));
                    return null;
                }
                var forward = forwards[0];
                var method = forward.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellation)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
                if (method is null)
                {
                    Report(DiagnosticDescriptors.MissingForward, classLocation, symbol.Name, "none with a body");
                    return null;
                }
                if (method.TypeParameterList is not null)
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, method.TypeParameterList, method.TypeParameterList.ToString(), "Forward must not be generic");
                }
                bodyModel = method.SyntaxTree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(method.SyntaxTree);
                builder = new GraphBuilder(symbol.Name);

                foreach (var id in method.DescendantNodes().OfType<VariableDeclaratorSyntax>()) taken.Add(id.Identifier.ValueText);
                foreach (var p in method.ParameterList.Parameters) taken.Add(p.Identifier.ValueText);

                bool leavesOk = true;
                for (int i = 0; i < method.ParameterList.Parameters.Count; i++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var parameterSyntax = method.ParameterList.Parameters[i];
                    var parameter = i < forward.Parameters.Length ? forward.Parameters[i] : null;
                    leavesOk &= Leaf(parameterSyntax, parameter);
                }
                if (!leavesOk) return null;

                NodeRef? output = null;
                LocationInfo? outputLocation = null;
                bool returned = false;
                if (method.ExpressionBody is not null)
                {
                    output = BindOutput(method.ExpressionBody.Expression);
                    outputLocation = LocationInfo.From(method.ExpressionBody.Expression);
                    returned = true;
                }
                else if (method.Body is not null)
                {
                    foreach (var statement in method.Body.Statements)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        if (returned)
                        {
                            Report(DiagnosticDescriptors.UnsupportedStatement, statement, Short(statement));
                            continue;
                        }
                        switch (statement)
                        {
                            case LocalDeclarationStatementSyntax declaration when declaration.UsingKeyword.IsKind(SyntaxKind.None) && !declaration.IsConst && declaration.Modifiers.Count == 0:
                                foreach (var variable in declaration.Declaration.Variables)
                                {
                                    string name = variable.Identifier.ValueText;
                                    if (variable.Initializer is null || variable.ArgumentList is not null)
                                    {
                                        Report(DiagnosticDescriptors.UnsupportedStatement, variable, Short(variable));
                                        scope[name] = null;
                                        continue;
                                    }
                                    owner = name;
                                    var node = Bind(variable.Initializer.Value, name);
                                    scope[name] = node;
                                    if (node is not null) locals.Add((name, node, LocationInfo.From(variable.Identifier.GetLocation())));
                                }
                                break;
                            case ReturnStatementSyntax ret when ret.Expression is not null:
                                output = BindOutput(ret.Expression);
                                outputLocation = LocationInfo.From(ret.Expression);
                                returned = true;
                                break;
                            default:
                                Report(DiagnosticDescriptors.UnsupportedStatement, statement, Short(statement));
                                break;
                        }
                    }
                }
                if (!returned)
                {
                    Report(DiagnosticDescriptors.MissingReturn, LocationInfo.From(method.Identifier.GetLocation()), symbol.Name);
                    return null;
                }
                if (Diagnostics.Count > 0 || output is null) return null;

                if (output.Node.Role != NodeRole.Computed)
                {
                    Report(DiagnosticDescriptors.NoPathFromInput, outputLocation,
                        "The output '" + output.Name + "' is " + (output.Node.Role == NodeRole.Input ? "an input" : "a parameter") + "; a graph needs a path of computations from an input to its output");
                    return null;
                }
                if (!builder.Nodes.Any(n => n.Role == NodeRole.Input))
                {
                    Report(DiagnosticDescriptors.NoPathFromInput, LocationInfo.From(method.Identifier.GetLocation()),
                        "Forward in '" + symbol.Name + "' has no [Input] parameter; a graph needs a path from an input to its output");
                    return null;
                }

                var reaches = new bool[builder.Nodes.Count];
                reaches[output.Id] = true;
                for (int i = output.Id; i >= 0; i--)
                {
                    if (!reaches[i]) continue;
                    foreach (var p in builder.Nodes[i].Inputs) reaches[p] = true;
                }
                foreach (var (name, node, location) in parameters)
                {
                    if (!reaches[node.Id]) Report(DiagnosticDescriptors.UnusedParameter, location, name);
                }
                foreach (var (name, node, location) in locals)
                {
                    if (!reaches[node.Id]) Report(DiagnosticDescriptors.UnusedLocal, location, name);
                }
                if (Diagnostics.Count > 0) return null;

                try
                {
                    return builder.Build(output, loss);
                }
                catch (GraphBuildException e)
                {
                    Report(DiagnosticDescriptors.InvalidGraph, locations.TryGetValue(e.NodeName, out var at) ? at : outputLocation, e.Message);
                    return null;
                }
            }

            private NodeRef? BindOutput(ExpressionSyntax expression)
            {
                string name = Unwrap(expression) is IdentifierNameSyntax ? "" : Fresh("output");
                owner = name.Length > 0 ? name : "output";
                return Bind(expression, name);
            }

            private static ExpressionSyntax Unwrap(ExpressionSyntax e)
            {
                while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
                return e;
            }

            private string Fresh(string stem)
            {
                string name = stem;
                for (int k = 2; taken.Contains(name); k++) name = stem + k.ToString(CultureInfo.InvariantCulture);
                taken.Add(name);
                return name;
            }

            private static string Short(SyntaxNode node)
            {
                string text = node.ToString().Replace("\r", " ").Replace("\n", " ");
                return text.Length > 60 ? text.Substring(0, 57) + "..." : text;
            }

            private bool Leaf(ParameterSyntax syntax, IParameterSymbol? parameter)
            {
                string name = syntax.Identifier.ValueText;
                var location = LocationInfo.From(syntax);
                if (name.Length == 0 || parameter is null)
                {
                    Report(DiagnosticDescriptors.MissingAttribute, location, syntax.ToString());
                    return false;
                }
                if (syntax.Modifiers.Count > 0 || syntax.Default is not null)
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, location, Short(syntax), "Forward parameters take no modifiers and no default values");
                    return false;
                }
                var roles = parameter.GetAttributes()
                    .Where(a => a.AttributeClass is not null && IsRole(a.AttributeClass.ToDisplayString()))
                    .ToList();
                if (roles.Count == 0)
                {
                    Report(DiagnosticDescriptors.MissingAttribute, location, name);
                    return false;
                }
                if (roles.Count > 1)
                {
                    Report(DiagnosticDescriptors.DuplicateAttribute, location, name, string.Join(", ", roles.Select(r => "[" + r.AttributeClass!.Name.Replace("Attribute", "") + "]")));
                    return false;
                }
                var role = roles[0];
                string kind = role.AttributeClass!.Name;
                string roleName = kind.Substring(0, kind.Length - "Attribute".Length);
                // Problems with the attribute's arguments are reported at the attribute.
                var attributeLocation = LocationInfo.From(role.ApplicationSyntaxReference?.GetSyntax(cancellation)) ?? location;
                var args = role.ConstructorArguments;
                bool countFits = kind switch
                {
                    "WeightAttribute" => args.Length == 2,
                    "KernelAttribute" => args.Length == 4,
                    "InputAttribute" => args.Length == 1 || args.Length == 3,
                    _ => args.Length == 1,
                };
                if (!countFits || args.Any(a => a.Kind != TypedConstantKind.Primitive || !(a.Value is int)))
                {
                    string takes = kind switch
                    {
                        "WeightAttribute" => "two integer constants (rows, columns)",
                        "KernelAttribute" => "four integer constants (out channels, in channels, height, width)",
                        "InputAttribute" => "one integer constant (length) or three (channels, height, width)",
                        _ => "one integer constant (length)",
                    };
                    Report(DiagnosticDescriptors.InvalidAttributeArgument, attributeLocation, name, "[" + roleName + "] takes " + takes);
                    return false;
                }
                var dims = args.Select(a => (int)a.Value!).ToArray();
                string shape = roleName + "(" + string.Join(", ", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
                if (dims.Any(d => d <= 0))
                {
                    Report(DiagnosticDescriptors.InvalidAttributeArgument, attributeLocation, name, "every size must be positive; got " + shape);
                    return false;
                }
                long elements = dims.Aggregate(1L, (a, d) => a * d);
                if (elements > int.MaxValue)
                {
                    Report(DiagnosticDescriptors.InvalidAttributeArgument, attributeLocation, name,
                        shape + " has " + elements.ToString(CultureInfo.InvariantCulture) + " elements, more than the largest size, int.MaxValue = " +
                        int.MaxValue.ToString(CultureInfo.InvariantCulture) + " (a parameter or input is one array)");
                    return false;
                }
                NodeRef node;
                try
                {
                    node = kind == "InputAttribute" ? (dims.Length == 3 ? builder.Input(name, Shape.Image(dims[0], dims[1], dims[2])) : builder.Input(name, dims[0]))
                        : kind == "WeightAttribute" ? builder.Weight(name, dims[0], dims[1])
                        : kind == "KernelAttribute" ? builder.Kernel(name, dims[0], dims[1], dims[2], dims[3])
                        : builder.Bias(name, dims[0]);
                }
                catch (GraphBuildException e)
                {
                    Report(DiagnosticDescriptors.InvalidGraph, location, e.Message);
                    return false;
                }
                scope[name] = node;
                locations[name] = LocationInfo.From(syntax.Identifier.GetLocation());
                parameters.Add((name, node, LocationInfo.From(syntax.Identifier.GetLocation())));
                return true;
            }

            /// <summary>The location of the named argument <paramref name="name"/> of an attribute, or of the attribute when it has none.</summary>
            private LocationInfo? NamedArgumentLocation(AttributeData attribute, string name)
            {
                if (!(attribute.ApplicationSyntaxReference?.GetSyntax(cancellation) is AttributeSyntax syntax)) return null;
                var argument = syntax.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
                return LocationInfo.From((SyntaxNode?)argument ?? syntax);
            }

            private static bool IsRole(string attributeName) =>
                attributeName == AttributeNamespace + "InputAttribute" || attributeName == AttributeNamespace + "WeightAttribute" || attributeName == AttributeNamespace + "BiasAttribute" ||
                attributeName == AttributeNamespace + "KernelAttribute";

            /// <summary>Binds an expression to a node; <paramref name="name"/> names the node it makes (empty: make a fresh name).</summary>
            private NodeRef? Bind(ExpressionSyntax expression, string name)
            {
                cancellation.ThrowIfCancellationRequested();
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        return Bind(parenthesized.Expression, name);
                    case IdentifierNameSyntax identifier:
                    {
                        string id = identifier.Identifier.ValueText;
                        if (scope.TryGetValue(id, out var node)) return node;
                        Report(DiagnosticDescriptors.UnknownIdentifier, identifier, id);
                        return null;
                    }
                    case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression) || binary.IsKind(SyntaxKind.MultiplyExpression):
                    {
                        var left = Bind(binary.Left, "");
                        var right = Bind(binary.Right, "");
                        if (left is null || right is null) return null;
                        if (binary.IsKind(SyntaxKind.MultiplyExpression))
                        {
                            return left.Node.Op == OpKind.Weight
                                ? Make(OpKind.MatVec, name, NoConstants, binary, left, right)
                                : Make(OpKind.Mul, name, NoConstants, binary, left, right);
                        }
                        // A bias added to an image is per channel.
                        if (left.Node.Op == OpKind.Bias && right.Node.Op != OpKind.Bias) return Make(right.Shape.Rank == 3 ? OpKind.ChannelBiasAdd : OpKind.BiasAdd, name, NoConstants, binary, right, left);
                        if (right.Node.Op == OpKind.Bias) return Make(left.Shape.Rank == 3 ? OpKind.ChannelBiasAdd : OpKind.BiasAdd, name, NoConstants, binary, left, right);
                        return Make(OpKind.Add, name, NoConstants, binary, left, right);
                    }
                    case InvocationExpressionSyntax invocation:
                        return Invoke(invocation, name);
                    case BinaryExpressionSyntax binary:
                        Report(DiagnosticDescriptors.UnsupportedExpression, binary, Short(binary), "the only operators are '+' (sum, bias) and '*' (weight times vector, or an elementwise gate)");
                        return null;
                    default:
                        Report(DiagnosticDescriptors.UnsupportedExpression, expression, Short(expression), "use parameters, locals, '+', '*' and op calls such as Relu(x)");
                        return null;
                }
            }

            private NodeRef? Invoke(InvocationExpressionSyntax invocation, string name)
            {
                if (!(invocation.Expression is IdentifierNameSyntax callee))
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, invocation.Expression, Short(invocation.Expression), "call ops by their simple name, such as Relu(x)");
                    return null;
                }
                string opName = callee.Identifier.ValueText;
                if (!OpTable.TryGetByDeclarationName(opName, out var op))
                {
                    Report(DiagnosticDescriptors.UnknownOp, callee, opName, DiagnosticDescriptors.DeclaredOps);
                    return null;
                }
                var arguments = invocation.ArgumentList.Arguments;
                foreach (var argument in arguments)
                {
                    if (argument.NameColon is not null || !argument.RefKindKeyword.IsKind(SyntaxKind.None))
                    {
                        Report(DiagnosticDescriptors.InvalidOpArgument, argument, "The argument '" + Short(argument) + "' of " + opName + " must be a plain positional argument");
                        return null;
                    }
                }
                // Constant arguments (a leaky ReLU's slope) follow the node arguments and must be compile-time numbers.
                var constants = new double[op.Constants.Count];
                int nodeArguments = arguments.Count - op.Constants.Count;
                if (op.Constants.Count > 0)
                {
                    if (nodeArguments < op.MinArity || nodeArguments > op.MaxArity)
                    {
                        Report(DiagnosticDescriptors.InvalidOpArgument, invocation, opName + " takes " + NodeArgumentsInWords(op) + " and " +
                            string.Join(" and ", op.Constants.Select(c => "a constant " + c.Name)) + ", as in " + ExampleCall(op) + "; got " +
                            arguments.Count.ToString(CultureInfo.InvariantCulture) + " arguments");
                        return null;
                    }
                    for (int c = 0; c < op.Constants.Count; c++)
                    {
                        var expression = arguments[nodeArguments + c].Expression;
                        var constant = bodyModel!.GetConstantValue(expression, cancellation);
                        bool integral = constant.HasValue && (constant.Value is int || constant.Value is long || constant.Value is short || constant.Value is byte || constant.Value is sbyte || constant.Value is ushort || constant.Value is uint);
                        bool numeric = integral || (constant.HasValue && (constant.Value is double || constant.Value is float || constant.Value is decimal || constant.Value is ulong));
                        if (op.Constants[c].IsInteger ? !integral : !numeric)
                        {
                            Report(DiagnosticDescriptors.InvalidOpArgument, expression, "The " + op.Constants[c].Name + " '" + Short(expression) + "' of " + opName + " must be " +
                                (op.Constants[c].IsInteger ? "an integer constant" : "a numeric constant"));
                            return null;
                        }
                        constants[c] = Convert.ToDouble(constant.Value, CultureInfo.InvariantCulture);
                    }
                }
                var parents = new NodeRef[nodeArguments];
                bool ok = true;
                for (int i = 0; i < nodeArguments; i++)
                {
                    var parent = Bind(arguments[i].Expression, "");
                    if (parent is null) ok = false;
                    else parents[i] = parent;
                }
                return ok ? Make(op.Kind, name, constants, invocation, parents) : null;
            }

            /// <summary>How many node arguments an op takes, for messages: "a value", "2 values", "at least 2 values".</summary>
            private static string NodeArgumentsInWords(OpDescriptor op) =>
                op.MinArity == 1 && op.MaxArity == 1 ? "a value"
                : op.IsVariadic ? "at least " + op.MinArity.ToString(CultureInfo.InvariantCulture) + " values"
                : op.MinArity == op.MaxArity ? op.MinArity.ToString(CultureInfo.InvariantCulture) + " values"
                : op.MinArity.ToString(CultureInfo.InvariantCulture) + " to " + op.MaxArity.ToString(CultureInfo.InvariantCulture) + " values";

            /// <summary>A correct call of an op, for messages: "LeakyRelu(x, 0.01)".</summary>
            private static string ExampleCall(OpDescriptor op) =>
                op.DeclarationName + "(" + string.Join(", ", op.Arguments.Select(a => a.Name)
                    .Concat(op.Constants.Select(c => c.Example.ToString("R", CultureInfo.InvariantCulture)))) + ")";

            private static readonly double[] NoConstants = new double[0];

            private NodeRef? Make(OpKind op, string name, double[] constants, SyntaxNode at, params NodeRef[] parents)
            {
                string nodeName = name.Length > 0 ? name : Fresh(owner + "_" + op.ToString().ToLowerInvariant());
                var location = LocationInfo.From(at);
                locations[nodeName] = location;
                try
                {
                    return builder.Op(op, nodeName, constants, parents);
                }
                catch (GraphBuildException e)
                {
                    Report(DiagnosticDescriptors.InvalidGraph, location, e.Message);
                    return null;
                }
            }

        }
    }
}
