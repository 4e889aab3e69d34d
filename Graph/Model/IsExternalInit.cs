#if NETSTANDARD2_0
namespace System.Runtime.CompilerServices
{
    /// <summary>Polyfill that lets records with init-only setters compile on netstandard2.0.</summary>
    internal static class IsExternalInit
    {
    }
}
#endif
