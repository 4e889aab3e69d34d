using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// Runs a generated graph struct through the generic passes and every registered rule's compiled driver, returning
/// each value, adjoint, unit, gradient, AR update and post-step parameter by name as doubles (for <see cref="Comparison"/>).
/// Called through reflection on structs compiled at test time (<see cref="Invoke"/>).
/// </summary>
public static class CompiledHarness
{
    /// <summary>Runs <see cref="Run{TGraph, T}"/> for the struct <paramref name="graphStruct"/> over <paramref name="scalar"/>.</summary>
    public static Dictionary<string, double[]> Invoke(Type graphStruct, Type scalar, ParameterSet set, double[][] inputs, double[] targets, int batch, RelaxationOptions options, IReadOnlyList<LearningRule> rules) =>
        (Dictionary<string, double[]>)typeof(CompiledHarness).GetMethod(nameof(Run))!.MakeGenericMethod(graphStruct, scalar)
            .Invoke(null, new object[] { set, inputs, targets, batch, options, rules })!;

    /// <summary>The passes and rules on one graph, parameter set and batch.</summary>
    public static Dictionary<string, double[]> Run<TGraph, T>(ParameterSet set, double[][] inputs, double[] targets, int batch, RelaxationOptions options, IReadOnlyList<LearningRule> rules)
        where TGraph : struct, ICompiledGraph<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        static T[] In(double[] a) => a.Select(T.CreateChecked).ToArray();
        static double[] Out(IEnumerable<T> a) => a.Select(double.CreateChecked).ToArray();
        var layout = TGraph.Layout;
        var g = layout.Graph;
        var p = new ParameterArrays<T>(layout);
        p.CopyFrom(set);
        var ws = new Workspace<T>(layout, batch + 1);
        var data = new CompiledBatch<T>(inputs.Select(In).ToArray(), In(targets), batch);
        var r = new Dictionary<string, double[]>
        {
            ["loss"] = new[] { double.CreateChecked(GraphPasses<TGraph, T>.Forward(p, data, ws)) },
        };
        foreach (var n in g.Nodes.Where(n => n.Role != NodeRole.Parameter)) r["value:" + n.Name] = Out(ws.GetValue(n.Name).Take(batch * n.Size));
        GraphPasses<TGraph, T>.Backprop(p, ws, batch);
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Computed)) r["adjoint:" + n.Name] = Out(ws.GetAdjoint(n.Name).Take(batch * n.Size));
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Parameter)) r["grad:" + n.Name] = Out(ws.GetGradient(n.Name));
        r["iterations"] = new double[] { GraphPasses<TGraph, T>.Relax(p, ws, batch, options) };
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Computed)) r["unit:" + n.Name] = Out(ws.GetUnit(n.Name).Take(batch * n.Size));
        GraphPasses<TGraph, T>.ArUpdates(ws, batch);
        foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Parameter)) r["ar:" + n.Name] = Out(ws.GetGradient(n.Name));

        // One training step of every rule: plain SGD (fused into the products) and Adam (gradients, then its update),
        // single-threaded and on two threads.
        for (int k = 0; k < rules.Count; k++)
        {
            foreach (var optimiser in OptimisersFor(typeof(T)))
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    var stepped = new ParameterArrays<T>(layout);
                    stepped.CopyFrom(set);
                    using var state = rules[k].CreateState<TGraph, T>(batch, threads);
                    string key = "rule" + k + ":" + optimiser.GetType().Name + ":" + threads;
                    try
                    {
                        r[key + ":loss"] = new[] { double.CreateChecked(rules[k].Step(stepped, data, optimiser, state)) };
                    }
                    catch (ArithmeticException)
                    {
                        // A rule whose dynamics diverge (e.g. Jacobians at growing units through a product) must refuse
                        // the step and leave the parameters as they were; the comparison checks both.
                        r[key + ":threw"] = new[] { 1.0 };
                    }
                    foreach (var n in g.Nodes.Where(n => n.Role == NodeRole.Parameter)) r[key + ":" + n.Name] = Out(stepped.Get(n.Name));
                }
            }
        }
        return r;
    }

    /// <summary>
    /// The optimisers each rule's step is checked with: plain SGD (fused into the products) and, in float64, Adam
    /// (gradients, then its update). Adam's first step is about lr * sign(g), which float32 rounding flips for gradients
    /// near zero, so float32 checks SGD only.
    /// </summary>
    public static Optimiser[] OptimisersFor(Type scalar) => scalar == typeof(double) ? new Optimiser[] { new Sgd(0.01), new Adam(0.01) } : new Optimiser[] { new Sgd(0.01) };
}
