using System;
using System.Linq;
using Symbolic.Examples;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Training;
using Xunit;

namespace Symbolic.PropertyTests.Training;

/// <summary>The reference-engine trainer (graphs built at run time) against the compiled float64 trainer on the declared MLP, and on a built graph.</summary>
public sealed class ReferenceTrainerTests
{
    private static readonly Symbolic.Rules.Data.Dataset Train = SyntheticImages.Create(30, 31, "ref-train");
    private static readonly Symbolic.Rules.Data.Dataset Test = SyntheticImages.Create(12, 32, "ref-test");

    [Theory]
    [InlineData("bp", false)]
    [InlineData("ar", true)]
    [InlineData("fa", false)]
    public void It_reproduces_the_compiled_float64_trainer(string which, bool adam)
    {
        LearningRule rule = which switch
        {
            "bp" => new BackpropRule(),
            "fa" => new FeedbackAlignmentRule(3),
            _ => new ActivationRelaxationRule(new RelaxationOptions(0.2, 12, 0, RelaxationSchedule.TopDown)),
        };
        Optimiser optimiser = adam ? new Adam(1e-3) : new Sgd(0.01);
        var settings = new TrainerSettings(2, 8, Seed: 5);
        var compiledParameters = PaperMlp.Float64.Parameters.Initialise(2);
        var reference = new ReferenceTrainer(rule, optimiser, PaperMlp.Graph, compiledParameters.ToParameterSet(), Train, Test, settings);
        using var compiled = new Trainer<PaperMlp.Float64, double>(rule, optimiser, compiledParameters, Train, Test, settings);

        var a = reference.Run();
        var b = compiled.Run();

        Assert.True(a.Completed && b.Completed);
        Assert.True(reference.Parameters.MaxRelativeDifference(compiledParameters.ToParameterSet()) < 1e-9);
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(b.Epochs[e].TrainLoss, a.Epochs[e].TrainLoss, 1e-9);
            Assert.Equal(b.Epochs[e].Test.Correct, a.Epochs[e].Test.Correct);
            Assert.Equal(b.Epochs[e].Test.Loss, a.Epochs[e].Test.Loss, 1e-9);
        }
    }

    [Fact]
    public void It_trains_a_graph_built_at_run_time_and_resumes_exactly()
    {
        var builder = new GraphBuilder("built");
        var x = builder.Input("x", 784);
        var h = builder.Tanh(builder.Linear(builder.Weight("W1", 20, 784), x, builder.Bias("b1", 20), "a1"), "h");
        var output = builder.Linear(builder.Weight("W2", 10, 20), h, builder.Bias("b2", 10), "out");
        var graph = builder.Build(output, LossKind.SquaredError);
        var initial = ParameterSet.Initialise(graph, 1, Initialiser.Xavier);
        var settings = new TrainerSettings(3, 6, Seed: 2);
        var whole = new ReferenceTrainer(new BackpropRule(), new Sgd(2e-3), graph, initial, Train, Train, settings);
        var result = whole.Run();
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss, "the training loss did not fall");

        var part = new ReferenceTrainer(new BackpropRule(), new Sgd(2e-3), graph, initial, Train, Train, settings);
        var stopped = part.Run(maxSteps: 7);
        var resumed = new ReferenceTrainer(new BackpropRule(), new Sgd(2e-3), graph, part.Parameters, Train, Train, settings);
        var rest = resumed.Run(stopped.Next);
        Assert.Equal(0, resumed.Parameters.MaxRelativeDifference(whole.Parameters));
        Assert.Equal(result.Epochs[^1].WithoutTimes(), rest.Epochs[^1].WithoutTimes());
    }
}
