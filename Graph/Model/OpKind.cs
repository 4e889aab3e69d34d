namespace Symbolic.Graph
{
    /// <summary>The operations a computation graph is made of.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    enum OpKind
    {
        /// <summary>A per-sample input vector fed from the batch.</summary>
        Input,
        /// <summary>A trainable weight matrix [rows, cols].</summary>
        Weight,
        /// <summary>A trainable bias vector [n].</summary>
        Bias,
        /// <summary>Matrix-vector product W x of a weight parameter and a per-sample vector.</summary>
        MatVec,
        /// <summary>Elementwise sum of two or more per-sample values of one shape.</summary>
        Add,
        /// <summary>Adds a bias parameter to a per-sample vector.</summary>
        BiasAdd,
        /// <summary>Elementwise product of two per-sample values (a gate).</summary>
        Mul,
        /// <summary>Concatenation of vectors.</summary>
        Concat,
        /// <summary>Identity activation.</summary>
        Identity,
        /// <summary>Hyperbolic tangent.</summary>
        Tanh,
        /// <summary>Logistic sigmoid.</summary>
        Sigmoid,
        /// <summary>Rectified linear unit.</summary>
        Relu,
        /// <summary>Leaky rectified linear unit with slope <c>alpha</c> below zero.</summary>
        LeakyRelu,
        /// <summary>Softplus, log(1 + e^x).</summary>
        Softplus,
        /// <summary>A trainable convolution kernel [out channels, in channels, height, width].</summary>
        Kernel,
        /// <summary>2-D convolution of an image (channels, height, width) by a kernel parameter, with a constant stride and zero padding.</summary>
        Conv2d,
        /// <summary>Max-pooling of each channel of an image over square windows with a constant stride.</summary>
        MaxPool,
        /// <summary>Average-pooling of each channel of an image over square windows with a constant stride.</summary>
        AvgPool,
        /// <summary>An image as a vector, in (channel, row, column) order.</summary>
        Flatten,
        /// <summary>Adds a bias parameter [channels] to every position of its channel of an image.</summary>
        ChannelBiasAdd,
        /// <summary>The units [start, start + count) of a vector (an invertible network's kept units; the rest carried as auxiliaries).</summary>
        Slice,
    }

    /// <summary>The loss that closes a graph, applied to the output node against a target of the same shape.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    enum LossKind
    {
        /// <summary>Summed squared error, sum (v - y)^2; its gradient is 2 (v - y).</summary>
        SquaredError,
        /// <summary>Softmax cross-entropy, -sum y log softmax(v); its gradient is softmax(v) - y for a normalised y.</summary>
        SoftmaxCrossEntropy,
    }

    /// <summary>What a node is: fed from the batch, a trainable parameter, or computed.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    enum NodeRole
    {
        /// <summary>Fed from the batch; has no relaxation unit.</summary>
        Input,
        /// <summary>A trainable parameter shared by all samples.</summary>
        Parameter,
        /// <summary>Computed per sample from its parents; has a relaxation unit.</summary>
        Computed,
    }
}
