using SharpBpf.Skeletons;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Skeletons;

public class SkeletonCliTests
{
    [Fact]
    public void GenSkeleton_WritesTheLibraryOutputToStdoutOrAFile()
    {
        var obj = TestPrograms.Compile("skel_globals.c");
        var expected = SkeletonGenerator.Generate(obj, new SkeletonOptions { Namespace = "My.Probes", ClassName = "Globals" });
        var (code, stdout, stderr) = SharpBpfCli.Run("gen", "skeleton", obj, "--namespace", "My.Probes", "--class", "Globals");
        Assert.True(code == 0, stderr);
        Assert.Equal(expected, stdout);

        var file = Path.Combine(Path.GetTempPath(), $"skel-cli-{Environment.ProcessId}.g.cs");
        try
        {
            (code, stdout, stderr) = SharpBpfCli.Run("gen", "skeleton", obj, "-n", "My.Probes", "-c", "Globals", "-o", file);
            Assert.True(code == 0, stderr);
            Assert.Equal("", stdout);
            Assert.Equal(expected, File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void GenSkeleton_BadInputIsOneLineOnStderr()
    {
        var (code, _, stderr) = SharpBpfCli.Run("gen", "skeleton", "/nonexistent/x.o");
        Assert.Equal(1, code);
        Assert.StartsWith("sharpbpf: ", stderr);

        var notElf = Path.Combine(Path.GetTempPath(), $"skel-cli-{Environment.ProcessId}.o");
        File.WriteAllText(notElf, "not an ELF object");
        try
        {
            (code, _, stderr) = SharpBpfCli.Run("gen", "skeleton", notElf);
            Assert.Equal(1, code);
            Assert.StartsWith("sharpbpf: ", stderr);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(notElf);
        }

        (code, _, stderr) = SharpBpfCli.Run("gen", "skeleton", TestPrograms.Compile("skel_globals.c"), "--class", "not valid");
        Assert.Equal(1, code);
        Assert.Contains("not a valid C# class name", stderr);
    }
}
