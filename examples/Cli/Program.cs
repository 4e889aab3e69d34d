using System;
using System.Linq;

namespace Symbolic.Cli;

/// <summary>The <c>symbolic</c> command-line tool: the imperative shell around the pure library.</summary>
public static class Program
{
    /// <summary>Entry point: <c>symbolic [demo|bench|help] [options]</c>; no verb runs the demo.</summary>
    public static int Main(string[] args)
    {
        string verb = args.Length > 0 && !args[0].StartsWith("-", StringComparison.Ordinal) ? args[0] : "demo";
        var rest = verb == "demo" && (args.Length == 0 || args[0].StartsWith("-", StringComparison.Ordinal)) ? args : args.Skip(1).ToArray();
        try
        {
            switch (verb)
            {
                case "demo":
                    return ArDemo.Run(rest, Console.Out);
                case "bench":
                    return Bench.BenchCommand.Run(rest, Console.Out);
                case "help":
                case "--help":
                case "-h":
                    PrintHelp();
                    return 0;
                default:
                    Console.Error.WriteLine($"symbolic: unknown command '{verb}'.");
                    PrintHelp();
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("symbolic: " + e.Message);
            return 2;
        }
    }

    private static void PrintHelp()
    {
        Console.WriteLine("""
            usage: symbolic [command] [options]

            commands:
              demo    (default) build a small non-chain graph and compare Activation Relaxation with backprop per node
                      options: --eta X (0.1)  --steps N (100)  --schedule sync|topdown (sync)  --seed N (1)  --batch N (4)
              bench   time training steps (forward, backward phase, update) and the machine's peak; prints a table
                      options: --quick (under 60 s)  --json PATH  (see docs/performance.md for the rest)
              help    show this text
            """);
    }
}
