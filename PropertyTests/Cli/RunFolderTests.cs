using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Symbolic.Cli.Train;
using Symbolic.Rules.Data;

namespace Symbolic.PropertyTests.Cli;

/// <summary>
/// The shared set-up of the tests that run <see cref="TrainCommand"/> after the command line: a temporary root for
/// run folders (deleted afterwards) and one run, new or resumed, on given data sets.
/// </summary>
public abstract class RunFolderTests : IDisposable
{
    /// <summary>Makes the root folder, named with <paramref name="prefix"/> and a random part.</summary>
    protected RunFolderTests(string prefix)
    {
        Root = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The folder the runs are created in.</summary>
    protected string Root { get; }

    /// <summary>Deletes the root and every run in it.</summary>
    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <paramref name="config"/> in a new folder, or continues <paramref name="resume"/> with its own settings.</summary>
    protected (RunFolder Folder, int Code, string Output) Execute(TrainConfig config, Dataset train, Dataset test, long maxSteps = long.MaxValue, RunFolder? resume = null)
    {
        var output = new StringWriter();
        var folder = resume ?? RunFolder.Create(Root, config, DateTime.Now);
        var records = new List<MetricRecord>();
        if (resume is not null) (config, records) = TrainCommand.PrepareResume(folder, null, new List<string>());
        int code = TrainCommand.Execute(config, folder, records, train, test, output, maxSteps, live: false, CancellationToken.None);
        return (folder, code, output.ToString());
    }
}
