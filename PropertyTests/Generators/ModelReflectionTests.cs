using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Symbolic.Generators;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The pipeline model holds values only: no symbol, syntax node, location, tree, semantic model or compilation is
/// reachable from its types (through fields, auto-property backing fields included, array elements and generic arguments).
/// </summary>
public class ModelReflectionTests
{
    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(SyntaxTree), typeof(SemanticModel), typeof(Compilation),
        typeof(SyntaxToken), typeof(SyntaxReference), typeof(AttributeData),
    };

    [Fact]
    public void No_roslyn_object_is_reachable_from_the_model()
    {
        var root = typeof(GraphGenerator).Assembly.GetType("Symbolic.Generators.GraphModel", throwOnError: true)!;
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>();
        var from = new Dictionary<Type, string>();
        void Enqueue(Type t, Type parent, string member)
        {
            from.TryAdd(t, parent.Name + "." + member);
            queue.Enqueue(t);
        }
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            var type = queue.Dequeue();
            if (!seen.Add(type)) continue;
            Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), type + " is reachable from the model");
            Assert.False(type == typeof(object) || type == typeof(Type), "the model holds an untyped object via " + (from.TryGetValue(type, out var via) ? via : "?"));
            if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type.IsPointer) continue;
            if (type.IsArray) { Enqueue(type.GetElementType()!, type, "[]"); continue; }
            foreach (var arg in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes) Enqueue(arg, type, "<>");
            const BindingFlags All = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
            foreach (var f in type.GetFields(All)) Enqueue(f.FieldType, type, f.Name);
        }
        Assert.Contains(seen, t => t.Name == "ComputationGraph");
        Assert.Contains(seen, t => t.Name == "LocationInfo");
    }

    [Fact]
    public void Model_types_have_value_equality()
    {
        var assembly = typeof(GraphGenerator).Assembly;
        foreach (var name in new[] { "GraphModel", "ClassInfo", "LocationInfo", "DiagnosticInfo" })
        {
            var type = assembly.GetType("Symbolic.Generators." + name, throwOnError: true)!;
            Assert.Contains(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>));
        }
        // Two parses of the same text are equal values (what lets the pipeline cache).
        string source = GeneratorHarness.Declaration("static Node Forward([Input(2)] Node x, [Weight(2, 2)] Node w) => Relu(w * x);");
        Assert.Equal(GeneratorHarness.ParsedModel(source), GeneratorHarness.ParsedModel(source));
    }
}
