using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;
using Symbolic.Graph;

namespace Symbolic.Rules.Ops;

/// <summary>Max- and average-pooling of each channel over square windows (<see cref="ReferenceImageOps"/>); max-pooling's VJP goes to each window's first maximum.</summary>
internal sealed class PoolOp : IReferenceOpImplementation
{
    public bool Implements(OpDescriptor op) => op.Kind == OpKind.MaxPool || op.Kind == OpKind.AvgPool;

    /// <summary>The geometry of pooling node <paramref name="node"/>: its image's shape, its window and stride.</summary>
    public static ImageGeometry Geometry(ComputationGraph graph, Node node)
    {
        var image = graph.Nodes[node.Inputs[0]].Shape.Dims;
        return new ImageGeometry(image[0], image[1], image[2], node.IntConstant(0), node.IntConstant(0), node.IntConstant(1));
    }

    public Matrix<double> Forward(ComputationGraph graph, Node node, IReadOnlyList<Matrix<double>> parents) =>
        node.Op == OpKind.MaxPool ? ReferenceImageOps.MaxPool(parents[0], Geometry(graph, node)) : ReferenceImageOps.AvgPool(parents[0], Geometry(graph, node));

    public Matrix<double> Vjp(ComputationGraph graph, Node node, int argument, IReadOnlyList<Matrix<double>> parents, Matrix<double> cotangent) =>
        node.Op == OpKind.MaxPool ? ReferenceImageOps.MaxPoolVjp(cotangent, parents[0], Geometry(graph, node)) : ReferenceImageOps.AvgPoolVjp(cotangent, parents[0], Geometry(graph, node));
}
