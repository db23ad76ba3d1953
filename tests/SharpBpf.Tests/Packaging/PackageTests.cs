using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Packaging;

/// <summary>
/// The packages as a .NET developer meets them: pack SharpBpf.Core, SharpBpf.Build and the sharpbpf tool into a local
/// folder feed, build a fresh console project that compiles a BPF C file through the packaged MSBuild integration and
/// runs it on the VM, then install the tool from the same feed and run it. Everything happens in a private temp
/// folder with its own NuGet package cache, so no earlier package of the same version can stand in.
/// </summary>
public class PackageTests
{
    [SkippableFact]
    public void PackagesBuildAConsumerAndInstallTheTool()
    {
        Requirements.Tool(TestPrograms.Clang);
        var work = Directory.CreateTempSubdirectory("sharpbpf-pack-");
        try
        {
            var feed = Path.Combine(work.FullName, "feed");
            var env = new Dictionary<string, string>
            {
                ["NUGET_PACKAGES"] = Path.Combine(work.FullName, "packages"),
                ["DOTNET_CLI_HOME"] = work.FullName,
                ["DOTNET_NOLOGO"] = "1",
            };
            string[] artifacts = [$"-p:ArtifactsPath={Path.Combine(work.FullName, "artifacts")}"];
            foreach (var project in new[] { "src/SharpBpf/SharpBpf.csproj", "build/SharpBpf.Build.csproj", "src/SharpBpf.Cli/SharpBpf.Cli.csproj" })
                Dotnet(env, TestPrograms.RepoRoot, ["pack", project, "-c", "Release", "-o", feed, .. artifacts]);
            // The tool is NativeAOT: the package above points to this RID-specific one.
            Dotnet(env, TestPrograms.RepoRoot, ["pack", "src/SharpBpf.Cli/SharpBpf.Cli.csproj", "-c", "Release", "-r", "linux-x64", "-o", feed, .. artifacts]);
            Assert.Equal(["SharpBpf.Build.0.1.0.nupkg", "SharpBpf.Core.0.1.0.nupkg", "sharpbpf.0.1.0.nupkg", "sharpbpf.linux-x64.0.1.0.nupkg"],
                Directory.EnumerateFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            var consumer = Path.Combine(work.FullName, "consumer");
            Directory.CreateDirectory(consumer);
            var demo = Path.Combine(TestPrograms.RepoRoot, "examples", "skeleton-demo");
            File.Copy(Path.Combine(demo, "probe.bpf.c"), Path.Combine(consumer, "probe.bpf.c"));
            File.Copy(Path.Combine(demo, "Program.cs"), Path.Combine(consumer, "Program.cs"));
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "SkeletonDemo.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RootNamespace>SkeletonDemo</RootNamespace>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="SharpBpf.Build" Version="0.1.0" />
                    <BpfProgram Include="probe.bpf.c" />
                  </ItemGroup>
                </Project>
                """);
            var run = Dotnet(env, consumer, "run", "-c", "Release");
            Assert.Contains("loaded probe into the vm", run);
            Assert.Contains("frame 0800   64 bytes: pass", run);

            var tools = Path.Combine(work.FullName, "tools");
            Dotnet(env, work.FullName, "tool", "install", "sharpbpf", "--version", "0.1.0", "--tool-path", tools, "--add-source", feed);
            var tool = Path.Combine(tools, "sharpbpf");
            var (code, stdout, stderr) = TestPrograms.Run(tool, ["version"]);
            Assert.True(code == 0, stderr);
            Assert.StartsWith("sharpbpf", stdout);
            Assert.Contains("features: nativeaot, jit (jit/ companion)", stdout);

            // The JIT companion next to the native tool has dynamic code, and prog run on the VM goes through it.
            var companion = Path.Combine(Path.GetDirectoryName(new FileInfo(tool).ResolveLinkTarget(true)!.FullName)!, "jit", "sharpbpf");
            (code, stdout, stderr) = TestPrograms.Run(companion, ["version"]);
            Assert.True(code == 0, stderr);
            Assert.Contains("features: jit", stdout);
            var packet = Path.Combine(work.FullName, "packet.bin");
            File.WriteAllBytes(packet, new byte[64]);
            (code, stdout, stderr) = TestPrograms.Run(tool, ["prog", "run", TestPrograms.Compile("hook_xdp_drop_udp.c"), "--data-in", packet]);
            Assert.True(code == 0, stderr);
            Assert.Equal("", stderr); // no "the VM interprets" note: the companion ran it
            Assert.StartsWith("Return value: 2, duration: ", stdout);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Dotnet(IReadOnlyDictionary<string, string> env, string directory, params string[] args)
    {
        var (code, stdout, stderr) = TestPrograms.Run("dotnet", args, environment: env, workingDirectory: directory);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} failed ({code}):\n{stdout}\n{stderr}");
        return stdout;
    }
}
