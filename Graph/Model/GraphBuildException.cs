using System;

namespace Symbolic.Graph
{
    /// <summary>Thrown when a graph under construction is invalid; the message names the node and the shapes involved.</summary>
#if SYMBOLIC_GENERATOR
    internal
#else
    public
#endif
    sealed class GraphBuildException : Exception
    {
        /// <summary>Makes the exception for the node named <paramref name="nodeName"/>.</summary>
        public GraphBuildException(string nodeName, string message) : base(message) => NodeName = nodeName;

        /// <summary>The node the error is about (the one being added, or the output).</summary>
        public string NodeName { get; }
    }
}
