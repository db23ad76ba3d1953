using SharpBpf.Isa;
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
            if (TestPrograms.SupportsCpu(file, "v1"))
                data.Add(file, "v1");
            data.Add(file, "v3");
        }
        return data;
    }

    /// <summary>Objects libbpf can open (libbpf 1.x refuses legacy <c>maps</c> sections).</summary>
    public static TheoryData<string, string> OpenableObjects() => Filter(Objects(), "libbpf-cannot-open");

    /// <summary>Objects libbpf can load into this kernel (some sections and ksyms are there only to be parsed).</summary>
    public static TheoryData<string, string> LoadableObjects() => Filter(Objects(), "libbpf-cannot-load");

    private static TheoryData<string, string> Filter(TheoryData<string, string> all, string marker)
    {
        var data = new TheoryData<string, string>();
        foreach (var row in all)
        {
            var (file, cpu) = ((string)row[0], (string)row[1]);
            if (!TestPrograms.HasMarker(file, marker))
                data.Add(file, cpu);
        }
        return data;
    }

    [SkippableTheory, MemberData(nameof(OpenableObjects))]
    public void MapsAndProgramsMatchLibbpf(string file, string cpu)
    {
        var dump = OracleBinary();
        var obj = TestPrograms.Compile(file, cpu);
        var (code, stdout, stderr) = TestPrograms.Run(dump, [obj]);
        Assert.True(code == 0, stderr);

        var spec = ObjectSpec.Load(obj);
        var ours = spec.Maps.Select(m => $"map {m.Name} type={(int)m.Type} key={m.KeySize} value={m.ValueSize} max={m.MaxEntries} flags=0x{m.Flags:x}")
            .Concat(spec.Programs.Select(p => $"prog {p.Name} sec={p.SectionName} type={(int)p.Type} attach={(int)p.ExpectedAttachType} insns={p.Instructions.Length}"));
        Assert.Equal(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), ours.ToArray());
    }

    /// <summary>Our linked programs against libbpf's final instructions after it loads the object into the kernel:
    /// identical except where each loader puts its own values (map fds, BTF ids, CO-RE patches).</summary>
    [SkippableTheory, MemberData(nameof(LoadableObjects))]
    public void LinkedProgramsMatchWhatLibbpfLoads(string file, string cpu)
    {
        Requirements.Kernel();
        var dump = OracleBinary();
        var obj = TestPrograms.Compile(file, cpu);
        var (code, stdout, stderr) = TestPrograms.Run(dump, ["--load", obj]);
        Assert.True(code == 0, stderr);

        var spec = ObjectSpec.Load(obj);
        var loaded = ParseLoaded(stdout);
        Assert.Equal(spec.Programs.Select(p => p.Name).Order(), loaded.Keys.Order());
        foreach (var program in spec.Programs)
        {
            var linked = ProgramLinker.Link(spec, program);
            var theirs = loaded[program.Name];
            Assert.True(theirs.Length == linked.Instructions.Length, $"{program.Name}: libbpf has {theirs.Length} instructions, we have {linked.Instructions.Length}");
            var ours = Instruction.WriteAll(linked.Instructions);
            var skip = linked.CoreRelocations.Select(r => (int)r.InstructionOffset).ToHashSet();
            var byIndex = linked.Relocations.ToDictionary(r => r.InstructionIndex);
            for (int i = 0; i < theirs.Length; i++)
            {
                var mine = ours.AsSpan(i * 8, 8);
                var their = theirs[i];
                if (skip.Contains(i))
                    continue;
                if (byIndex.TryGetValue(i, out var reloc))
                {
                    Assert.Equal(mine[0], their[0]);
                    Assert.Equal(mine[1] & 0x0f, their[1] & 0x0f);
                    if (reloc is MapValueReference value)
                        Assert.Equal(value.Offset, BitConverter.ToInt32(theirs[i + 1], 4));
                    if (reloc is KconfigReference kconfig)
                        Assert.Equal(kconfig.Offset, BitConverter.ToInt32(theirs[i + 1], 4));
                    if (mine[0] == Opcodes.LdDw)
                        i++;
                    continue;
                }
                Assert.True(mine.SequenceEqual(their), $"{file} {program.Name}: instruction {i} differs: ours {Convert.ToHexString(mine)}, libbpf {Convert.ToHexString(their)}");
            }
        }
    }

    internal static Dictionary<string, byte[][]> ParseLoaded(string stdout)
    {
        var result = new Dictionary<string, byte[][]>();
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < lines.Length;)
        {
            var header = lines[i].Split(' ');
            int count = int.Parse(header[2], System.Globalization.CultureInfo.InvariantCulture);
            result[header[1]] = lines.Skip(i + 1).Take(count).Select(Convert.FromHexString).ToArray();
            i += count + 1;
        }
        return result;
    }

    private const string LibbpfVersion = "(system)";

    internal static string OracleBinary()
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
