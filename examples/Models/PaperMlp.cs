using Symbolic.Graph;

namespace Symbolic.Examples;

/// <summary>
/// The Activation Relaxation paper's MLP (Millidge et al. 2020, arXiv 2009.05359): 784-300-300-100-10, ReLU hidden
/// layers, linear output, summed squared error. The generator emits <c>Graph</c>, <c>Float32</c> and <c>Float64</c>.
/// </summary>
[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class PaperMlp
{
    static Node Forward([Input(784)] Node x,
        [Weight(300, 784)] Node w1, [Bias(300)] Node b1, [Weight(300, 300)] Node w2, [Bias(300)] Node b2,
        [Weight(100, 300)] Node w3, [Bias(100)] Node b3, [Weight(10, 100)] Node w4, [Bias(10)] Node b4)
    {
        var h1 = Relu(w1 * x + b1);
        var h2 = Relu(w2 * h1 + b2);
        var h3 = Relu(w3 * h2 + b3);
        return w4 * h3 + b4;
    }
}
