using System;

namespace Symbolic.Cli;

/// <summary>The <c>symbolic</c> command-line tool.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        Console.WriteLine("symbolic");
        return 0;
    }
}
