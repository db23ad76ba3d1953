using SharpBpf.Linux;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

/// <summary>Runs alone: it counts the process's fds, which tests running in parallel would change.</summary>
[CollectionDefinition(nameof(FdCounting), DisableParallelization = true)]
public sealed class FdCounting;

[Collection(nameof(FdCounting))]
public class FdLeakTests
{
    [SkippableFact]
    public void CreatingAndDisposingTenThousandObjectsLeaksNoFds()
    {
        Requirements.Kernel();
        // Warm up (lazy probes open and close their own fds once).
        using (KernelMap.Create("sb_warm", BpfMapType.Array, 4, 4, 1)) { }
        // Handles other tests dropped without disposing would be finalized mid-loop and skew the count.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int before = Directory.GetFiles("/proc/self/fd").Length;
        int bpfBefore = BpfFdCount();
        var program = Asm.Return(0);
        for (int i = 0; i < 10_000; i++)
        {
            using var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = program });
            using var map = KernelMap.Create("sb_leak", BpfMapType.Array, 4, 4, 1);
        }
        // Fds that earlier tests left to the finalizer may close during the loop, so the count may only go down;
        // a leak here would add 10,000 or 20,000.
        Assert.InRange(BpfFdCount(), 0, bpfBefore);
        Assert.InRange(Directory.GetFiles("/proc/self/fd").Length, 0, before);
    }

    /// <summary>Open fds that are BPF objects (anon_inode:bpf-map, bpf-prog, btf...).</summary>
    private static int BpfFdCount() => Directory.GetFiles("/proc/self/fd").Count(f =>
    {
        try { return new FileInfo(f).LinkTarget?.Contains("bpf", StringComparison.Ordinal) == true; }
        catch (IOException) { return false; }
    });

}

public class SyscallLayerTests
{
    [SkippableFact]
    public void TraceDecodesCallsStraceStyle()
    {
        Requirements.Kernel();
        var writer = new StringWriter();
        var previous = BpfTrace.Writer;
        BpfTrace.Writer = writer;
        try
        {
            using var map = KernelMap.Create("sb_traced", BpfMapType.Hash, 8, 8, 16);
            map.TryLookup(new byte[8], new byte[8]);
            Assert.NotEqual(0u, map.Id); // the id comes from BPF_OBJ_GET_INFO_BY_FD, asked on first use
        }
        finally
        {
            BpfTrace.Writer = previous;
        }
        var lines = writer.ToString().Split('\n');
        var create = Assert.Single(lines, l => l.StartsWith("bpf(BPF_MAP_CREATE, ", StringComparison.Ordinal));
        Assert.Matches(@"^bpf\(BPF_MAP_CREATE, \{map_type=BPF_MAP_TYPE_HASH, key_size=8, value_size=8, max_entries=16, map_flags=0, .*map_name=""sb_traced"".*\}, \d+\) = \d+$", create);
        Assert.Contains(lines, l => l.StartsWith("bpf(BPF_MAP_LOOKUP_ELEM, {map_fd=", StringComparison.Ordinal) && l.EndsWith("= -1 ENOENT (No such file or directory)"));
        Assert.Contains(lines, l => l.StartsWith("bpf(BPF_OBJ_GET_INFO_BY_FD, {info={bpf_fd=", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void EnumeratesIdsAndOpensByIdOnlyOurOwn()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_ids", BpfMapType.Array, 4, 4, 1);
        Assert.Contains(map.Id, BpfSyscall.Ids(BpfObjectKind.Map));
        Assert.Null(BpfSyscall.TryGetFdById(BpfObjectKind.Map, uint.MaxValue - 1));
        var e = Assert.Throws<BpfSyscallException>(() => BpfSyscall.GetFdById(BpfObjectKind.Map, uint.MaxValue - 1));
        Assert.Equal(Errno.ENOENT, e.ErrorNumber);
    }

    [SkippableFact]
    public void ThisKernelAccountsBpfMemoryByMemcg()
    {
        Requirements.Kernel();
        Assert.True(MemoryLimits.KernelReleaseAtLeast(5, 11));
        Assert.True(MemoryLimits.KernelAccountsBpfMemoryByMemcg());
    }

    [SkippableFact]
    public void UnprivilegedCallsExplainWhatIsMissing()
    {
        Requirements.Kernel();
        var setpriv = Requirements.Tool("setpriv");
        var (code, _, stderr) = TestPrograms.Run(setpriv,
            [.. Unprivileged.DotnetArgs("sharpbpf.dll"), "map", "list"]);
        Assert.Equal(1, code);
        Assert.StartsWith("sharpbpf: bpf(BPF_MAP_GET_NEXT_ID) failed: Operation not permitted (EPERM). this process lacks CAP_BPF or CAP_SYS_ADMIN", stderr);
        if (File.ReadAllText("/proc/sys/kernel/unprivileged_bpf_disabled").Trim() != "0")
            Assert.Contains("kernel.unprivileged_bpf_disabled=", stderr);
    }

    [Fact]
    public void PermissionHintNamesCapabilitiesOrLimits()
    {
        var e = new BpfSyscallException(BpfCommand.MapCreate, Errno.EPERM, BpfErrorHints.For(BpfCommand.MapCreate, Errno.EPERM));
        Assert.Contains("bpf(BPF_MAP_CREATE) failed: Operation not permitted (EPERM)", e.Message);
        Assert.Matches("CAP_BPF|CAP_SYS_ADMIN|RLIMIT_MEMLOCK|ulimit", e.Message);
    }

    [SkippableFact]
    public void StatsCanBeEnabledWhileAnFdIsOpen()
    {
        Requirements.Kernel();
        using var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = Asm.Return(0) });
        using (BpfSyscall.EnableRunTimeStats())
        {
            // test_run does not count toward run_cnt; the call itself must succeed and the fields be readable.
            prog.Run(new byte[64]);
            _ = prog.Info().RunCount;
        }
    }

    [SkippableFact]
    public void BtfLoadRejectsGarbageWithTheKernelLog()
    {
        Requirements.Kernel();
        var e = Assert.Throws<BpfSyscallException>(() => KernelBtf.Load(new byte[32]));
        Assert.Equal(BpfCommand.BtfLoad, e.Command);
    }

    [SkippableFact]
    public void BtfLoadsAndReportsItsId()
    {
        Requirements.Kernel();
        // Minimal BTF: header + one INT type "u32".
        var types = new byte[16];
        BitConverter.GetBytes(1u).CopyTo(types, 0);                    // name_off "u32"
        BitConverter.GetBytes(1u << 24).CopyTo(types, 4);              // kind INT
        BitConverter.GetBytes(4u).CopyTo(types, 8);                    // size
        BitConverter.GetBytes(32u).CopyTo(types, 12);                  // bits
        var strings = "\0u32\0"u8.ToArray();
        var header = new byte[24];
        BitConverter.GetBytes((ushort)0xeB9F).CopyTo(header, 0);
        header[2] = 1;
        BitConverter.GetBytes(24u).CopyTo(header, 4);
        BitConverter.GetBytes(0u).CopyTo(header, 8);
        BitConverter.GetBytes((uint)types.Length).CopyTo(header, 12);
        BitConverter.GetBytes((uint)types.Length).CopyTo(header, 16);
        BitConverter.GetBytes((uint)strings.Length).CopyTo(header, 20);
        using var btf = KernelBtf.Load([.. header, .. types, .. strings]);
        var info = btf.Info(withData: true);
        Assert.True(info.Id > 0);
        Assert.False(info.IsKernel);
        Assert.Equal(24 + 16 + 5, info.Size);

        using var map = KernelMap.Create(new SharpBpf.Objects.MapSpec
        {
            Name = "sb_btf_map", Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1, BtfKeyTypeId = 1, BtfValueTypeId = 1,
        }, btf);
        Assert.Equal(info.Id, map.Info.BtfId);
    }
}
