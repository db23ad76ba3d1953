using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SharpBpf.Btf;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Core;

/// <summary>CO-RE against the running kernel's BTF: programs compiled with local layouts unlike the kernel's.</summary>
public partial class CoreKernelTests
{
    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc")]
    private static partial int getppid();

    private static BtfSpec Vmlinux => RunningKernelBtf.Vmlinux;

    private static BtfMember KernelMember(string type, string member)
    {
        var id = Vmlinux.FindByName(type, BtfKind.Struct).Single();
        return ((BtfStruct)Vmlinux[id]).Members.Single(m => m.Name == member);
    }

    [SkippableFact]
    public void ReadsTheCurrentTaskThroughALocalLayout()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile("core_task.c"));
        using var collection = new KernelEngine().Load(obj);

        // BPF_PROG_TEST_RUN runs a raw tracepoint program synchronously in the calling thread: "current" is this thread.
        var comm = File.ReadAllText("/proc/thread-self/comm").TrimEnd('\n');
        int tid = gettid();
        var run = collection.Programs["core_task"].Run(new RunInput());
        Assert.Equal(0U, run.ReturnValue);

        var value = new byte[12 * 8 + 16];
        Assert.True(collection.Maps["task_results"].TryLookup(new byte[4], value));
        ulong F(int i) => BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(i * 8));
        Assert.Equal((ulong)tid, F(0)); // pid (probe read)
        Assert.Equal((ulong)Environment.ProcessId, F(1)); // tgid (probe read)
        Assert.Equal((ulong)tid, F(2)); // pid (direct load through the BTF pointer: the verifier checks the offset against vmlinux)
        Assert.Equal((ulong)Environment.ProcessId, F(3));
        Assert.Equal((ulong)getppid(), F(4)); // real_parent->tgid
        Assert.Equal(0UL, F(5)); // no_such_field_in_kernel
        Assert.Equal(1UL, F(6)); // struct task_struct___mine matches task_struct
        Assert.Equal(1UL, F(7)); // PIDTYPE_TGID in the kernel (7 locally)
        Assert.Equal(0UL, F(8)); // PIDTYPE_NOT_IN_KERNEL
        Assert.Equal((ulong)Vmlinux.SizeOf(Vmlinux.FindByName("task_struct", BtfKind.Struct).Single()), F(9));
        Assert.Equal(16UL, F(10));
        Assert.Equal((ulong)KernelMember("task_struct", "pid").BitOffset / 8, F(11));
        var readComm = Encoding.ASCII.GetString(value, 12 * 8, 16).TrimEnd('\0');
        Assert.Equal(comm, readComm);
    }

    [SkippableFact]
    public void AReachableUnresolvedFieldIsRejectedByTheVerifierWithItsName()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile("core_task_poison.c"));
        var e = Assert.Throws<BpfVerifierException>(() => new KernelEngine().Load(obj));
        Assert.Contains("invalid func unknown#195896080", e.VerifierLog);
        Assert.Contains("unresolved CO-RE relocation byte_off", e.SourceContext);
        Assert.Contains("struct task_struct___poison.no_such_field_in_kernel", e.SourceContext);
        Assert.Contains("return t->no_such_field_in_kernel;", e.SourceContext); // the source line comes along
    }

    /// <summary>
    /// End to end: the program as the verifier left it (bpftool prog dump xlated) is the same whether SharpBpf or libbpf
    /// (bpftool prog load) relocated and loaded it — apart from map ids.
    /// </summary>
    [SkippableFact]
    public void XlatedProgramEqualsTheOneBpftoolLoads()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var path = TestPrograms.Compile("core_task.c");
        using var collection = new KernelEngine().Load(ObjectSpec.Load(path));
        var (c1, ours, e1) = TestPrograms.Run(bpftool, ["prog", "dump", "xlated", "id", collection.Programs["core_task"].Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(c1 == 0, e1);

        var pin = $"/sys/fs/bpf/sharpbpf_core_xlated_{Environment.ProcessId}";
        var (c2, _, e2) = TestPrograms.Run(bpftool, ["prog", "load", path, pin]);
        Assert.True(c2 == 0, e2);
        string theirs;
        try
        {
            var (c3, stdout, e3) = TestPrograms.Run(bpftool, ["prog", "dump", "xlated", "pinned", pin]);
            Assert.True(c3 == 0, e3);
            theirs = stdout;
        }
        finally
        {
            File.Delete(pin);
        }
        static string[] Normalize(string dump) =>
            System.Text.RegularExpressions.Regex.Replace(dump, @"map\[id:\d+\]", "map[id:N]").Split('\n');
        Assert.Equal(Normalize(theirs), Normalize(ours));
        Assert.Contains("call bpf_get_current_task_btf", ours);
    }

    /// <summary>Every CO-RE-relocated slot of our applied instructions equals what libbpf (the system's) puts there when it loads the object.</summary>
    [SkippableTheory]
    [InlineData("btf_core_reads.c")]
    [InlineData("core_task.c")]
    public void AppliedInstructionsEqualLibbpfs(string file)
    {
        Requirements.Kernel();
        var dump = LibbpfOracleTests.OracleBinary();
        var path = TestPrograms.Compile(file);
        var (code, stdout, stderr) = TestPrograms.Run(dump, ["--load", path]);
        Assert.True(code == 0, stderr);
        var theirs = LibbpfOracleTests.ParseLoaded(stdout);

        var obj = ObjectSpec.Load(path);
        var relocator = CoreApplier.RelocatorFor(obj, () => Vmlinux)!;
        var compared = 0;
        foreach (var program in obj.Programs)
        {
            var linked = ProgramLinker.Link(obj, program);
            var applied = CoreApplier.Apply(linked, relocator);
            var libbpf = theirs[program.Name];
            foreach (var r in applied.Relocations)
            {
                var slots = linked.Instructions[r.InstructionIndex].IsWide ? 2 : 1;
                for (var s = 0; s < slots; s++)
                {
                    var i = r.InstructionIndex + s;
                    var ours = new byte[8];
                    applied.Instructions[i].Write(ours);
                    Assert.True(ours.AsSpan().SequenceEqual(libbpf[i]),
                        $"{program.Name} insn {i} ({r.Result.Description}): ours {Convert.ToHexString(ours)}, libbpf {Convert.ToHexString(libbpf[i])}");
                    compared++;
                }
            }
        }
        Assert.True(compared >= 15, $"only {compared} relocated slots compared");
    }
}
