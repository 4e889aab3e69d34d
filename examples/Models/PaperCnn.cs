using Symbolic.Graph;

namespace Symbolic.Examples;

/// <summary>
/// The follow-up paper's CNN (arXiv 2010.06219, its cnn.py) on 28×28 grey images: conv 5×5 1→6 (24×24), max-pool 2
/// (12×12), conv 5×5 6→16 (8×8, no second pool), flatten (1024), dense 1024-120-120-10; tanh after every hidden layer,
/// linear output, summed squared error; the convolutions have no bias, as in the authors' code.
/// </summary>
[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class PaperCnn
{
    static Node Forward([Input(1, 28, 28)] Node x,
        [Kernel(6, 1, 5, 5)] Node k1, [Kernel(16, 6, 5, 5)] Node k2,
        [Weight(120, 1024)] Node w3, [Bias(120)] Node b3, [Weight(120, 120)] Node w4, [Bias(120)] Node b4,
        [Weight(10, 120)] Node w5, [Bias(10)] Node b5)
    {
        var c1 = Tanh(Conv2d(k1, x, 1, 0));
        var p1 = MaxPool(c1, 2, 2);
        var c2 = Tanh(Conv2d(k2, p1, 1, 0));
        var h3 = Tanh(w3 * Flatten(c2) + b3);
        var h4 = Tanh(w4 * h3 + b4);
        return w5 * h4 + b5;
    }
}

/// <summary>
/// The same CNN for 32×32 colour images, the paper's CIFAR-10 network: conv 5×5 3→6 (28×28), max-pool 2 (14×14),
/// conv 5×5 6→16 (10×10), flatten (1600), dense 1600-120-120-10, tanh, linear output, no conv bias.
/// </summary>
[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class PaperCnnColour
{
    static Node Forward([Input(3, 32, 32)] Node x,
        [Kernel(6, 3, 5, 5)] Node k1, [Kernel(16, 6, 5, 5)] Node k2,
        [Weight(120, 1600)] Node w3, [Bias(120)] Node b3, [Weight(120, 120)] Node w4, [Bias(120)] Node b4,
        [Weight(10, 120)] Node w5, [Bias(10)] Node b5)
    {
        var c1 = Tanh(Conv2d(k1, x, 1, 0));
        var p1 = MaxPool(c1, 2, 2);
        var c2 = Tanh(Conv2d(k2, p1, 1, 0));
        var h3 = Tanh(w3 * Flatten(c2) + b3);
        var h4 = Tanh(w4 * h3 + b4);
        return w5 * h4 + b5;
    }
}
