using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.IO;
using System.Linq;
using Symbolic.Cli.Bench;
using Symbolic.Cli.CommandLine;
using Symbolic.Cli.Data;
using Symbolic.Cli.Train;

namespace Symbolic.Cli;

/// <summary>
/// The <c>symbolic</c> command-line tool: the imperative shell around the pure library. The command line is parsed by
/// System.CommandLine; every user error is one line on stderr (prefix <c>symbolic: </c>) and exit code 2; other failures
/// are one line and exit code 1 (with the stack trace when <c>SYMBOLIC_DEBUG=1</c>).
/// </summary>
public static class Program
{
    /// <summary>Exit code of a successful run or of help.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a failure that is not the user's (an exception, a failed self-check).</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a user error: unknown or malformed options, values out of range, unusable paths.</summary>
    public const int UsageError = 2;

    /// <summary>Entry point: <c>symbolic [train|demo|bench|data|help] [options]</c>; no command trains with the defaults.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the tool on <paramref name="args"/>, writing output and help to <paramref name="stdout"/> and errors to <paramref name="stderr"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = CreateRootCommand(out var trainOnRoot);
        ParseResult parse;
        try
        {
            // No response files: an argument starting with '@' (a filter, a path) means itself.
            parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        }
        catch (Exception e)
        {
            return Fail(stderr, e);
        }
        var command = parse.CommandResult.Command;
        if (parse.Action is not HelpAction)
        {
            var early = trainOnRoot.All.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
            string? error = parse.Errors.Count > 0
                ? string.Join("; ", parse.Errors.Select(e => Clause(e.Message)).Distinct())
                : command != root && early != null
                    ? $"{early.Name} before '{command.Name}': the training options go after 'train' (or with no command){(command.Name == "train" ? "" : $", and {command.Name} does not take them")}"
                    : null;
            if (error != null) return Usage(stderr, error, command, root);
        }
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        try
        {
            return parse.Invoke(invocation);
        }
        catch (UsageException e)
        {
            return Usage(stderr, e.Message, command, root);
        }
        catch (Exception e)
        {
            return Fail(stderr, e);
        }
    }

    /// <summary>
    /// The command tree: the root runs the demo (with the demo's options) when no command is given; <c>demo</c>,
    /// <c>bench</c>, and <c>help [command]</c>. <c>-h</c>, <c>--help</c> and <c>-?</c> work on every command.
    /// </summary>
    public static RootCommand CreateRootCommand() => CreateRootCommand(out _);

    private static RootCommand CreateRootCommand(out TrainCommand.Options trainOnRoot)
    {
        var root = new RootCommand("Learning rules that approximate backpropagation with local computation. With no command, trains with the options below "
            + "(the same as 'symbolic train'): by default the AR paper's MLP on MNIST with AR and backprop side by side for 2 epochs.");
        root.HelpName = "symbolic"; // the executable is "testhost" under dotnet test
        trainOnRoot = new TrainCommand.Options();
        trainOnRoot.AttachTo(root);
        root.Add(TrainCommand.CreateCommand());
        root.Add(TrainCommand.CreateCompareCommand());
        root.Add(ArDemo.CreateCommand());
        root.Add(BenchCommand.CreateCommand());
        root.Add(DataCommand.CreateCommand());
        var help = new Command("help", "Show this text, or a command's help");
        var topic = new Argument<string?>("command") { Description = "The command to describe", Arity = ArgumentArity.ZeroOrOne };
        topic.Validators.Add(result =>
        {
            string? name = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (name != null && !root.Subcommands.Any(c => c.Name == name))
            {
                result.AddError($"no command '{name}'; commands are {string.Join(", ", root.Subcommands.Select(c => c.Name))}");
            }
        });
        help.Add(topic);
        help.SetAction(parse =>
        {
            string? name = parse.GetValue(topic);
            var helpParse = root.Parse(name == null ? new[] { "--help" } : new[] { name, "--help" });
            return helpParse.Invoke(parse.InvocationConfiguration);
        });
        root.Add(help);
        return root;
    }

    private static bool Debug => Environment.GetEnvironmentVariable("SYMBOLIC_DEBUG") == "1";

    private static int Usage(TextWriter stderr, string message, Command command, RootCommand root)
    {
        string helpCommand = command == root ? "symbolic --help" : $"symbolic {command.Name} --help";
        stderr.WriteLine($"symbolic: {Clause(message)}; run '{helpCommand}' for the options");
        return UsageError;
    }

    private static int Fail(TextWriter stderr, Exception e)
    {
        if (Debug)
        {
            stderr.WriteLine($"symbolic: error: {OutputFile.OneLine(e.Message)} ({e.GetType().Name})");
            stderr.WriteLine(e.ToString());
        }
        else
        {
            stderr.WriteLine($"symbolic: error: {OutputFile.OneLine(e.Message)} ({e.GetType().Name}; set SYMBOLIC_DEBUG=1 for the stack trace)");
        }
        return Failure;
    }

    /// <summary>A message as one clause: one line, without a final full stop.</summary>
    private static string Clause(string message) => OutputFile.OneLine(message).TrimEnd('.', ' ');
}
