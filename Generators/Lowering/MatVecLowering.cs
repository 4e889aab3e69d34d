using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>W x: forward X W^T; to x, c B (B the caller's backward matrix, W for backprop); to W, c^T X on a block of rows.</summary>
    internal sealed class MatVecLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node)
        {
            var w = c.Parent(node, 0);
            var x = c.Parent(node, 1);
            int rows = w.Shape.Dims[0], cols = w.Shape.Dims[1];
            c.W.WriteLine(LoweringContext.Gemm + ".MatMulNT<" + c.T + ">(" + c.Value(x) + ", " + c.Parameter(w) + ", " + c.ValueOut(node) + ", batch, " + LoweringContext.Int(rows) + ", " + LoweringContext.Int(cols) + ", false);");
        }

        public override void Contribute(LoweringContext c, Node child, int argument)
        {
            var w = c.Parent(child, 0);
            int rows = w.Shape.Dims[0], cols = w.Shape.Dims[1];
            c.W.WriteLine(LoweringContext.Gemm + ".MatMulNN<" + c.T + ">(cotangent, backwardMatrix, target.Slice(0, " + LoweringContext.Batch(cols) + "), batch, " + LoweringContext.Int(cols) + ", " + LoweringContext.Int(rows) + ", accumulate);");
        }

        public override void ParameterProduct(LoweringContext c, Node child, int argument)
        {
            var w = c.Parent(child, 0);
            var x = c.Parent(child, 1);
            string rows = LoweringContext.Int(w.Shape.Dims[0]), cols = LoweringContext.Int(w.Shape.Dims[1]);
            c.W.WriteLine(LoweringContext.Gemm + ".MatMulTN<" + c.T + ">(cotangent.Slice(rowStart), " + rows + ", " + c.Value(x) + ", " + cols + ", target.Slice(rowStart * " + cols + ", rowCount * " + cols + "), " + cols +
                ", rowCount, " + cols + ", batch, scale, accumulate);");
        }
    }
}
