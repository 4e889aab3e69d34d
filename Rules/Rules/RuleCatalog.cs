using System;
using System.Collections.Immutable;
using Symbolic.Graph;

namespace Symbolic.Rules;

/// <summary>A registered rule: its name and how to draw a random configuration of it for a graph (for the property harnesses).</summary>
/// <param name="Name">The rule's short name.</param>
/// <param name="Sample">Draws a configuration of the rule valid on the graph.</param>
public sealed record RuleEntry(string Name, Func<Random, ComputationGraph, LearningRule> Sample);

/// <summary>
/// Every rule Symbolic has, each with a reference implementation (<see cref="LearningRule.Compute(ComputationGraph, ParameterSet, Batch)"/>)
/// and a compiled driver (<see cref="LearningRule.CreateState{TGraph, T}"/>). The equivalence harnesses iterate over this list,
/// so a rule registered here is tested against its reference with no new test code.
/// </summary>
public static class RuleCatalog
{
    /// <summary>The registered rules.</summary>
    public static ImmutableArray<RuleEntry> All { get; } = ImmutableArray.Create(
        new RuleEntry("bp", (_, _) => new BackpropRule()),
        new RuleEntry("ar", (random, graph) =>
        {
            var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
            var schedule = (RelaxationSchedule)random.Next(3);
            double eta = new[] { 1.0, 0.7, 0.25, 0.1 }[random.Next(4)];
            int depth = units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;
            return new ActivationRelaxationRule(new RelaxationOptions(eta, random.Next(depth + 4), 0.0, schedule, units));
        }),
        new RuleEntry("ar-fprime", (random, graph) =>
        {
            bool relax = random.Next(2) == 0, update = random.Next(2) == 0;
            var units = relax == update && random.Next(2) == 0 ? UnitPlacement.EveryNode : UnitPlacement.Layers;
            var schedules = relax ? new[] { RelaxationSchedule.Synchronous, RelaxationSchedule.TopDown, RelaxationSchedule.SynchronousClosedForm } : new[] { RelaxationSchedule.Synchronous, RelaxationSchedule.TopDown };
            int depth = units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;
            var options = new RelaxationOptions(new[] { 1.0, 0.5, 0.1 }[random.Next(3)], random.Next(depth + 4), 0.0, schedules[random.Next(schedules.Length)], units, UseDerivative: relax);
            return new ActivationRelaxationRule(options, (BackwardWeights)random.Next(3), random.Next(1000), update);
        }),
        new RuleEntry("pc", (random, graph) =>
        {
            var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
            int depth = units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;
            return new PredictiveCodingRule(random.Next(depth + 4), new[] { 1.0, 0.5, 0.1 }[random.Next(3)], (RelaxationSchedule)random.Next(3), units);
        }),
        new RuleEntry("dfa", (random, _) => new DirectFeedbackAlignmentRule(random.Next(1000), (FeedbackInit)random.Next(2))),
        new RuleEntry("fa", (random, _) => new FeedbackAlignmentRule(random.Next(1000), (FeedbackInit)random.Next(2))),
        new RuleEntry("ar-psi", (random, graph) =>
        {
            var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
            var schedule = (RelaxationSchedule)random.Next(3);
            double eta = new[] { 1.0, 0.5, 0.1 }[random.Next(3)];
            int depth = units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;
            var backward = random.Next(2) == 0 ? BackwardWeights.Learned : BackwardWeights.FixedRandom;
            double decay = backward == BackwardWeights.Learned && random.Next(2) == 0 ? 0.05 : 0.0;
            return new ActivationRelaxationRule(new RelaxationOptions(eta, random.Next(depth + 4), 0.0, schedule, units), backward, random.Next(1000), FeedbackInit: (FeedbackInit)random.Next(2), PsiDecay: decay);
        }),
        new RuleEntry("ar-current", (random, graph) =>
        {
            // The unfrozen feedforward pass in any combination, with any backward matrices and f' choice.
            bool relaxAtCurrent = random.Next(2) == 0, updateDerivativeAtCurrent = random.Next(2) == 0, inputsAtCurrent = random.Next(2) == 0;
            if (!relaxAtCurrent && !updateDerivativeAtCurrent && !inputsAtCurrent) inputsAtCurrent = true;
            bool relaxDerivative = random.Next(3) > 0, updateDerivative = updateDerivativeAtCurrent || random.Next(3) > 0;
            var units = !updateDerivativeAtCurrent && relaxDerivative == updateDerivative && random.Next(2) == 0 ? UnitPlacement.EveryNode : UnitPlacement.Layers;
            var schedules = !relaxAtCurrent && relaxDerivative
                ? new[] { RelaxationSchedule.Synchronous, RelaxationSchedule.TopDown, RelaxationSchedule.SynchronousClosedForm }
                : new[] { RelaxationSchedule.Synchronous, RelaxationSchedule.TopDown };
            int depth = units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;
            var options = new RelaxationOptions(new[] { 1.0, 0.5, 0.1 }[random.Next(3)], random.Next(depth + 4), 0.0, schedules[random.Next(schedules.Length)], units,
                UseDerivative: relaxDerivative, JacobiansAtCurrentUnits: relaxAtCurrent);
            return new ActivationRelaxationRule(options, (BackwardWeights)random.Next(3), random.Next(1000), updateDerivative, UpdateDerivativeAtCurrentUnits: updateDerivativeAtCurrent, UpdateInputsAtCurrentUnits: inputsAtCurrent);
        }),
        new RuleEntry("pc-strict", (random, graph) =>
        {
            var units = random.Next(2) == 0 ? UnitPlacement.Layers : UnitPlacement.EveryNode;
            int depth = units == UnitPlacement.Layers ? graph.LayerRelaxationDepth : graph.RelaxationDepth;
            return new PredictiveCodingRule(random.Next(depth + 4), new[] { 1.0, 0.5, 0.1 }[random.Next(3)], RelaxationSchedule.Synchronous, units, FixedPrediction: false);
        }));
}
