using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>The elementwise product a * b (a gate): each argument's cotangent is c times the other argument.</summary>
    internal sealed class MulLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Tensor + ".Multiply<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.Value(c.Parent(node, 1)) + ", " + c.ValueOut(node) + ");");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Scale<" + c.T + ">(cotangent, " + c.Value(c.Parent(child, 1 - argument)) + ", target, accumulate);");
    }
}
