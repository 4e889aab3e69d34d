using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;
using Symbolic.PropertyTests.Arbitraries;
using Symbolic.Rules;
using Xunit;

namespace Symbolic.PropertyTests.Reference;

/// <summary>
/// The reference engine's theory, checked on random DAGs in float64: backprop against finite differences, and
/// Activation Relaxation's equilibrium against backprop (arXiv 2009.05359, Appendix A).
/// Raise the number of cases with the environment variable SYMBOLIC_PROPERTY_RUNS (default 100).
/// </summary>
public class EquivalenceProperties
{
    private static int Runs(int defaultRuns) =>
        int.TryParse(Environment.GetEnvironmentVariable("SYMBOLIC_PROPERTY_RUNS"), out var n) && n > 0 ? n : defaultRuns;

    private static void Check(Action<GraphCase> property, int defaultRuns = 100) =>
        Prop.ForAll(GraphArbitraries.GraphCases(), property).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs(defaultRuns)).WithQuietOnSuccess(true));

    /// <summary>
    /// 1. Backprop's parameter and input gradients equal central finite differences (relative error &lt; 1e-6). The
    /// difference is the five-point stencil (truncation O(h^4)); its rounding error, about 1e-16 |L| / h, is added to the
    /// tolerance, since gated graphs can reach losses where no finite difference is accurate to 1e-6.
    /// </summary>
    [Fact]
    public void BackpropMatchesFiniteDifferences() => Check(c =>
    {
        var record = Forward.Run(c.Graph, c.Parameters, c.Batch);
        if (NearKink(record, 1e-3)) return; // a ReLU within reach of the step: the finite difference straddles the kink.
        var gradients = Backprop.Run(record);
        const double h = 1e-4;
        double rounding = 1e-14 * Math.Max(1.0, Math.Abs(record.LossValue)) / h;
        var random = new Random(c.Recipe.Seed);
        foreach (var pid in c.Graph.ParameterIds)
        {
            var name = c.Graph.Nodes[pid].Name;
            var value = c.Parameters[name];
            foreach (var (i, j) in Sample(value.RowCount, value.ColumnCount, 6, random))
            {
                double Loss(double delta) => Forward.Run(c.Graph, c.Parameters.Map((n, m) => n == name ? Bumped(m, i, j, delta) : m), c.Batch).LossValue;
                double fd = FivePoint(Loss, h);
                double bp = gradients.ParameterGradients[name][i, j];
                Assert.True(Math.Abs(fd - bp) < 1e-6 * Math.Max(1, Math.Max(Math.Abs(fd), Math.Abs(bp))) + rounding, $"d{name}[{i},{j}]: backprop {bp:R}, finite difference {fd:R}");
            }
        }
        foreach (var iid in c.Graph.InputIds)
        {
            var name = c.Graph.Nodes[iid].Name;
            var value = c.Batch.Inputs[name];
            foreach (var (i, j) in Sample(value.RowCount, value.ColumnCount, 4, random))
            {
                double Loss(double delta) => Forward.Run(c.Graph, c.Parameters, c.Batch with { Inputs = c.Batch.Inputs.SetItem(name, Bumped(value, i, j, delta)) }).LossValue;
                double fd = FivePoint(Loss, h);
                double bp = gradients.NodeGradients[iid][i, j];
                Assert.True(Math.Abs(fd - bp) < 1e-6 * Math.Max(1, Math.Max(Math.Abs(fd), Math.Abs(bp))) + rounding, $"d{name}[{i},{j}]: backprop {bp:R}, finite difference {fd:R}");
            }
        }
    }, 60);

    /// <summary>2. Synchronous AR with eta = 1 equals backprop to 1e-10 after exactly (longest path) steps.</summary>
    [Fact]
    public void SynchronousUnitStepIsExactAfterDepthSteps() => Check(c =>
    {
        var record = Forward.Run(c.Graph, c.Parameters, c.Batch);
        var bp = Backprop.Run(record);
        foreach (var placement in Placements)
        {
            var options = new RelaxationOptions(Eta: 1.0, Units: placement);
            int depth = options.ExactDepth(c.Graph);
            var relaxed = ActivationRelaxation.Relax(record, options with { MaxIterations = depth });
            Assert.Equal(depth, relaxed.Iterations);
            foreach (var id in c.Graph.UnitIds)
            {
                double error = Compare.RelativeError(relaxed.Units[id]!, bp.NodeGradients[id]);
                Assert.True(error < 1e-10, $"{placement}: node {c.Graph.Nodes[id].Name}: relative error {error:E3} after {relaxed.Iterations} steps (depth {depth})");
            }
        }
    });

    /// <summary>Layer placement puts units only at layer outputs, so its exact depth is never longer than every-node placement's.</summary>
    [Fact]
    public void LayerUnitsShortenTheRelaxation() => Check(c =>
    {
        Assert.True(c.Graph.LayerRelaxationDepth <= c.Graph.RelaxationDepth);
        Assert.Contains(c.Graph.OutputId, c.Graph.LayerUnitIds);
        Assert.All(c.Graph.LayerUnitIds, id => Assert.False(c.Graph.LayerInterior[id]));
    });

    private static readonly UnitPlacement[] Placements = { UnitPlacement.Layers, UnitPlacement.EveryNode };

    /// <summary>
    /// 3. AR with eta = 0.1, run to tolerance, equals backprop (&lt; 1e-8) within the budget the theory gives. With frozen
    /// Jacobians the error obeys e_k = ((1-eta)I + eta N)^k e_0 = sum_{j&lt;=D} C(k,j)(1-eta)^(k-j) eta^j N^j e_0 (N nilpotent
    /// of index D+1, D the longest path), and an iteration's update is eta (N - I) e_k. So with a_j = |N^j e_0| (measured
    /// from the exact eta = 1 iterates, since N^j e_0 = x_j - x*) the update norm is at most
    /// eta sum_j C(k,j)(1-eta)^(k-j) eta^j (a_j + a_{j+1}); the budget is the first k where that bound is below the tolerance.
    /// </summary>
    [Fact]
    public void RelaxationToToleranceConvergesWithinTheoreticalBudget() => Check(c =>
    {
        const double eta = 0.1;
        var record = Forward.Run(c.Graph, c.Parameters, c.Batch);
        var bp = Backprop.Run(record);
        foreach (var placement in Placements)
        {
            var exact = new RelaxationOptions(Eta: 1.0, Units: placement);
            int depth = exact.ExactDepth(c.Graph);
            var unitIds = placement == UnitPlacement.Layers ? c.Graph.LayerUnitIds : c.Graph.UnitIds;
            var powers = Enumerable.Range(0, depth + 2)
                .Select(j => ActivationRelaxation.Relax(record, exact with { MaxIterations = j }))
                .Select(r => Math.Sqrt(unitIds.Sum(id => Math.Pow((r.Units[id]! - bp.NodeGradients[id]).FrobeniusNorm(), 2))))
                .ToArray();
            // Rounding noise is relative to the largest error the transient passes through, not to the loss gradient:
            // gated graphs (products of products) reach errors many orders above it, and a float64 relaxation then
            // stalls at a residual of about 1e-16 of that peak (a seeded case stalled at 3e-4 with a 1e-11 tolerance).
            double scale = Math.Max(1.0, Math.Max(record.LossGradient.FrobeniusNorm(), powers.Max()));
            double tolerance = 1e-11 * scale;
            int budget = TheoreticalBudget(powers, eta, tolerance);
            var relaxed = ActivationRelaxation.Relax(record, new RelaxationOptions(Eta: eta, MaxIterations: budget, Tolerance: tolerance, Units: placement));
            Assert.True(relaxed.Converged, $"{placement}: not converged within {budget} steps (depth {depth}); last residual {relaxed.Residuals[^1]:E3}");
            // Within 1e-8 of each node's gradient, or of the noise floor the tolerance allows (1e-9 of the transient's peak).
            foreach (var id in c.Graph.UnitIds)
            {
                double error = (relaxed.Units[id]! - bp.NodeGradients[id]).FrobeniusNorm(), norm = bp.NodeGradients[id].FrobeniusNorm();
                Assert.True(error <= 1e-8 * norm + 1e-9 * scale, $"{placement}: node {c.Graph.Nodes[id].Name}: error {error:E3} (gradient norm {norm:E3}, scale {scale:E3}) after {relaxed.Iterations} of {budget} steps");
            }
            var updates = ActivationRelaxation.ParameterUpdates(record, relaxed);
            // A parameter's update multiplies a unit's error by its consumer's other input: scale the floor by the largest value.
            double inputScale = Math.Max(1.0, record.Values.Max(v => v.Enumerate().Select(Math.Abs).DefaultIfEmpty(0).Max()));
            foreach (var name in bp.ParameterGradients.Names)
            {
                double error = (updates[name] - bp.ParameterGradients[name]).FrobeniusNorm(), norm = bp.ParameterGradients[name].FrobeniusNorm();
                Assert.True(error <= 1e-8 * norm + 1e-9 * scale * inputScale, $"{placement}: update of {name}: error {error:E3} (gradient norm {norm:E3}, scale {scale:E3}, inputs {inputScale:E3})");
            }
        }
    }, 50);

    /// <summary>
    /// The closed-form synchronous relaxation equals step-by-step synchronous relaxation (float64, 1e-9 relative): the same
    /// state after T steps, the same residual per step, the same stopping step under a tolerance.
    /// </summary>
    [Fact]
    public void ClosedFormEqualsStepByStep() => Check(c =>
    {
        var record = Forward.Run(c.Graph, c.Parameters, c.Batch);
        var random = new Random(c.Recipe.Seed);
        foreach (var placement in Placements)
        {
            double eta = new[] { 0.05, 0.1, 0.3, 0.7, 1.0 }[random.Next(5)];
            int steps = random.Next(0, 80);
            double tolerance = random.Next(3) == 0 ? 1e-3 * Math.Max(1.0, record.LossGradient.FrobeniusNorm()) : 0.0;
            var options = new RelaxationOptions(Eta: eta, MaxIterations: steps, Tolerance: tolerance, Units: placement);
            var stepped = ActivationRelaxation.Relax(record, options);
            var closed = ActivationRelaxation.Relax(record, options with { Schedule = RelaxationSchedule.SynchronousClosedForm });
            string where = $"{placement}, eta {eta}, {steps} steps, tolerance {tolerance:E2}";
            Assert.Equal(stepped.Iterations, closed.Iterations);
            Assert.Equal(stepped.Converged, closed.Converged);
            foreach (var id in c.Graph.UnitIds)
            {
                double error = Compare.RelativeError(closed.Units[id]!, stepped.Units[id]!);
                Assert.True(error < 1e-9, $"{where}: node {c.Graph.Nodes[id].Name}: relative error {error:E3}");
            }
            for (int k = 0; k < stepped.Residuals.Length; k++)
            {
                double scale = Math.Max(1.0, stepped.Residuals.Max());
                Assert.True(Math.Abs(stepped.Residuals[k] - closed.Residuals[k]) < 1e-9 * scale, $"{where}: residual {k + 1}: {stepped.Residuals[k]:R} vs {closed.Residuals[k]:R}");
            }
        }
    });

    /// <summary>The top-down sweep has the same fixed point, and with eta = 1 reaches it in one sweep.</summary>
    [Fact]
    public void TopDownSweepWithUnitStepIsExactInOneSweep() => Check(c =>
    {
        var record = Forward.Run(c.Graph, c.Parameters, c.Batch);
        var bp = Backprop.Run(record);
        foreach (var placement in Placements)
        {
            var relaxed = ActivationRelaxation.Relax(record, new RelaxationOptions(Eta: 1.0, MaxIterations: 1, Schedule: RelaxationSchedule.TopDown, Units: placement));
            foreach (var id in c.Graph.UnitIds)
            {
                Assert.True(Compare.RelativeError(relaxed.Units[id]!, bp.NodeGradients[id]) < 1e-10, $"{placement}: node {c.Graph.Nodes[id].Name}");
            }
        }
    });

    /// <summary>4. AR's local parameter updates at equilibrium equal backprop's parameter gradients.</summary>
    [Fact]
    public void LocalParameterUpdatesEqualBackpropGradients() => Check(c =>
    {
        var bp = new BackpropRule().Compute(c.Graph, c.Parameters, c.Batch);
        foreach (var placement in Placements)
        {
            var options = new RelaxationOptions(Eta: 1.0, Units: placement);
            var ar = new ActivationRelaxationRule(options with { MaxIterations = options.ExactDepth(c.Graph) }).Compute(c.Graph, c.Parameters, c.Batch);
            foreach (var name in bp.Updates.Names)
            {
                double error = Compare.RelativeError(ar.Updates[name], bp.Updates[name]);
                Assert.True(error < 1e-10, $"{placement}: parameter {name}: relative error {error:E3}");
            }
            // The angle is ill-conditioned for a gradient at rounding level (seen: 1.2 degrees between two 1e-13 vectors that
            // agree to 1e-10 relative); it is checked where the gradient is large enough for its direction to mean something.
            var angles = UpdateAngles.PerParameter(ar.Updates, bp.Updates);
            foreach (var name in bp.Updates.Names.Where(n => bp.Updates[n].FrobeniusNorm() > 1e-3))
            {
                Assert.True(angles[name] < 1e-3, $"{placement}: parameter {name}: angle {angles[name]} degrees");
            }
        }
    });

    /// <summary>5. A batch of n gives the sum of n batches of one, for backprop and for AR.</summary>
    [Fact]
    public void UpdatesDoNotDependOnBatching() => Check(c =>
    {
        LearningRule[] rules = { new BackpropRule(), new ActivationRelaxationRule(new RelaxationOptions(Eta: 0.5, MaxIterations: 7)) };
        foreach (var rule in rules)
        {
            var whole = rule.Compute(c.Graph, c.Parameters, c.Batch).Updates;
            var summed = Enumerable.Range(0, c.Batch.Size)
                .Select(s => rule.Compute(c.Graph, c.Parameters, c.Batch.Slice(s, 1)).Updates)
                .Aggregate((x, y) => x.AddScaled(y, 1.0));
            Assert.True(whole.MaxRelativeDifference(summed) < 1e-12, $"{rule.Name}: batch of {c.Batch.Size} differs from the summed singles by {whole.MaxRelativeDifference(summed):E3}");
        }
    });

    /// <summary>
    /// The first k at which eta sum_j C(k,j)(1-eta)^(k-j) eta^j (a_j + a_{j+1}) falls below <paramref name="tolerance"/>,
    /// where <paramref name="powers"/>[j] = |N^j e_0| (zero beyond the nilpotency index).
    /// </summary>
    public static int TheoreticalBudget(double[] powers, double eta, double tolerance)
    {
        for (int k = 0; k < 1_000_000; k++)
        {
            double bound = 0;
            for (int j = 0; j < powers.Length && j <= k; j++)
            {
                double next = j + 1 < powers.Length ? powers[j + 1] : 0.0;
                bound += Math.Exp(LogChoose(k, j) + (k - j) * Math.Log(1 - eta) + j * Math.Log(eta)) * (powers[j] + next);
            }
            if (eta * bound < tolerance) return k + 1;
        }
        throw new InvalidOperationException("No budget below a million steps.");
    }

    private static double LogChoose(int n, int k)
    {
        double sum = 0;
        for (int i = 1; i <= k; i++) sum += Math.Log(n - k + i) - Math.Log(i);
        return sum;
    }

    private static double FivePoint(Func<double, double> f, double h) =>
        (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h);

    private static Matrix<double> Bumped(Matrix<double> m, int i, int j, double delta)
    {
        var copy = m.Clone();
        copy[i, j] += delta;
        return copy;
    }

    private static (int, int)[] Sample(int rows, int cols, int count, Random random) =>
        Enumerable.Range(0, count).Select(_ => (random.Next(rows), random.Next(cols))).Distinct().ToArray();

    private static bool NearKink(ForwardRecord record, double margin) =>
        record.Graph.Nodes.Where(n => n.Op == OpKind.Relu || n.Op == OpKind.LeakyRelu)
            .Any(n => record.Values[n.Inputs[0]].Enumerate().Any(v => Math.Abs(v) < margin));
}
