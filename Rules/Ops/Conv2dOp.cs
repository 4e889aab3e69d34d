using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>kernel ⊛ x by direct loops (<see cref="ReferenceImageOps"/>); the kernel is (out × in·kh·kw); VJPs to the kernel (summed over the batch) and to the image.</summary>
internal sealed class Conv2dOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.Conv2d;

    /// <summary>The geometry of convolution node <paramref name="node"/>: its image's shape, its kernel's window, its stride and padding.</summary>
    public static ImageGeometry Geometry(ComputationGraph graph, Node node)
    {
        var kernel = graph.Nodes[node.Inputs[0]].Shape.Dims;
        var image = graph.Nodes[node.Inputs[1]].Shape.Dims;
        return new ImageGeometry(image[0], image[1], image[2], kernel[2], kernel[3], node.IntConstant(0), node.IntConstant(1));
    }

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) =>
        ReferenceImageOps.Conv2d(parents[1], parents[0], Geometry(graph, node));

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) =>
        argument == 0
            ? ReferenceImageOps.Conv2dKernelVjp(cotangent, parents[1], Geometry(graph, node), parents[0].RowCount)
            : ReferenceImageOps.Conv2dInputVjp(cotangent, parents[0], Geometry(graph, node), cotangent.ColumnCount);
}
