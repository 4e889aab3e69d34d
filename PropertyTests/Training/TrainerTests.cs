using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Examples;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;
using Symbolic.Rules.Data;
using Symbolic.Rules.Training;
using Xunit;

namespace Symbolic.PropertyTests.Training;

/// <summary>
/// The trainer core on the paper's MLP and small synthetic image sets: determinism, batch orders per seed, learning
/// with both rules, resuming bit for bit, evaluation against the reference engine, allocation-free steps, and errors.
/// </summary>
public class TrainerTests
{
    private static readonly Dataset Train = SyntheticImages.Create(80, seed: 1, "synthetic-train");
    private static readonly Dataset Test = SyntheticImages.Create(40, seed: 2, "synthetic-test");

    private static Trainer<PaperMlp.Float32, float> Make(LearningRule rule, Optimiser optimiser, ParameterArrays<float> parameters, TrainerSettings settings, Dataset? train = null) =>
        new(rule, optimiser, parameters, train ?? Train, Test, settings);

    private static ParameterArrays<float> Copy(ParameterArrays<float> p)
    {
        var copy = new ParameterArrays<float>(p.Layout);
        copy.CopyFrom(p);
        return copy;
    }

    private static void AssertSame(ParameterArrays<float> expected, ParameterArrays<float> actual)
    {
        for (int k = 0; k < expected.Arrays.Length; k++) Assert.True(expected.Arrays[k].AsSpan().SequenceEqual(actual.Arrays[k]), "parameter " + k + " differs");
    }

    private static (ParameterArrays<float> Parameters, TrainingResult Result, List<StepReport> Steps) Train2(LearningRule rule, TrainerSettings settings, Optimiser? optimiser = null)
    {
        var p = PaperMlp.Float32.Parameters.Initialise(3);
        var steps = new List<StepReport>();
        using var trainer = Make(rule, optimiser ?? new Sgd(0.005), p, settings);
        var result = trainer.Run(onStep: steps.Add);
        return (p, result, steps);
    }

    [Fact]
    public void The_same_seed_and_threads_give_bit_identical_parameters_and_metrics()
    {
        var settings = new TrainerSettings(Epochs: 2, BatchSize: 16, Seed: 5, Threads: 2);
        var (p1, r1, s1) = Train2(new BackpropRule(), settings, new Adam(1e-3));
        var (p2, r2, s2) = Train2(new BackpropRule(), settings, new Adam(1e-3));
        AssertSame(p1, p2);
        Assert.True(r1.Completed && r2.Completed);
        Assert.Equal(r1.Epochs.Select(m => m.WithoutTimes()), r2.Epochs.Select(m => m.WithoutTimes()));
        Assert.Equal(s1, s2);
        Assert.Equal(10, r1.Steps);
        Assert.Equal(new TrainingPosition(2, 0), r1.Next);
    }

    [Fact]
    public void Different_seeds_give_different_batch_orders_and_runs()
    {
        Assert.False(BatchOrder.Permutation(1, 0, Train.Count).SequenceEqual(BatchOrder.Permutation(2, 0, Train.Count)));
        var (_, _, a) = Train2(new BackpropRule(), new TrainerSettings(1, 16, Seed: 1));
        var (_, _, b) = Train2(new BackpropRule(), new TrainerSettings(1, 16, Seed: 2));
        Assert.NotEqual(a.Select(s => s.Loss), b.Select(s => s.Loss));
    }

    public static IEnumerable<object[]> Rules() => new[]
    {
        new object[] { "bp" },
        new object[] { "ar" },
    };

    private static LearningRule Rule(string name, int iterations = 20) =>
        name == "bp" ? new BackpropRule() : new ActivationRelaxationRule(new RelaxationOptions(Eta: 0.1, MaxIterations: iterations));

    // 2 epochs of 10 steps (160 samples, batch 16). AR relaxes with eta 0.1 for the paper's 100 iterations: with 20
    // iterations the units are far from equilibrium (0.9^20 = 12% of each initial value is left, more through the
    // depth-10 relaxation) and the same run stays at chance (test accuracy 0.075 at lr 0.01, 0.125 at lr 0.002).
    [Theory]
    [MemberData(nameof(Rules))]
    public void Two_epochs_on_a_separable_set_raise_test_accuracy_well_above_chance(string rule)
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        using var trainer = new Trainer<PaperMlp.Float32, float>(Rule(rule, iterations: 100), new Sgd(0.01), p, SyntheticImages.Create(160, 11, "separable-train"), Test, new TrainerSettings(2, 16));
        var before = trainer.Evaluate(Test);
        var result = trainer.Run();
        Assert.Equal(2, result.Epochs.Count);
        Assert.Equal(20, result.Steps);
        var last = result.Epochs[^1];
        Assert.True(last.TestAccuracy >= 0.8, rule + ": test accuracy " + last.TestAccuracy + " (before " + before.Accuracy + ")");
        Assert.True(last.TestLoss < before.Loss, rule + ": test loss " + last.TestLoss + " not below " + before.Loss);
        Assert.True(result.Epochs[1].TrainLoss < result.Epochs[0].TrainLoss);
    }

    [Theory]
    [InlineData("bp", 3, 1)]
    [InlineData("bp", 5, 2)]
    [InlineData("ar", 7, 1)]
    public void K_steps_then_resume_equals_uninterrupted_steps_bit_for_bit(string rule, int k, int threads)
    {
        // 80 samples, batch 16 with the last kept: 5 steps an epoch, so k = 7 resumes inside the second epoch.
        var settings = new TrainerSettings(2, 16, Seed: 9, Threads: threads, EvaluationBatchSize: 32);
        var whole = PaperMlp.Float32.Parameters.Initialise(4);
        var parted = Copy(whole);
        TrainingResult full;
        using (var trainer = Make(Rule(rule), new Sgd(0.005), whole, settings)) full = trainer.Run();

        TrainingResult first, second;
        using (var trainer = Make(Rule(rule), new Sgd(0.005), parted, settings)) first = trainer.Run(maxSteps: k);
        Assert.False(first.Completed);
        Assert.Equal(k, first.Steps);
        Assert.Equal(new TrainingPosition(k / 5, k % 5), first.Next with { EpochLossSum = 0, EpochSamples = 0 });
        using (var trainer = Make(Rule(rule), new Sgd(0.005), parted, settings)) second = trainer.Run(first.Next);
        Assert.True(second.Completed);
        Assert.Equal(10 - k, second.Steps);
        AssertSame(whole, parted);
        Assert.Equal(full.Epochs.Select(m => m.WithoutTimes()), first.Epochs.Concat(second.Epochs).Select(m => m.WithoutTimes()));
    }

    [Fact]
    public void With_Adam_resuming_with_the_same_rule_state_equals_an_uninterrupted_run()
    {
        // The moments live in the rule state: a resumed run is given the state the first part trained (as a checkpoint would restore it).
        var settings = new TrainerSettings(2, 16, Seed: 3, EvaluationBatchSize: 40);
        var rule = new BackpropRule();
        var whole = PaperMlp.Float32.Parameters.Initialise(6);
        var parted = Copy(whole);
        TrainingResult full, first, second;
        using (var trainer = Make(rule, new Adam(1e-3), whole, settings)) full = trainer.Run();
        using (var state = rule.CreateState<PaperMlp.Float32, float>(16))
        {
            using (var trainer = new Trainer<PaperMlp.Float32, float>(rule, new Adam(1e-3), parted, Train, Test, settings, state)) first = trainer.Run(maxSteps: 4);
            using (var trainer = new Trainer<PaperMlp.Float32, float>(rule, new Adam(1e-3), parted, Train, Test, settings, state)) second = trainer.Run(first.Next);
        }
        AssertSame(whole, parted);
        Assert.Equal(full.Epochs.Select(m => m.WithoutTimes()), first.Epochs.Concat(second.Epochs).Select(m => m.WithoutTimes()));
    }

    [Fact]
    public void Drop_last_skips_the_incomplete_batch()
    {
        var keep = Train2(new BackpropRule(), new TrainerSettings(1, 32));
        var drop = Train2(new BackpropRule(), new TrainerSettings(1, 32, DropLast: true));
        Assert.Equal(new[] { 32, 32, 16 }, keep.Steps.Select(s => s.BatchSize));
        Assert.Equal(new[] { 32, 32 }, drop.Steps.Select(s => s.BatchSize));
        Assert.Equal(keep.Steps[1].Loss, drop.Steps[1].Loss);
        Assert.Equal(3, keep.Result.Epochs[0].Steps);
        Assert.Equal(keep.Steps.Sum(s => s.Loss) / 80, keep.Result.Epochs[0].TrainLoss, 12);
        Assert.Equal(keep.Steps[^1].EpochLoss, keep.Result.Epochs[0].TrainLoss);
        Assert.Equal(drop.Steps.Sum(s => s.Loss) / 64, drop.Result.Epochs[0].TrainLoss, 12);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Evaluation_on_several_threads_equals_one_thread_bit_for_bit(int threads)
    {
        // 37 samples in batches of 10 (the last of 7) shared among the threads; a set larger than both training sets
        // needs more per-batch sums than the trainer made.
        var small = SyntheticImages.Create(37, 21, "shared");
        var large = SyntheticImages.Create(95, 22, "larger");
        var p = PaperMlp.Float64.Parameters.Initialise(2);
        using var one = new Trainer<PaperMlp.Float64, double>(new BackpropRule(), new Sgd(0.01), p, small, small, new TrainerSettings(1, 8, EvaluationBatchSize: 10));
        using var many = new Trainer<PaperMlp.Float64, double>(new BackpropRule(), new Sgd(0.01), p, small, small, new TrainerSettings(1, 8, Threads: threads, EvaluationBatchSize: 10));
        Assert.Equal(threads, many.State.Threads);
        Assert.Equal(threads, many.EvaluationThreads);
        foreach (var data in new[] { small, large, small })
        {
            var expected = one.Evaluate(data);
            var actual = many.Evaluate(data);
            Assert.Equal(data.Count, actual.Count);
            Assert.Equal(expected.Correct, actual.Correct);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(actual.Loss));
        }
    }

    [Fact]
    public void A_regularised_rule_evaluates_on_its_threads_with_the_same_result()
    {
        // The penalty wraps the inner rule's state; evaluation must still find the inner rule's threads.
        var data = SyntheticImages.Create(37, 23, "regularised");
        var p = PaperMlp.Float64.Parameters.Initialise(3);
        var rule = new OrthogonalityRegularised(new BackpropRule(), 0.1);
        using var one = new Trainer<PaperMlp.Float64, double>(rule, new Sgd(0.01), p, data, data, new TrainerSettings(1, 8, EvaluationBatchSize: 10));
        using var two = new Trainer<PaperMlp.Float64, double>(rule, new Sgd(0.01), p, data, data, new TrainerSettings(1, 8, Threads: 2, EvaluationBatchSize: 10));
        Assert.Equal(1, one.EvaluationThreads);
        Assert.Equal(2, two.EvaluationThreads);
        var expected = one.Evaluate(data);
        var actual = two.Evaluate(data);
        Assert.Equal(expected.Correct, actual.Correct);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(actual.Loss));
    }

    [Fact]
    public void Evaluation_equals_the_reference_engine()
    {
        var data = SyntheticImages.Create(37, 21, "reference");
        var p = PaperMlp.Float64.Parameters.Initialise(2);
        using var trainer = new Trainer<PaperMlp.Float64, double>(new BackpropRule(), new Sgd(0.01), p, data, data, new TrainerSettings(1, 8, EvaluationBatchSize: 10));
        var result = trainer.Evaluate(data);

        var x = Matrix<double>.Build.Dense(784, data.Count, (i, s) => data.ImageBytes(s)[i] / 255.0);
        var y = Matrix<double>.Build.Dense(10, data.Count, (c, s) => data.Label(s) == c ? 1.0 : 0.0);
        var record = Forward.Run(PaperMlp.Graph, p.ToParameterSet(), Batch.Single("x", x, y));
        int correct = Enumerable.Range(0, data.Count).Count(s => record.Output.Column(s).MaximumIndex() == data.Label(s));
        Assert.Equal(data.Count, result.Count);
        Assert.Equal(correct, result.Correct);
        Assert.Equal((double)correct / data.Count, result.Accuracy);
        Assert.Equal(record.LossValue / data.Count, result.Loss, 1e-9);
    }

    /// <summary>
    /// Counted between step callbacks on the calling thread (one thread, so the whole step runs there). As in
    /// Generators/AllocationTests, the tiered JIT's tier-up can allocate a few KB on the calling thread during a step, so
    /// the property is that some window of 3 consecutive steps after warm-up allocates nothing; a step that allocates
    /// hits every window.
    /// </summary>
    [Fact]
    public void A_step_allocates_nothing_after_warm_up_and_an_evaluation_only_its_result()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        using var trainer = Make(new BackpropRule(), new Sgd(0.005), p, new TrainerSettings(1, 4));
        var allocated = new long[trainer.StepsPerEpoch];
        trainer.Run(onStep: s => allocated[s.Step] = GC.GetAllocatedBytesForCurrentThread());
        var deltas = Enumerable.Range(3, allocated.Length - 3).Select(i => allocated[i] - allocated[i - 1]).ToArray();
        Assert.True(Enumerable.Range(0, deltas.Length - 2).Any(i => deltas[i] == 0 && deltas[i + 1] == 0 && deltas[i + 2] == 0),
            "bytes allocated by each step after warm-up: " + string.Join(", ", deltas));

        var evaluations = new List<long>(8);
        for (int i = 0; i < 5; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Evaluate(Test);
            evaluations.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(evaluations.Skip(1).Any(b => b <= 128), "bytes allocated by each evaluation: " + string.Join(", ", evaluations));
    }

    [Fact]
    public void A_NaN_parameter_surfaces_as_the_step_exception_naming_it_and_changes_nothing()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        p.W2[7] = float.NaN;
        var before = Copy(p);
        using var trainer = Make(new BackpropRule(), new Sgd(0.005), p, new TrainerSettings(1, 16));
        var e = Assert.Throws<TrainingStepException>(() => trainer.Run());
        Assert.Equal(new TrainingPosition(0, 0), e.Position);
        Assert.IsType<ArithmeticException>(e.InnerException);
        Assert.Contains("parameter 'w2'", e.Message);
        Assert.StartsWith("Training step 0 of epoch 0 (16 samples) failed: ", e.Message);
        AssertSame(before, p);
    }

    [Fact]
    public void A_diverging_run_stops_at_the_first_non_finite_step_with_the_parameters_of_the_step_before()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        ParameterArrays<float>? last = null;
        using var trainer = Make(new BackpropRule(), new Sgd(1e6), p, new TrainerSettings(3, 16));
        var e = Assert.Throws<TrainingStepException>(() => trainer.Run(onStep: _ => last = Copy(p)));
        Assert.True(e.InnerException is ArithmeticException, e.ToString());
        Assert.NotNull(last);
        AssertSame(last!, p);
        Assert.True(e.Position.Step > 0 || e.Position.Epoch > 0);
    }

    [Fact]
    public void Cancellation_and_max_steps_return_the_position_to_resume_from()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        using var trainer = Make(new BackpropRule(), new Sgd(0.005), p, new TrainerSettings(2, 16));
        using var stop = new CancellationTokenSource();
        var result = trainer.Run(onStep: s => { if (s.Step == 1) stop.Cancel(); }, stop: stop.Token);
        Assert.False(result.Completed);
        Assert.Equal(2, result.Steps);
        Assert.Equal(0, result.Next.Epoch);
        Assert.Equal(2, result.Next.Step);
        Assert.Equal(32, result.Next.EpochSamples);
        var none = trainer.Run(result.Next, maxSteps: 0);
        Assert.Equal(result.Next, none.Next);
        Assert.Empty(none.Epochs);
        var done = trainer.Run(new TrainingPosition(2, 0));
        Assert.True(done.Completed);
        Assert.Equal(0, done.Steps);
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_messages()
    {
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        var e1 = Assert.Throws<ArgumentException>(() => Make(new BackpropRule(), new Sgd(0.01), p, new TrainerSettings(1, 100, DropLast: true)));
        Assert.Contains("TrainerSettings.BatchSize (100) exceeds the 80 samples", e1.Message);
        var small = Dataset.Create(new IdxImages("small", 4, 27, 27, new byte[4 * 27 * 27]), new IdxLabels("small-labels", new byte[4]), 10, "small");
        var e2 = Assert.Throws<ArgumentException>(() => Make(new BackpropRule(), new Sgd(0.01), p, new TrainerSettings(1, 2), small));
        Assert.Contains("takes 784 values but the images of 'small' have 729 pixels (27x27)", e2.Message);
        var five = SyntheticImages.Create(8, 1, "five", classes: 5);
        var e3 = Assert.Throws<ArgumentException>(() => Make(new BackpropRule(), new Sgd(0.01), p, new TrainerSettings(1, 2), five));
        Assert.Contains("has 10 values but 'five' has 5 classes", e3.Message);
        var rule = new BackpropRule();
        using var state = rule.CreateState<PaperMlp.Float32, float>(8);
        var e4 = Assert.Throws<ArgumentException>(() => new Trainer<PaperMlp.Float32, float>(rule, new Sgd(0.01), p, Train, Test, new TrainerSettings(1, 16), state));
        Assert.Contains("batches of up to 8 samples; TrainerSettings.BatchSize is 16", e4.Message);
        using var other = new ActivationRelaxationRule(new RelaxationOptions()).CreateState<PaperMlp.Float32, float>(16);
        Assert.Throws<ArgumentException>(() => new Trainer<PaperMlp.Float32, float>(rule, new Sgd(0.01), p, Train, Test, new TrainerSettings(1, 16), other));
        using var trainer = Make(rule, new Sgd(0.01), p, new TrainerSettings(2, 16));
        Assert.Contains("start epoch 3", Assert.Throws<ArgumentException>(() => trainer.Run(new TrainingPosition(3, 0))).Message);
        Assert.Contains("start step 6 is not a step of epoch 0 (0 to 5)", Assert.Throws<ArgumentException>(() => trainer.Run(new TrainingPosition(0, 6))).Message);
        Assert.Contains("running loss", Assert.Throws<ArgumentException>(() => trainer.Run(new TrainingPosition(0, 1, 1.0, 17))).Message);
        Assert.Throws<ArgumentException>(() => trainer.Run(maxSteps: -1));
    }

    [Fact]
    public void A_state_passed_in_is_used_and_kept()
    {
        var rule = new BackpropRule();
        var p = PaperMlp.Float32.Parameters.Initialise(1);
        using var state = rule.CreateState<PaperMlp.Float32, float>(16);
        using (var trainer = new Trainer<PaperMlp.Float32, float>(rule, new Adam(1e-3), p, Train, Test, new TrainerSettings(1, 16), state))
        {
            Assert.Same(state, trainer.State);
            trainer.Run(maxSteps: 2);
        }
        // Still usable after the trainer is disposed: the caller owns it (and the Adam moments it holds).
        var x = new float[16 * 784];
        var y = new float[16 * 10];
        rule.Step(p, new CompiledBatch<float>(new[] { x }, y, 16), new Adam(1e-3), state);
    }

    [Fact]
    public void ArgMax_takes_the_first_of_equal_values_and_skips_NaN()
    {
        Assert.Equal(1, Trainer<PaperMlp.Float32, float>.ArgMax(new[] { 0f, 2f, 2f, 1f }));
        Assert.Equal(2, Trainer<PaperMlp.Float32, float>.ArgMax(new[] { float.NaN, -1f, 3f }));
        Assert.Equal(-1, Trainer<PaperMlp.Float32, float>.ArgMax(new[] { float.NaN }));
    }
}
