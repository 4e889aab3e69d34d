using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Symbolic.Cli.CommandLine;

namespace Symbolic.Cli.Train;

/// <summary>
/// One item of <c>--rules</c>: a rule's name and the run settings it trains with in place of the run's own, as
/// <c>tp:lr=1e-5:ortho-lambda=1000</c>. The GAIT-prop paper trains each rule with its own learning rate and penalty;
/// one run folder then holds all of them, from the same initial weights and batch order, in one table and one plot.
/// </summary>
/// <param name="Text">The item as given (trimmed): the sub-run's label in the records, the summary and the plots.</param>
/// <param name="Name">The rule's name (see <see cref="TrainRules"/>).</param>
/// <param name="Overrides">The settings, in the order given, by key (see <see cref="Keys"/>).</param>
public sealed record RuleSpec(string Text, string Name, IReadOnlyList<KeyValuePair<string, double>> Overrides)
{
    /// <summary>The settings a rule may override, with the option each stands for.</summary>
    public static IReadOnlyList<string> Keys { get; } = new[] { "lr", "clamp-gradients", "ortho-lambda", "gamma", "eta", "steps" };

    /// <summary>Reads one item of <c>--rules</c>; a malformed one is a <see cref="UsageException"/> naming it and what is wrong.</summary>
    public static RuleSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(':');
        string name = parts[0].Trim();
        if (!TrainRules.Names.Contains(name)) throw new UsageException($"--rule '{text}': unknown rule '{name}'; rules are {string.Join(", ", TrainRules.Names)}");
        var overrides = new List<KeyValuePair<string, double>>();
        foreach (var part in parts.Skip(1))
        {
            int equals = part.IndexOf('=');
            string key = equals < 0 ? part.Trim() : part[..equals].Trim();
            if (!Keys.Contains(key)) throw new UsageException($"--rule '{text}': '{part}' is not a setting a rule can override; give KEY=VALUE with KEY one of {string.Join(", ", Keys)}");
            if (equals < 0) throw new UsageException($"--rule '{text}': '{part}' has no value; give {key}=VALUE");
            string value = part[(equals + 1)..].Trim();
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)) throw new UsageException($"--rule '{text}': {key} needs a number, not '{value}'");
            if (overrides.Any(o => o.Key == key)) throw new UsageException($"--rule '{text}' sets {key} twice");
            overrides.Add(new(key, number));
        }
        return new RuleSpec(text.Trim(), name, overrides);
    }

    /// <summary>
    /// <paramref name="config"/> with this rule's settings in place of the run's (the rule list reduced to this rule):
    /// what the sub-run's rule and optimiser are built from.
    /// </summary>
    public TrainConfig Apply(TrainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var applied = config with { Rules = new[] { Name } };
        foreach (var (key, value) in Overrides)
        {
            applied = key switch
            {
                "lr" => applied with { LearningRate = value },
                "clamp-gradients" => applied with { GradientClamp = value },
                "ortho-lambda" => applied with { OrthogonalityLambda = value },
                "gamma" => applied with { Gamma = value },
                "eta" => applied with { Eta = value },
                "steps" => applied with { RelaxationSteps = value == Math.Floor(value) && value is >= 1 and <= int.MaxValue ? (int)value : throw new UsageException($"steps must be a whole number of at least 1, not {value.ToString(CultureInfo.InvariantCulture)}") },
                _ => throw new InvalidOperationException("unreachable: Parse admits only Keys"),
            };
        }
        return applied;
    }

    /// <summary>
    /// <see cref="Text"/> as part of a file or folder name: characters outside letters, digits and <c>.+-=</c> become
    /// <c>_</c> (a colon is not allowed in Windows file names).
    /// </summary>
    public static string FileSafe(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var safe = new StringBuilder(text.Length);
        foreach (char c in text) safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '+' or '-' or '=' ? c : '_');
        return safe.ToString();
    }
}
