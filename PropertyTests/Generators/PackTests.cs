using System;
using System.Diagnostics;
using System.IO;
using Xunit;
using Xunit.Abstractions;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The packed generator works from NuGet: packs Symbolic.Graph and Symbolic.Rules (which carries the generator under
/// analyzers/dotnet/cs) into a local folder, then builds and runs a fresh consumer that declares a graph. It takes about
/// 30 s on 2 cores; run it alone with <c>dotnet test PropertyTests --filter FullyQualifiedName~PackTests</c>.
/// </summary>
public class PackTests
{
    private readonly ITestOutputHelper output;

    public PackTests(ITestOutputHelper output) => this.output = output;

    private const string Consumer = @"using System;
using Symbolic.Graph;

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
        var p = Tiny.Float32.Parameters.Initialise(1, Symbolic.Rules.Initialiser.Xavier);
        var ws = new Tiny.Float32.Workspace(2);
        float[] x = { 1, 2, 3, -1, 0, 1 };
        float[] y = { 1, 0, 0, 1 };
        float first = Tiny.Float32.TrainStepAr(p, x, y, 2, 0.05f, 1f, Tiny.Float32.LayerRelaxationDepth, ws);
        float last = first;
        for (int i = 0; i < 50; i++) last = Tiny.Float32.TrainStepBackprop(p, x, y, 2, 0.05f, ws);
        Console.WriteLine(""GENERATED-OK "" + Tiny.Graph.Nodes.Count + "" "" + first + "" -> "" + last);
        return last < first ? 0 : 1;
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
            // A configuration of its own keeps these builds apart from Debug/Release outputs.
            Run(repo, "pack Graph/Symbolic.Graph.csproj -c PackTest -o \"" + feed + "\" -p:Version=" + version);
            Run(repo, "pack Rules/Symbolic.Rules.csproj -c PackTest -o \"" + feed + "\" -p:Version=" + version);
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
