using System;
using System.Collections.Generic;
using System.Numerics;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// A rule's own buffers that live beside the compiled step (ψ's backward matrices, target propagation's LU factors): set
/// up once per step before the shards run, closed after the update, and saved in checkpoints when they carry state.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IRuleBuffers<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Prepares the step from the parameters before any shard runs (on the calling thread).</summary>
    /// <exception cref="ArithmeticException">The parameters cannot serve the rule (e.g. a singular weight); nothing has been changed.</exception>
    void BeginStep(ParameterArrays<T> parameters);

    /// <summary>Closes the step after the parameters were updated.</summary>
    void EndStep();

    /// <summary>The state a checkpoint saves: name, shape, values. Empty for buffers without state between steps.</summary>
    IReadOnlyList<(string Name, int[] Shape, T[] Values)> Tensors();

    /// <summary>
    /// The rule's matrices that the shards' products read and nothing writes between <see cref="BeginStep"/> and
    /// <see cref="EndStep"/> (backward matrices), so the products may share their packed panels like the parameters';
    /// null entries are skipped. Empty by default.
    /// </summary>
    T[]?[] SteadyMatrices => System.Array.Empty<T[]?>();

    /// <summary>Restores what <see cref="Tensors"/> saved; <paramref name="values"/> finds a tensor by name (null when absent).</summary>
    void Restore(Func<string, T[]?> values);
}
