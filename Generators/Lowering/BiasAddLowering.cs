using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>x + b: the bias broadcast over the batch; to x the identity; to b the cotangent summed over the batch.</summary>
    internal sealed class BiasAddLowering : Lowering
    {
        public override void Forward(LoweringContext c, Node node) =>
            c.W.WriteLine(LoweringContext.Kernels + ".BiasAdd<" + c.T + ">(" + c.Value(c.Parent(node, 0)) + ", " + c.Parameter(c.Parent(node, 1)) + ", " + c.ValueOut(node) + ", batch, " + LoweringContext.Int(node.Size) + ");");

        public override void Contribute(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".Pass<" + c.T + ">(cotangent, target, accumulate);");

        public override void ParameterProduct(LoweringContext c, Node child, int argument) =>
            c.W.WriteLine(LoweringContext.Kernels + ".BiasProduct<" + c.T + ">(cotangent, target, batch, " + LoweringContext.Int(child.Size) + ", rowStart, rowCount, scale, accumulate);");
    }
}
