using Xunit;

namespace Symbolic.PropertyTests.Kernels;

/// <summary>
/// The kernel tests toggle the process-wide <see cref="Symbolic.Rules.Kernels.Gemm.FastKernels"/> to test the portable
/// paths: run them with no other test in parallel, or a concurrent training test would take the portable kernels for
/// some of its steps and round differently (it made the bit-exact resume tests flaky).
/// </summary>
[CollectionDefinition("Kernels", DisableParallelization = true)]
public sealed class KernelsCollection
{
}
