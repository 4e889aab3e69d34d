namespace Symbolic.Rules;

/// <summary>
/// A compile-time on/off switch for the optimiser kernels: passed as a struct type argument, the JIT specialises the kernel
/// and folds the test, so a loop that skips weight decay or Nesterov carries neither the branch nor the arithmetic.
/// </summary>
internal interface IKernelSwitch
{
    /// <summary>Whether the feature is on.</summary>
    static abstract bool On { get; }
}

/// <summary>The switch turned on.</summary>
internal readonly struct SwitchOn : IKernelSwitch
{
    /// <inheritdoc/>
    public static bool On => true;
}

/// <summary>The switch turned off.</summary>
internal readonly struct SwitchOff : IKernelSwitch
{
    /// <inheritdoc/>
    public static bool On => false;
}
