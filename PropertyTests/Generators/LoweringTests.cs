using System.Linq;
using Symbolic.Generators;
using Symbolic.Graph;
using Xunit;

namespace Symbolic.PropertyTests.Generators;

/// <summary>Every computed op of the op table has a generator lowering (a missing one would be SYM019 on any graph using it).</summary>
public class LoweringTests
{
    [Fact]
    public void Every_computed_op_has_a_lowering()
    {
        var computed = OpTable.All.Where(d => d.Role == NodeRole.Computed).Select(d => d.Kind).ToList();
        Assert.NotEmpty(computed);
        var missing = computed.Where(op => !GeneratorOps.HasLowering(op.ToString())).ToList();
        Assert.True(missing.Count == 0, "ops without a generator lowering: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_lowering_table_names_only_computed_ops()
    {
        foreach (var name in GeneratorOps.LoweredOps())
        {
            Assert.True(System.Enum.TryParse<OpKind>(name, out var kind), name + " is not an OpKind");
            Assert.Equal(NodeRole.Computed, OpTable.For(kind).Role);
        }
    }

    [Fact]
    public void An_argument_out_of_range_is_an_error_not_another_edge()
    {
        // On PaperMlp (at most two arguments per node) (child 9, argument 2) would number like (child 10, argument 0).
        var ws = new Symbolic.Rules.Compiled.Workspace<double>(Symbolic.Examples.PaperMlp.Float64.Layout, 1);
        Assert.Throws<System.ArgumentOutOfRangeException>(() => Symbolic.Examples.PaperMlp.Float64.Contribute(9, 2, new double[300], new double[300], false, 1, ws.Values, ws.Derivatives, default, true));
        Assert.Throws<System.ArgumentOutOfRangeException>(() => Symbolic.Examples.PaperMlp.Float64.ParameterProduct(9, -1, new double[300], ws.Values, new double[300], 1.0, false, 1, 0, 1));
    }
}
