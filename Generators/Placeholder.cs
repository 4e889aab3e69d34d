namespace Symbolic.Generators
{
    /// <summary>Marks the generator assembly until the generator lands (issue 3).</summary>
    internal static class AssemblyMarker
    {
    }
}
