using Symbolic.Graph;

namespace Symbolic.Examples;

/// <summary>
/// A non-chain architecture: a residual block whose branch is gated (a GLU-style sigmoid gate) and whose
/// input projection is used twice (fan-out), closed by softmax cross-entropy. As a DAG: h feeds the gate, the
/// candidate and the skip connection.
/// </summary>
[ComputationGraph(Loss = LossKind.SoftmaxCrossEntropy)]
public static partial class GatedResidual
{
    static Node Forward([Input(16)] Node x,
        [Weight(12, 16)] Node wIn, [Bias(12)] Node bIn,
        [Weight(12, 12)] Node wGate, [Bias(12)] Node bGate,
        [Weight(12, 12)] Node wCand,
        [Weight(5, 12)] Node wOut, [Bias(5)] Node bOut)
    {
        var h = Tanh(wIn * x + bIn);
        var gate = Sigmoid(wGate * h + bGate);
        var candidate = LeakyRelu(wCand * h, 0.1);
        var residual = h + gate * candidate;
        return wOut * Softplus(residual) + bOut;
    }
}
