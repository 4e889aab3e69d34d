using System.Numerics;
using Symbolic.Rules.Compiled;

namespace Symbolic.Rules.Compiled;

/// <summary>
/// AR's backward phase with the unfrozen feedforward pass of arXiv 2010.06219, in any combination: the relaxation's
/// Jacobians at the current units (<see cref="RelaxationOptions.JacobiansAtCurrentUnits"/>), the weight update's f′ at
/// the current units, and the weight update's inputs from the relaxed units; with the transpose or the rule's own
/// backward matrices. The forward pass is saved and put back wherever an option leaves the stored value in use.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Options">The relaxation settings.</param>
/// <param name="Own">The rule's backward matrices, or null for the forward weights' transpose.</param>
/// <param name="DerivativeInUpdate">Whether the weight update takes f′.</param>
/// <param name="UpdateDerivativeAtCurrentUnits">Whether the update's f′ is taken at the current units.</param>
/// <param name="UpdateInputsAtCurrentUnits">Whether the update's inputs are the relaxed units.</param>
public readonly record struct CurrentUnitsRelaxationPhase<T>(RelaxationOptions Options, BackwardBuffers<T>? Own, bool DerivativeInUpdate, bool UpdateDerivativeAtCurrentUnits, bool UpdateInputsAtCurrentUnits)
    : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        var stored = StoredPass<T>.Of(workspace);
        stored.Save(workspace, batch);
        var matrices = Own?.Matrices;
        bool own = Own is not null;
        switch ((own, Options.UseDerivative))
        {
            case (false, true): GraphPasses<TGraph, T>.Relax<TransposeWithDerivative<T>>(parameters, null, workspace, batch, Options); break;
            case (false, false): GraphPasses<TGraph, T>.Relax<TransposeWithoutDerivative<T>>(parameters, null, workspace, batch, Options); break;
            case (true, true): GraphPasses<TGraph, T>.Relax<OwnMatricesWithDerivative<T>>(parameters, matrices!, workspace, batch, Options); break;
            default: GraphPasses<TGraph, T>.Relax<OwnMatricesWithoutDerivative<T>>(parameters, matrices!, workspace, batch, Options); break;
        }
        var order = TGraph.Layout.Units(Options.Units);
        bool overwritten = Options.JacobiansAtCurrentUnits, atFinalUnits = false;
        if (Options.Units == UnitPlacement.Layers && (DerivativeInUpdate != Options.UseDerivative || Options.JacobiansAtCurrentUnits || UpdateDerivativeAtCurrentUnits))
        {
            if (UpdateDerivativeAtCurrentUnits)
            {
                GraphPasses<TGraph, T>.CurrentPass(parameters, workspace, batch, order);
                overwritten = atFinalUnits = true;
            }
            else if (overwritten)
            {
                stored.Restore(workspace, batch, withDerivatives: true);
                overwritten = false;
            }
            switch ((own, DerivativeInUpdate))
            {
                case (false, true): GraphPasses<TGraph, T>.PropagateInterior<TransposeWithDerivative<T>>(parameters, null, workspace, batch, order); break;
                case (false, false): GraphPasses<TGraph, T>.PropagateInterior<TransposeWithoutDerivative<T>>(parameters, null, workspace, batch, order); break;
                case (true, true): GraphPasses<TGraph, T>.PropagateInterior<OwnMatricesWithDerivative<T>>(parameters, matrices!, workspace, batch, order); break;
                default: GraphPasses<TGraph, T>.PropagateInterior<OwnMatricesWithoutDerivative<T>>(parameters, matrices!, workspace, batch, order); break;
            }
        }
        // The parameter products read the workspace's values as the update's inputs.
        if (UpdateInputsAtCurrentUnits)
        {
            if (!atFinalUnits) GraphPasses<TGraph, T>.CurrentPass(parameters, workspace, batch, order);
        }
        else if (overwritten)
        {
            stored.Restore(workspace, batch, withDerivatives: false);
        }
        return workspace.Units;
    }
}

/// <summary>Strict predictive coding's backward phase: <see cref="GraphPasses{TGraph, T}.InferStrict"/>, whose errors and final predictions the parameter products read.</summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="Steps">The inference steps.</param>
/// <param name="Rate">The inference rate.</param>
/// <param name="Units">Where the value nodes sit.</param>
public readonly record struct StrictPredictiveCodingPhase<T>(int Steps, double Rate, UnitPlacement Units) : IBackwardPhase<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public T[][] Run<TGraph>(ParameterArrays<T> parameters, Workspace<T> workspace, int batch) where TGraph : struct, ICompiledGraph<T>
    {
        GraphPasses<TGraph, T>.InferStrict(parameters, workspace, batch, Steps, Rate, Units);
        return workspace.Units;
    }
}
