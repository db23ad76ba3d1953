using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SharpBpf.Tests.Packets;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Engines;

/// <summary>The README's C# example, compiled as it stands into a program and run as a process on both engines.</summary>
public sealed partial class ReadmeExampleTests
{
    [Fact]
    public void RunsOnTheVm() => Assert.Equal("1", RunExample(kernel: false));

    [SkippableFact]
    public void RunsInTheKernel()
    {
        Requirements.Kernel();
        Assert.Equal("1", RunExample(kernel: true));
    }

    private static string RunExample(bool kernel)
    {
        var dir = Directory.CreateTempSubdirectory("sharpbpf-readme-").FullName;
        try
        {
            Build(ReadmeSnippet(), dir);
            File.Copy(TestPrograms.Compile(Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist", "xdp_blacklist.bpf.c")),
                Path.Combine(dir, "xdp_blacklist.o"));
            File.WriteAllBytes(Path.Combine(dir, "packet.bin"), TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 53));
            var (code, stdout, stderr) = TestPrograms.Run("dotnet", [Path.Combine(dir, "readme.dll"), .. kernel ? ["--kernel"] : Array.Empty<string>()], workingDirectory: dir);
            Assert.True(code == 0, $"the README example exited {code}: {stderr}");
            return stdout.Trim();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string ReadmeSnippet()
    {
        var readme = File.ReadAllText(Path.Combine(TestPrograms.RepoRoot, "README.md"));
        var block = CSharpBlock().Match(readme[readme.IndexOf("### From C#", StringComparison.Ordinal)..]);
        Assert.True(block.Success, "README.md's \"From C#\" section has no ```csharp block");
        return block.Groups[1].Value;
    }

    /// <summary>Compiles <paramref name="source"/> (top-level statements) into DIR/readme.dll, runnable with `dotnet`.</summary>
    private static void Build(string source, string dir)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(VmEngine).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("readme",
            [CSharpSyntaxTree.ParseText(source, Latest), CSharpSyntaxTree.ParseText(ImplicitUsings, Latest)],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var result = compilation.Emit(Path.Combine(dir, "readme.dll"));
        Assert.True(result.Success, "the README example does not compile:\n" +
            string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        File.Copy(typeof(VmEngine).Assembly.Location, Path.Combine(dir, Path.GetFileName(typeof(VmEngine).Assembly.Location)));
        File.WriteAllText(Path.Combine(dir, "readme.runtimeconfig.json"),
            "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + Environment.Version + "\"}}}");
    }

    private static readonly CSharpParseOptions Latest = new(LanguageVersion.Latest);

    /// <summary>What a console project's ImplicitUsings gives every file.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
