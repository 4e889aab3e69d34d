using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>The elementwise sum of two or more values: summed left to right; every argument receives the cotangent.</summary>
    internal sealed class AddLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node)
        {
            c.W.WriteLine(LoweringContext.Tensor + ".Add<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.Value(c.Parent(node, 1)) + ", " + c.ValueOut(node) + ");");
            for (int a = 2; a < node.Inputs.Count; a++)
            {
                c.W.WriteLine(LoweringContext.Tensor + ".Add<" + c.T + ">(" + c.Value(node) + ", " + c.Value(c.Parent(node, a)) + ", " + c.ValueOut(node) + ");");
            }
        }

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Pass<" + c.T + ">(cotangent, target, accumulate);");
    }
}
