using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>The concatenation of vectors: each part is copied into its slice; each argument's cotangent is its slice.</summary>
    internal sealed class ConcatLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node)
        {
            int offset = 0;
            for (int a = 0; a < node.Inputs.Count; a++)
            {
                var part = c.Parent(node, a);
                c.W.WriteLine(LoweringContext.Kernels + ".ConcatPart<" + c.T + ">(" + c.Value(part) + ", " + c.ValueOut(node) + ", batch, " + LoweringContext.Int(part.Size) + ", " + LoweringContext.Int(node.Size) + ", " + LoweringContext.Int(offset) + ");");
                offset += part.Size;
            }
        }

        public override void Contribute(LoweringContext c, Node child, int argument)
        {
            int offset = 0;
            for (int a = 0; a < argument; a++) offset += c.Parent(child, a).Size;
            c.W.WriteLine(LoweringContext.Kernels + ".ConcatSlice<" + c.T + ">(cotangent, target, batch, " + LoweringContext.Int(c.Parent(child, argument).Size) + ", " + LoweringContext.Int(child.Size) + ", " + LoweringContext.Int(offset) + ", accumulate);");
        }
    }
}
