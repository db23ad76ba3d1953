using System.Buffers.Binary;
using SharpBpf.Isa;
using SharpBpf.Linux;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

public class KernelProgramTests
{
    [SkippableFact]
    public void LoadsRawInstructionsAndTestRunsThem()
    {
        Requirements.Kernel();
        using var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.Xdp, Instructions = Asm.Return(2), Name = "sb_xdp_pass" });
        var info = prog.Info();
        Assert.Equal(BpfProgramType.Xdp, info.Type);
        Assert.Equal("sb_xdp_pass", info.Name);
        Assert.True(info.GplCompatible);
        var packet = new byte[64];
        packet[12] = 0x08;
        var result = prog.Run(new RunInput { Data = packet, Repeat = 10 });
        Assert.Equal(2u, result.ReturnValue);
        Assert.Equal(packet, result.DataOut);
    }

    [SkippableFact]
    public void ProgramWritesToAMapThroughItsFd()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_counter", BpfMapType.Array, 4, 8, 1);
        // key = 0 on the stack; r0 = lookup(map, &key); if r0 == 0 goto out; *(u64*)r0 = 77; out: r0 = 1; exit
        Instruction[] insns =
        [
            Asm.StoreW(10, -4, 0),
            Asm.Mov64Reg(2, 10),
            Asm.AddImm(2, -4),
            .. Asm.LoadMapFd(1, map.Fd.Value),
            Asm.Call(1),
            new Instruction(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
            Asm.Mov64(1, 77),
            new Instruction(0x7b, 0, 1, 0, 0), // *(u64 *)(r0 + 0) = r1
            Asm.Mov64(0, 1),
            Asm.Exit(),
        ];
        using var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = insns, Name = "sb_write_map" });
        Assert.Contains(map.Id, prog.Info().MapIds);
        var result = prog.Run(new byte[64]);
        Assert.Equal(1u, result.ReturnValue);
        var value = new byte[8];
        Assert.True(map.TryLookup(new byte[4], value));
        Assert.Equal(77L, BinaryPrimitives.ReadInt64LittleEndian(value));
    }

    [SkippableFact]
    public void VerifierRejectionCarriesTheWholeLogAndTheSourceLine()
    {
        Requirements.Kernel();
        var e = Assert.Throws<BpfVerifierException>(() => KernelProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.SocketFilter,
            Instructions = new[] { Asm.Exit() },
            Name = "sb_bad",
            SourceLine = insn => $"bad.c:{insn + 10}: return;",
        }));
        Assert.Equal(Errno.EACCES, e.ErrorNumber);
        Assert.Contains("R0 !read_ok", e.VerifierLog);
        Assert.Contains("R0 !read_ok", e.Message);
        Assert.Equal("bad.c:10: return;", e.SourceContext);
        Assert.Contains("program 'sb_bad'", e.Message);
    }

    [SkippableFact]
    public void LongVerifierLogsAreFetchedWhole()
    {
        Requirements.Kernel();
        // 3,000 moves then an invalid exit: the level-2 log exceeds the initial 64 KiB buffer.
        var insns = Enumerable.Range(0, 3000).Select(i => Asm.Mov64(1, i)).Append(Asm.Exit()).ToArray();
        var e = Assert.Throws<BpfVerifierException>(() => KernelProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.SocketFilter, Instructions = insns, LogLevelOnFailure = 2,
        }));
        Assert.True(e.VerifierLog.Length > 64 * 1024, $"log is {e.VerifierLog.Length} bytes");
        Assert.Contains("2999: (b7) r1 = 2999", e.VerifierLog);
        Assert.Contains("R0 !read_ok", e.VerifierLog);
    }

    [SkippableFact]
    public void PinnedProgramsReopenByPathAndId()
    {
        using var fs = new PrivateBpfFs();
        var path = Path.Combine(fs.Path, "prog");
        using var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = Asm.Return(0), Name = "sb_pinned" });
        prog.Pin(path);
        using var again = KernelProgram.OpenPinned(path);
        Assert.Equal(prog.Id, again.Id);
        Assert.Equal("sb_pinned", again.Name);
        using var byId = KernelProgram.OpenById(prog.Id);
        Assert.Equal(BpfProgramType.SocketFilter, byId.Type);
        var e = Assert.Throws<BpfSyscallException>(() => prog.Pin(path));
        Assert.Equal(Errno.EEXIST, e.ErrorNumber);
    }

    [SkippableFact]
    public void InfoReturnsXlatedAndJitedImages()
    {
        Requirements.Kernel();
        using var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.Xdp, Instructions = Asm.Return(2), Name = "sb_images" });
        var info = prog.Info(KernelObjectInfo.ProgramParts.All);
        Assert.Equal(16, info.Xlated!.Length);
        Assert.Equal(0xb7, info.Xlated[0]);
        Assert.Equal(info.JitedLength, info.Jited!.Length);
        Assert.True(info.JitedLength > 0);
        Assert.Single(info.JitedSymbols!);
    }

    [SkippableFact]
    public void ClosingTheLastFdUnloadsTheProgram()
    {
        Requirements.Kernel();
        uint id;
        using (var prog = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = Asm.Return(0) }))
            id = prog.Id;
        // Freeing is deferred (RCU): wait briefly.
        for (int i = 0; i < 200 && BpfSyscall.TryGetFdById(BpfObjectKind.Program, id) is { } fd; i++)
        {
            fd.Dispose();
            Thread.Sleep(10);
        }
        Assert.Null(BpfSyscall.TryGetFdById(BpfObjectKind.Program, id));
    }
}
