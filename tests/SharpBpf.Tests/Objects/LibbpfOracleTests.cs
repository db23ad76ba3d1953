using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Objects;

/// <summary>ObjectSpec's maps and programs against what the system's libbpf makes of the same object
/// (libbpf_object_dump.c, compiled with gcc at test time; libbpf opens little-endian objects only).</summary>
public class LibbpfOracleTests
{
    private static readonly object Gate = new();

    public static TheoryData<string, string> Objects()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in TestPrograms.All())
        {
            data.Add(file, "v1");
            data.Add(file, "v3");
        }
        return data;
    }

    [SkippableTheory, MemberData(nameof(Objects))]
    public void MapsAndProgramsMatchLibbpf(string file, string cpu)
    {
        var dump = OracleBinary();
        var obj = TestPrograms.Compile(file, cpu);
        var (code, stdout, stderr) = TestPrograms.Run(dump, [obj]);
        Skip.If(code == 3, $"libbpf {LibbpfVersion} cannot open {file} ({stderr.Trim()}), e.g. legacy maps");
        Assert.True(code == 0, stderr);

        var spec = ObjectSpec.Load(obj);
        var ours = spec.Maps.Select(m => $"map {m.Name} type={(int)m.Type} key={m.KeySize} value={m.ValueSize} max={m.MaxEntries} flags=0x{m.Flags:x}")
            .Concat(spec.Programs.Select(p => $"prog {p.Name} sec={p.SectionName} type={(int)p.Type} attach={(int)p.ExpectedAttachType} insns={p.Instructions.Length}"));
        Assert.Equal(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), ours.ToArray());
    }

    private const string LibbpfVersion = "(system)";

    private static string OracleBinary()
    {
        var gcc = Requirements.Tool("gcc");
        var source = Path.Combine(TestPrograms.RepoRoot, "tests", "SharpBpf.Tests", "Objects", "libbpf_object_dump.c");
        var output = Path.Combine(TestPrograms.CacheDir, "libbpf_object_dump");
        lock (Gate)
        {
            if (!File.Exists(output) || File.GetLastWriteTimeUtc(output) < File.GetLastWriteTimeUtc(source))
            {
                Directory.CreateDirectory(TestPrograms.CacheDir);
                var (code, _, stderr) = TestPrograms.Run(gcc, ["-O1", "-o", output, source, "-lbpf", "-lelf", "-lz"]);
                Skip.If(code != 0 && !Requirements.Strict, $"cannot build the libbpf oracle (libbpf-dev missing?): {stderr}");
                Assert.True(code == 0, stderr);
            }
        }
        return output;
    }
}
