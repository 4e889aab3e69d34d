using System.Linq;
using Symbolic.Cli.Bench;
using Xunit;

namespace Symbolic.PropertyTests.Cli;

/// <summary>The full benchmark's cases are well formed: each generated-code case names a rule that exists, counts its work, and runs one step.</summary>
public class BenchCaseTests
{
    /// <summary>Every generated-code case of the full run (rule family included) makes its rule and does one step at batch 1, 1 thread.</summary>
    [Fact]
    public void EveryGeneratedCaseMakesItsRuleAndSteps()
    {
        var cases = BenchCommand.Cases(quick: false, reference: false).Where(c => c.Path == "generated").ToArray();
        Assert.Contains(cases, c => c.Rule == "pc-strict");
        foreach (var c in cases.GroupBy(c => (c.Graph, c.Rule)).Select(g => g.First()))
        {
            Assert.True(c.MacsPerSample > 0, c.Rule + " counts no work");
            var small = c with { Batch = 1, Threads = 1, Steps = System.Math.Min(c.Steps, 3) };
            var run = small.Setup(small);
            run.Step();
            run.Owner?.Dispose();
        }
    }
}
