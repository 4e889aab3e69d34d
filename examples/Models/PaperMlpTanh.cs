using Symbolic.Graph;

namespace Symbolic.Examples;

/// <summary>
/// The AR paper's MLP with tanh hidden layers, the activation the follow-up (arXiv 2010.06219) defaults to for its
/// MLPs and uses for its unfrozen-feedforward variants: 784-300-300-100-10, linear output, summed squared error.
/// </summary>
[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class PaperMlpTanh
{
    static Node Forward([Input(784)] Node x,
        [Weight(300, 784)] Node w1, [Bias(300)] Node b1, [Weight(300, 300)] Node w2, [Bias(300)] Node b2,
        [Weight(100, 300)] Node w3, [Bias(100)] Node b3, [Weight(10, 100)] Node w4, [Bias(10)] Node b4)
    {
        var h1 = Tanh(w1 * x + b1);
        var h2 = Tanh(w2 * h1 + b2);
        var h3 = Tanh(w3 * h2 + b3);
        return w4 * h3 + b4;
    }
}
