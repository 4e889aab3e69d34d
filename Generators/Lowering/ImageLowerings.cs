using System.Linq;
using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// The image ops through Symbolic.Rules.Kernels.Lowered, every geometry a constant: a convolution (im2col and the GEMM;
    /// to its image through the caller's backward kernel, as a matrix product's contribution goes through its backward matrix),
    /// pooling, the per-channel bias and the flatten (a copy whose VJP is the identity).
    /// </summary>
    internal static class ImageGeometryText
    {
        /// <summary>"channels, height, width" of an image node.</summary>
        public static string Image(Node image) => string.Join(", ", image.Shape.Dims.Select(LoweringContext.Int));

        /// <summary>"outputs, channels, height, width, kh, kw, stride, padding" of a convolution node.</summary>
        public static string Convolution(LoweringContext c, Node conv)
        {
            var k = c.Parent(conv, 0).Shape.Dims;
            return LoweringContext.Int(k[0]) + ", " + Image(c.Parent(conv, 1)) + ", " + LoweringContext.Int(k[2]) + ", " + LoweringContext.Int(k[3]) + ", " +
                LoweringContext.Int(conv.IntConstant(0)) + ", " + LoweringContext.Int(conv.IntConstant(1));
        }

        /// <summary>"channels, height, width, window, stride" of a pooling node.</summary>
        public static string Pool(LoweringContext c, Node pool) =>
            Image(c.Parent(pool, 0)) + ", " + LoweringContext.Int(pool.IntConstant(0)) + ", " + LoweringContext.Int(pool.IntConstant(1));
    }

    /// <summary>kernel ⊛ x: forward by im2col and the GEMM; to x through the backward kernel; to the kernel on a block of output channels.</summary>
    internal sealed class Conv2dLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Conv2d<" + c.T + ">(" + c.Value(c.Parent(node, 1)) + ", " + c.Parameter(c.Parent(node, 0)) + ", " + c.ValueOut(node) + ", batch, " + ImageGeometryText.Convolution(c, node) + ");");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Conv2dInput<" + c.T + ">(cotangent, backwardMatrix, target, accumulate, batch, " + ImageGeometryText.Convolution(c, child) + ");");

        public override void ParameterProduct(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Conv2dKernel<" + c.T + ">(cotangent, " + c.Value(c.Parent(child, 1)) + ", target, scale, accumulate, batch, rowStart, rowCount, " + ImageGeometryText.Convolution(c, child) + ");");
    }

    /// <summary>x + b[channel]: to x the identity; to b the cotangent summed over the batch and the channel's positions.</summary>
    internal sealed class ChannelBiasAddLowering : Lowering
    {
        private static string Positions(Node node) => LoweringContext.Int(node.Shape.Dims[1] * node.Shape.Dims[2]);

        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Kernels + ".ChannelBiasAdd<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.Parameter(c.Parent(node, 1)) + ", " + c.ValueOut(node) + ", batch, " +
                LoweringContext.Int(node.Shape.Dims[0]) + ", " + Positions(node) + ");");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Pass<" + c.T + ">(cotangent, target, accumulate);");

        public override void ParameterProduct(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".ChannelBiasProduct<" + c.T + ">(cotangent, target, batch, " + LoweringContext.Int(child.Shape.Dims[0]) + ", " + Positions(child) + ", rowStart, rowCount, scale, accumulate);");
    }

    /// <summary>Max- or average-pooling of each channel; max-pooling's VJP finds each window's maximum again in the stored input.</summary>
    internal sealed class PoolLowering : Lowering
    {
        private readonly bool max;

        public PoolLowering(bool max) => this.max = max;

        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Kernels + "." + (max ? "MaxPool" : "AvgPool") + "<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.ValueOut(node) + ", batch, " + ImageGeometryText.Pool(c, node) + ");");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(max
                ? LoweringContext.Kernels + ".MaxPoolInput<" + c.T + ">(cotangent, " + c.Value(c.Parent(child, 0)) + ", target, accumulate, batch, " + ImageGeometryText.Pool(c, child) + ");"
                : LoweringContext.Kernels + ".AvgPoolInput<" + c.T + ">(cotangent, target, accumulate, batch, " + ImageGeometryText.Pool(c, child) + ");");
    }

    /// <summary>An image as a vector: the same values in the same order, so forward is a copy and the VJP the identity.</summary>
    internal sealed class FlattenLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Identity<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.ValueOut(node) + ");");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Pass<" + c.T + ">(cotangent, target, accumulate);");
    }
}
