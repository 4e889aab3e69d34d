using System;
using System.Diagnostics;
using System.IO;
using Xunit;
using Xunit.Abstractions;

namespace Symbolic.PropertyTests.Generators;

/// <summary>
/// The packed generator works from NuGet: packs Symbolic.Graph and Symbolic.Rules (which carries the generator under
/// analyzers/dotnet/cs) into a local folder, then builds and runs a fresh consumer that declares a graph and trains it
/// through the generated primitives (rule states, GraphPasses). It takes about
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
