using System;
using System.Globalization;
using System.IO;
using Spectre.Console;

namespace Symbolic.Cli.Train;

/// <summary>How a training run shows its progress: a live bar per sub-run on a terminal, plain lines elsewhere.</summary>
public interface ITrainingProgress
{
    /// <summary>A sub-run starts (or resumes with <paramref name="done"/> of its <paramref name="total"/> steps already taken).</summary>
    void Begin(string label, long total, long done);

    /// <summary>A step of the current sub-run is done; <paramref name="status"/> is its loss and last accuracy.</summary>
    void Advance(long done, string status);

    /// <summary>A line of its own (an epoch's result, a warning), kept in the output.</summary>
    void Line(string text);

    /// <summary>The current sub-run ended.</summary>
    void End();
}

/// <summary>Plain lines: one when a sub-run starts, one per epoch (for logs and pipes).</summary>
public sealed class PlainProgress(TextWriter output) : ITrainingProgress
{
    /// <inheritdoc/>
    public void Begin(string label, long total, long done) =>
        output.WriteLine(done == 0 ? $"{label}: {total} steps" : string.Create(CultureInfo.InvariantCulture, $"{label}: resuming at step {done} of {total}"));

    /// <inheritdoc/>
    public void Advance(long done, string status)
    {
    }

    /// <inheritdoc/>
    public void Line(string text) => output.WriteLine(text);

    /// <inheritdoc/>
    public void End() => output.Flush();
}

/// <summary>
/// Spectre.Console's live progress: a bar per sub-run with percentage, elapsed and remaining time, and the running loss and
/// accuracy in its description; epoch lines print above the bars.
/// </summary>
public sealed class LiveProgress : ITrainingProgress
{
    private readonly IAnsiConsole console;
    private readonly ProgressContext context;
    private ProgressTask? task;
    private string label = "";
    private long lastShown = -1;

    private LiveProgress(IAnsiConsole console, ProgressContext context)
    {
        this.console = console;
        this.context = context;
    }

    /// <summary>Runs <paramref name="body"/> with a live display on <paramref name="output"/> (a terminal).</summary>
    public static T Run<T>(TextWriter output, Func<ITrainingProgress, T> body)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => body(new LiveProgress(console, context)));
    }

    /// <inheritdoc/>
    public void Begin(string label, long total, long done)
    {
        this.label = label;
        task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
        task.Value = done;
        lastShown = -1;
    }

    /// <inheritdoc/>
    public void Advance(long done, string status)
    {
        if (task is null) return;
        task.Value = done;
        // The description is re-laid out on every change: update it a few hundred times per sub-run at most.
        long bucket = (long)(done * 200 / Math.Max(1, task.MaxValue));
        if (bucket == lastShown) return;
        lastShown = bucket;
        task.Description = Markup.Escape(label + "  " + status);
    }

    /// <inheritdoc/>
    public void Line(string text) => console.MarkupLine(Markup.Escape(text));

    /// <inheritdoc/>
    public void End()
    {
        if (task is null) return;
        task.Value = task.MaxValue;
        task.StopTask();
        task = null;
    }
}
