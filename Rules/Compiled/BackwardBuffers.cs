using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// A compiled rule's own backward matrices, by parameter index (null for parameters that are not a product's matrix):
/// fixed ones (feedback alignment, fixed random ψ), or learned ψ kept as ψ = W − D with the offset D = W₀ − ψ₀ taken at
/// the first step, so ψ follows every update of W (the transpose update of AR v5 §4) whatever the optimiser. The
/// reference engine draws the same matrices (<see cref="BackwardMatrices"/>).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class BackwardBuffers<T> : IRuleBuffers<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The prefix of the backward matrices' names in a checkpoint's rule state.</summary>
    public const string FixedPrefix = "feedback/";

    /// <summary>The prefix of learned ψ's offsets in a checkpoint's rule state.</summary>
    public const string OffsetPrefix = "psi-offset/";

    private readonly GraphLayout layout;
    private readonly T[]?[] initial;
    private readonly T[]?[] offsets;
    private bool offsetsTaken;

    /// <summary>Buffers for <paramref name="layout"/> from the drawn matrices <paramref name="matrices"/> (fixed, or ψ₀ when <paramref name="learned"/>).</summary>
    /// <param name="layout">The graph's layout.</param>
    /// <param name="matrices">By parameter index, the drawn matrices (null for parameters without one).</param>
    /// <param name="learned">Learned ψ (true) or fixed matrices.</param>
    /// <param name="decay">Learned ψ's decay per step: ψ ← (1 − decay) ψ − (W's update)ᵀ.</param>
    /// <exception cref="ArgumentException">A matrix does not fit, or the decay is outside [0, 1) or given for fixed matrices.</exception>
    public BackwardBuffers(GraphLayout layout, T[]?[] matrices, bool learned, double decay = 0.0)
    {
        if (!(decay >= 0 && decay < 1)) throw new ArgumentException("The decay of learned psi must be in [0, 1); got " + decay + ".", nameof(decay));
        if (decay > 0 && !learned) throw new ArgumentException("Only learned backward weights decay.", nameof(decay));
        Decay = decay;
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(matrices);
        if (matrices.Length != layout.ParameterIds.Length) throw new ArgumentException("One entry per parameter is needed: " + layout.ParameterIds.Length + ", got " + matrices.Length + ".", nameof(matrices));
        for (int k = 0; k < matrices.Length; k++)
        {
            if (matrices[k] is { } m && m.Length != layout.ParameterSizes[k]) throw new ArgumentException("The backward matrix of parameter " + k + " has " + m.Length + " values, not " + layout.ParameterSizes[k] + ".", nameof(matrices));
        }
        this.layout = layout;
        Learned = learned;
        initial = matrices;
        offsets = new T[]?[matrices.Length];
        Matrices = new T[]?[matrices.Length];
        for (int k = 0; k < matrices.Length; k++)
        {
            if (matrices[k] is null) continue;
            Matrices[k] = learned ? (T[])matrices[k]!.Clone() : matrices[k];
            if (learned) offsets[k] = new T[matrices[k]!.Length];
        }
    }

    /// <summary>Learned ψ's decay per step (0: W − ψᵀ stays at its initial value).</summary>
    public double Decay { get; }

    /// <summary>Learned ψ (true) or fixed matrices.</summary>
    public bool Learned { get; }

    /// <summary>The backward matrices of the current step, by parameter index (what the phases pass as backward matrices).</summary>
    public T[]?[] Matrices { get; }

    /// <inheritdoc/>
    public T[]?[] SteadyMatrices => Matrices;

    /// <summary>Before a step: for learned ψ, ψ = W − D (D taken as W − ψ₀ at the first step). Allocates nothing.</summary>
    public void BeginStep(ParameterArrays<T> parameters)
    {
        if (!Learned) return;
        var w = parameters.Arrays;
        if (!offsetsTaken)
        {
            for (int k = 0; k < offsets.Length; k++)
            {
                if (offsets[k] is not { } d) continue;
                var w0 = w[k];
                var psi0 = initial[k]!;
                for (int i = 0; i < d.Length; i++) d[i] = w0[i] - psi0[i];
            }
            offsetsTaken = true;
        }
        for (int k = 0; k < offsets.Length; k++)
        {
            if (offsets[k] is not { } d) continue;
            var psi = Matrices[k]!;
            var wk = w[k];
            for (int i = 0; i < d.Length; i++) psi[i] = wk[i] - d[i];
        }
    }

    /// <summary>
    /// After a step's update: with a decay, D ← D + decay ψ (ψ of the step), which with W's update u gives
    /// ψ ← (1 − decay) ψ − uᵀ for the next step. Allocates nothing.
    /// </summary>
    public void EndStep()
    {
        if (!Learned || Decay == 0) return;
        T decay = T.CreateChecked(Decay);
        for (int k = 0; k < offsets.Length; k++)
        {
            if (offsets[k] is not { } d) continue;
            var psi = Matrices[k]!;
            for (int i = 0; i < d.Length; i++) d[i] += decay * psi[i];
        }
    }

    /// <summary>What a checkpoint saves: the fixed matrices, or learned ψ's offsets once taken (name, shape, values).</summary>
    public IReadOnlyList<(string Name, int[] Shape, T[] Values)> Tensors()
    {
        var tensors = new List<(string, int[], T[])>();
        for (int k = 0; k < initial.Length; k++)
        {
            if (initial[k] is null) continue;
            var node = layout.Graph.Nodes[layout.ParameterIds[k]];
            var shape = node.Shape.Dims.ToArray();
            if (!Learned) tensors.Add((FixedPrefix + node.Name, shape, initial[k]!));
            else if (offsetsTaken) tensors.Add((OffsetPrefix + node.Name, shape, offsets[k]!));
        }
        return tensors;
    }

    /// <summary>Restores what <see cref="Tensors"/> saved (<paramref name="values"/> looks a tensor up by name, null when absent).</summary>
    /// <exception cref="ArgumentException">A saved tensor has the wrong size, or learned ψ's offsets are partly missing.</exception>
    public void Restore(Func<string, T[]?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int found = 0, expected = 0;
        for (int k = 0; k < initial.Length; k++)
        {
            if (initial[k] is null) continue;
            expected++;
            var name = layout.Graph.Nodes[layout.ParameterIds[k]].Name;
            var saved = values((Learned ? OffsetPrefix : FixedPrefix) + name);
            if (saved is null) continue;
            if (saved.Length != initial[k]!.Length) throw new ArgumentException("The saved backward state of '" + name + "' has " + saved.Length + " values, not " + initial[k]!.Length + ".", nameof(values));
            saved.CopyTo(Learned ? offsets[k]! : Matrices[k]!, 0);
            if (!Learned) saved.CopyTo(initial[k]!, 0);
            found++;
        }
        if (Learned && found != 0 && found != expected) throw new ArgumentException("The checkpoint holds learned ψ's offsets for " + found + " of " + expected + " weights.", nameof(values));
        if (Learned && found == expected) offsetsTaken = true;
    }
}
