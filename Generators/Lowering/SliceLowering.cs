using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>A slice of a vector: forward copies the kept units; the VJP puts the cotangent back at them, zero elsewhere.</summary>
    internal sealed class SliceLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Kernels + ".ConcatSlice<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.ValueOut(node) + ", batch, " + Geometry(c, node) + ", false);");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".SliceInput<" + c.T + ">(cotangent, target, batch, " + Geometry(c, child) + ", accumulate);");

        // count, the input's size and start, in the order ConcatSlice and SliceInput take them.
        private static string Geometry(LoweringContext c, Node slice) =>
            LoweringContext.Int(slice.Size) + ", " + LoweringContext.Int(c.Parent(slice, 0).Size) + ", " + LoweringContext.Int(slice.IntConstant(0));
    }
}
