using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>Which departure from orthogonality <see cref="Orthogonality"/> penalises.</summary>
public enum OrthogonalityPenalty
{
    /// <summary>Σ_{i≠j} ((W Wᵀ)_ij)²: the off-diagonal of W Wᵀ only, the GAIT-prop authors' form (rows of any norm).</summary>
    OffDiagonal,
    /// <summary>‖W Wᵀ − I‖²_F: also pulls every row to unit norm.</summary>
    Frobenius,
}

/// <summary>The orthogonality penalty of a weight matrix and its gradient.</summary>
public static class Orthogonality
{
    /// <summary>The penalty of <paramref name="w"/> (without λ).</summary>
    public static double Penalty(Matrix<double> w, OrthogonalityPenalty form)
    {
        ArgumentNullException.ThrowIfNull(w);
        var d = Departure(w, form);
        return d.Enumerate().Sum(v => v * v);
    }

    /// <summary>d Penalty / dW = 4 D W, D the penalised part of W Wᵀ (symmetric).</summary>
    public static Matrix<double> Gradient(Matrix<double> w, OrthogonalityPenalty form)
    {
        ArgumentNullException.ThrowIfNull(w);
        return 4.0 * (Departure(w, form) * w);
    }

    private static Matrix<double> Departure(Matrix<double> w, OrthogonalityPenalty form)
    {
        var gram = w * w.Transpose();
        return form switch
        {
            OrthogonalityPenalty.OffDiagonal => gram - Matrix<double>.Build.DiagonalOfDiagonalVector(gram.Diagonal()),
            OrthogonalityPenalty.Frobenius => gram - Matrix<double>.Build.DenseIdentity(gram.RowCount),
            _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown orthogonality penalty."),
        };
    }
}

/// <summary>
/// Any rule with λ × the orthogonality penalty's gradient added to the update of every weight matrix (kernels and biases
/// untouched), as the GAIT-prop authors regularise backprop, GAIT-prop and TP alike. The authors add λ ∇ to the
/// batch-mean gradient; updates here are summed over the batch, so the term enters as batch size × λ ∇, which keeps
/// their λ (0.1 for GAIT-prop, 1000 for TP) meaning the same.
/// </summary>
/// <param name="Rule">The rule whose updates are regularised.</param>
/// <param name="Lambda">λ ≥ 0.</param>
/// <param name="Form">The penalty: off-diagonal (the authors') or the full ‖W Wᵀ − I‖².</param>
public sealed partial record OrthogonalityRegularised(LearningRule Rule, double Lambda, OrthogonalityPenalty Form = OrthogonalityPenalty.OffDiagonal) : LearningRule
{
    /// <summary>The regularised rule.</summary>
    public LearningRule Rule { get; } = Rule ?? throw new ArgumentNullException(nameof(Rule));

    /// <summary>λ, finite and ≥ 0.</summary>
    public double Lambda { get; } = double.IsFinite(Lambda) && Lambda >= 0 ? Lambda : throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "The orthogonality weight lambda must be finite and at least 0.");

    /// <inheritdoc/>
    public override string Name => Rule.Name;

    /// <inheritdoc/>
    public override RuleState InitialState(ComputationGraph graph, ParameterSet parameters) => Rule.InitialState(graph, parameters);

    /// <inheritdoc/>
    public override RuleUpdate Compute(ComputationGraph graph, ParameterSet parameters, Batch batch, RuleState state)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(batch);
        var inner = Rule.Compute(graph, parameters, batch, state);
        double scale = batch.Size * Lambda, penalty = 0;
        var updates = inner.Updates.Map((name, update) =>
        {
            if (graph[name].Op != OpKind.Weight) return update;
            penalty += Orthogonality.Penalty(parameters[name], Form);
            return update + scale * Orthogonality.Gradient(parameters[name], Form);
        });
        return inner with { Updates = updates, Metrics = inner.Metrics.SetItem("orthogonality", penalty) };
    }
}
