using Symbolic.Graph;

namespace Symbolic.Generators
{
    /// <summary>
    /// An elementwise activation through its kernel in Symbolic.Rules.Kernels (named after the op): the value and f' at
    /// the argument; the contribution is c * f', or c itself when the caller drops f' (and for the identity).
    /// </summary>
    internal sealed class ElementwiseLowering : Lowering
    {
        private readonly string kernel;

        public ElementwiseLowering(string kernel) => this.kernel = kernel;

        private bool HasDerivative(Node node) => node.Op != OpKind.Identity;

        public override void Forward(LoweringContext c, Node node)
        {
            var x = c.Value(c.Parent(node, 0));
            if (!HasDerivative(node))
            {
                c.W.WriteLine(LoweringContext.Kernels + ".Identity<" + c.T + ">(" + x + ", " + c.ValueOut(node) + ");");
                return;
            }
            if (node.Op == OpKind.Relu)
            {
                c.W.WriteLine("global::Symbolic.Rules.Kernels.Elementwise.ReluWithMask<" + c.T + ">(" + x + ", " + c.ValueOut(node) + ", " + c.DerivativeOut(node) + ");");
                return;
            }
            string slope = node.Op == OpKind.LeakyRelu ? ", " + c.Literal(node.Alpha) : "";
            c.W.WriteLine(LoweringContext.Kernels + "." + kernel + "<" + c.T + ">(" + x + ", " + c.ValueOut(node) + ", " + c.DerivativeOut(node) + slope + ");");
        }

        public override void Contribute(LoweringContext c, Node child, int argument)
        {
            if (!HasDerivative(child))
            {
                c.W.WriteLine(LoweringContext.Kernels + ".Pass<" + c.T + ">(cotangent, target, accumulate);");
                return;
            }
            c.W.WriteLine("if (useDerivative) " + LoweringContext.Kernels + ".Scale<" + c.T + ">(cotangent, " + c.Derivative(child) + ", target, accumulate);");
            c.W.WriteLine("else " + LoweringContext.Kernels + ".Pass<" + c.T + ">(cotangent, target, accumulate);");
        }
    }
}
