using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The packed generator works from NuGet: packs Symbolic.Graph and Symbolic.Rules (which carries the generator under
/// analyzers/dotnet/cs) with the README's commands into a local folder, checks the packages' contents and metadata (the
/// analyzer is the generator project's own build output; readme; MIT license expression), then builds and runs a fresh
/// consumer that declares a graph and trains it through the generated primitives (rule states, GraphPasses). It takes about
/// 30 s on 2 cores; run it alone with <c>dotnet test PropertyTests --filter FullyQualifiedName~PackTests</c>.
/// </summary>
public class PackTests
{
    private readonly ITestOutputHelper output;

    public PackTests(ITestOutputHelper output) => this.output = output;

    private const string Consumer = @"using System;
using Symbolic.Graph;
using Symbolic.Rules;
using Symbolic.Rules.Compiled;

namespace Consumer;

[ComputationGraph(Loss = LossKind.SquaredError)]
public static partial class Tiny
{
    static Node Forward([Input(3)] Node x, [Weight(4, 3)] Node w, [Bias(4)] Node b, [Weight(2, 4)] Node v) => v * Tanh(w * x + b);
}

public static class Program
{
    public static int Main()
    {
        var p = Tiny.Float32.Parameters.Initialise(1, Initialiser.Xavier);
        float[] x = { 1, 2, 3, -1, 0, 1 };
        float[] y = { 1, 0, 0, 1 };
        var batch = new CompiledBatch<float>(new[] { x }, y, 2);
        var sgd = new Sgd(0.05);
        var ar = new ActivationRelaxationRule(new RelaxationOptions(1.0, Tiny.Float32.LayerRelaxationDepth));
        float first;
        using (var arState = ar.CreateState<Tiny.Float32, float>(2)) first = ar.Step(p, batch, sgd, arState);
        var bp = new BackpropRule();
        using var bpState = bp.CreateState<Tiny.Float32, float>(2);
        float last = first;
        for (int i = 0; i < 50; i++) last = bp.Step(p, batch, sgd, bpState);
        float after = GraphPasses<Tiny.Float32, float>.Forward(p, batch, new Workspace<float>(Tiny.Float32.Layout, 2));
        Console.WriteLine(""GENERATED-OK "" + Tiny.Graph.Nodes.Count + "" "" + first + "" -> "" + last + "" -> "" + after);
        return last < first && float.IsFinite(after) ? 0 : 1;
    }
}
";

    private string Run(string workingDirectory, string arguments)
    {
        var info = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        string text = stdout.Result + stderr.Result;
        output.WriteLine("$ dotnet " + arguments + "\n" + text);
        Assert.True(process.ExitCode == 0, "dotnet " + arguments + " failed:\n" + text);
        return text;
    }

    /// <summary>The nupkgs' files and nuspec metadata.</summary>
    private static void CheckPackages(string feed, string artifacts, string version)
    {
        using var rules = ZipFile.OpenRead(Path.Combine(feed, "Symbolic.Rules." + version + ".nupkg"));
        using var graph = ZipFile.OpenRead(Path.Combine(feed, "Symbolic.Graph." + version + ".nupkg"));
        string[] rulesFiles = rules.Entries.Select(e => e.FullName).ToArray();
        string list = string.Join(", ", rulesFiles);

        // Exactly the generator, under analyzers/dotnet/cs, and nowhere else (not as a lib assembly).
        Assert.Equal(new[] { "analyzers/dotnet/cs/Symbolic.Generators.dll" }, rulesFiles.Where(f => f.StartsWith("analyzers/", StringComparison.Ordinal)));
        Assert.Single(rulesFiles, f => f.EndsWith("Symbolic.Generators.dll", StringComparison.Ordinal));
        Assert.Contains("lib/net10.0/Symbolic.Rules.dll", rulesFiles);
        // ... and it is the file the generator project built in this pack (artifacts layout: bin/<project>/<configuration>).
        string built = Path.Combine(artifacts, "bin", "Symbolic.Generators", "release", "Symbolic.Generators.dll");
        Assert.True(File.Exists(built), "the generator's build output is not at " + built + "; packed: " + list);
        string builtHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(built)));
        string packedHash = Convert.ToHexString(SHA256.HashData(ReadAll(rules, "analyzers/dotnet/cs/Symbolic.Generators.dll")));
        Assert.True(builtHash == packedHash, "the packed analyzer (SHA-256 " + packedHash + ") is not the generator this pack built ("
            + builtHash + ", " + built + "): an older or other build of the generator was packed");

        foreach (var (package, id) in new[] { (rules, "Symbolic.Rules"), (graph, "Symbolic.Graph") })
        {
            XElement metadata = XDocument.Parse(ReadText(package, id + ".nuspec")).Root!
                .Elements().Single(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            XElement? license = metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "license");
            Assert.True(license is not null, id + ".nuspec has no <license>");
            Assert.Equal("expression", (string?)license!.Attribute("type"));
            Assert.Equal("MIT", license.Value);
            Assert.Equal("README.md", Value("readme"));
            Assert.Equal("# " + id, ReadText(package, "README.md").Split('\n')[0].TrimEnd('\r'));   // this package's own readme
            Assert.Equal("git", (string?)metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository")?.Attribute("type"));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")), id + ".nuspec has no description");
            Assert.False(string.IsNullOrWhiteSpace(Value("tags")), id + ".nuspec has no tags");
            // The generator is inside the package, never a dependency of it.
            Assert.DoesNotContain(metadata.Descendants().Where(e => e.Name.LocalName == "dependency"),
                d => ((string?)d.Attribute("id"))?.StartsWith("Symbolic.Generators", StringComparison.Ordinal) == true);
        }
    }

    private static ZipArchiveEntry Entry(ZipArchive package, string entryName)
    {
        ZipArchiveEntry? entry = package.GetEntry(entryName);
        Assert.True(entry is not null, "the package has no " + entryName + ": " + string.Join(", ", package.Entries.Select(e => e.FullName)));
        return entry!;
    }

    private static byte[] ReadAll(ZipArchive package, string entryName)
    {
        using var stream = Entry(package, entryName).Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>An entry's text (a byte-order mark, as NuGet writes before the nuspec, is dropped).</summary>
    private static string ReadText(ZipArchive package, string entryName)
    {
        using var reader = new StreamReader(Entry(package, entryName).Open(), detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    [Fact]
    public void A_consumer_of_the_packed_package_gets_generated_code()
    {
        string repo = Path.GetFullPath(Path.Combine(GeneratorHarness.SourceFolder(), "..", ".."));
        string root = Path.Combine(Path.GetTempPath(), "symbolic-pack-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(root, "feed");
        string app = Path.Combine(root, "app");
        Directory.CreateDirectory(app);
        string version = "0.1.0-pack" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        try
        {
            // The README's commands (`dotnet pack Graph`, `dotnet pack Rules`) from a clean output: --artifacts-path puts
            // every bin/ and obj/ under the temporary folder, so the repository's own outputs are neither read nor written
            // (a package that read a fixed ../Generators/bin path would fail here instead of shipping an old generator).
            string artifacts = Path.Combine(root, "artifacts");
            string pack = " -c Release -o \"" + feed + "\" --artifacts-path \"" + artifacts + "\" -p:Version=" + version;
            Run(repo, "pack Graph" + pack);
            Run(repo, "pack Rules" + pack);
            CheckPackages(feed, artifacts, version);
            string globalPackages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(app, "nuget.config"),
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n" +
                "    <add key=\"local\" value=\"" + feed + "\" />\n    <add key=\"cache\" value=\"" + globalPackages + "\" />\n" +
                "    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />\n  </packageSources>\n</configuration>\n");
            File.WriteAllText(Path.Combine(app, "App.csproj"),
                "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n    <TargetFramework>net10.0</TargetFramework>\n" +
                "    <Nullable>enable</Nullable>\n    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>\n    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>\n" +
                "    <RestorePackagesPath>" + Path.Combine(root, "packages") + "</RestorePackagesPath>\n  </PropertyGroup>\n" +
                "  <ItemGroup>\n    <PackageReference Include=\"Symbolic.Rules\" Version=\"" + version + "\" />\n  </ItemGroup>\n</Project>\n");
            File.WriteAllText(Path.Combine(app, "Program.cs"), Consumer);
            string run = Run(app, "run -c Release");
            Assert.Contains("GENERATED-OK", run);
            string generated = Path.Combine(app, "obj", "Release", "net10.0", "generated", "Symbolic.Generators", "Symbolic.Generators.GraphGenerator", "Consumer.Tiny.g.cs");
            Assert.True(File.Exists(generated), "EmitCompilerGeneratedFiles did not write " + generated);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
