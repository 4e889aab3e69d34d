using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Symbolic.Cli.CommandLine;

/// <summary>
/// A user error found after parsing (a filter that matches nothing, an output path that cannot be written): reported as
/// one line on stderr with exit code 2, like a parse error.
/// </summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the error with the one-line message shown to the user.</summary>
    public UsageException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Factories for the CLI's System.CommandLine options: typed values parsed with the invariant culture, range checks with
/// one-line messages that name the option, and flags that take no value.
/// </summary>
public static class CliOptions
{
    /// <summary>A flag: present or absent, never followed by a value.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>A text value (required after the option's name; absent means null).</summary>
    public static Option<string?> Text(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.ExactlyOne };

    /// <summary>A floating-point value with a default and a range (<paramref name="range"/> describes it in messages, e.g. "in (0, 1]").</summary>
    public static Option<double> Number(string name, string helpName, string description, double defaultValue, Func<double, bool> valid, string range) =>
        Typed(name, helpName, description, defaultValue, "a number", valid, range,
            text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null);

    /// <summary>An integer value with a default and a range (<paramref name="range"/> describes it in messages, e.g. "at least 1").</summary>
    public static Option<int> Integer(string name, string helpName, string description, int defaultValue, Func<int, bool> valid, string range) =>
        Typed(name, helpName, description, defaultValue, "an integer", valid, range,
            text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null);

    /// <summary>One of a fixed set of words (help shows them and the default word).</summary>
    public static Option<string> Choice(string name, string description, string defaultWord, params string[] words)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join("|", words),
            Arity = ArgumentArity.ExactlyOne,
            DefaultValueFactory = _ => defaultWord,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0) return defaultWord;
                string text = result.Tokens[^1].Value;
                if (Array.IndexOf(words, text) >= 0) return text;
                result.AddError($"{name} must be {string.Join(" or ", words)}, not '{text}'");
                return defaultWord;
            },
        };
        option.CompletionSources.Add(words);
        return option;
    }

    private static Option<T> Typed<T>(string name, string helpName, string description, T defaultValue, string kind, Func<T, bool> valid, string range, Func<string, T?> parse)
        where T : struct => new(name)
        {
            Description = description,
            HelpName = helpName,
            Arity = ArgumentArity.ExactlyOne,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => Parse(result, name, kind, valid, range, parse, defaultValue),
        };

    private static T Parse<T>(ArgumentResult result, string name, string kind, Func<T, bool> valid, string range, Func<string, T?> parse, T defaultValue)
        where T : struct
    {
        if (result.Tokens.Count == 0) return defaultValue;
        string text = result.Tokens[^1].Value;
        if (parse(text) is not T value)
        {
            result.AddError($"{name} needs {kind}, not '{text}'");
            return defaultValue;
        }
        if (!valid(value))
        {
            result.AddError($"{name} must be {range}, not {text}");
            return defaultValue;
        }
        return value;
    }
}
