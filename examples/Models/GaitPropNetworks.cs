using Symbolic.Graph;

namespace Symbolic.Examples;

/// <summary>
/// The GAIT-prop paper's "square" network (Ahmad et al. 2020, arXiv 2006.06438; the authors' <c>SquareInvNet</c>): four
/// 784-wide hidden layers and a 784-wide output layer, every one h = LeakyRelu(W x + b, 0.1) with W square, so each is
/// invertible. The classes are the output's first 10 units: the graph's output is that slice, so the other 774 units
/// take their own forward values as targets, as in the authors' code. Summed squared error.
/// </summary>
[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class GaitSquare
{
    static Node Forward([Input(784)] Node x,
        [Weight(784, 784)] Node w1, [Bias(784)] Node b1, [Weight(784, 784)] Node w2, [Bias(784)] Node b2,
        [Weight(784, 784)] Node w3, [Bias(784)] Node b3, [Weight(784, 784)] Node w4, [Bias(784)] Node b4,
        [Weight(784, 784)] Node w5, [Bias(784)] Node b5)
    {
        var h1 = LeakyRelu(w1 * x + b1, 0.1);
        var h2 = LeakyRelu(w2 * h1 + b2, 0.1);
        var h3 = LeakyRelu(w3 * h2 + b3, 0.1);
        var h4 = LeakyRelu(w4 * h3 + b4, 0.1);
        var h5 = LeakyRelu(w5 * h4 + b5, 0.1);
        return Slice(h5, 0, 10);
    }
}

/// <summary>
/// The GAIT-prop paper's "tower" network (the authors' <c>TowerInvNet</c> with structure 784, 784, 500, 200, 10): each
/// layer is square on the first units of the layer below (784, then 500 of 784, 200 of 500, 10 of 200), the dropped
/// units carried as auxiliaries whose targets are their own forward values. LeakyRelu(·, 0.1) throughout, summed squared error.
/// </summary>
[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class GaitTower
{
    static Node Forward([Input(784)] Node x,
        [Weight(784, 784)] Node w1, [Bias(784)] Node b1, [Weight(500, 500)] Node w2, [Bias(500)] Node b2,
        [Weight(200, 200)] Node w3, [Bias(200)] Node b3, [Weight(10, 10)] Node w4, [Bias(10)] Node b4)
    {
        var h1 = LeakyRelu(w1 * x + b1, 0.1);
        var h2 = LeakyRelu(w2 * Slice(h1, 0, 500) + b2, 0.1);
        var h3 = LeakyRelu(w3 * Slice(h2, 0, 200) + b3, 0.1);
        return LeakyRelu(w4 * Slice(h3, 0, 10) + b4, 0.1);
    }
}
