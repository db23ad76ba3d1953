using System.Buffers.Binary;
using System.Text;
using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Helpers;

namespace SharpBpf.Tests.Vm;

/// <summary>Built-in helpers and the helper table.</summary>
public class VmHelperTests
{
    private static VmProgram Load(VmEngine engine, string asm, BpfProgramType type = BpfProgramType.Unspec) =>
        engine.LoadProgram(Assembler.Assemble(asm), type);

    /// <summary>For programs that hand helpers raw memory (r1 of <see cref="VmProgram.RunOnMemory"/>) or test a runtime check.</summary>
    private static readonly VmOptions Unverified = new() { VerifyBeforeLoad = false };

    /// <summary>The context check faults at run time, and the static verifier refuses the program first, in the kernel's words.</summary>
    private static void FaultsAndIsRefused(string asm, BpfProgramType type, byte[] packet)
    {
        using var unverified = new VmEngine(Unverified);
        Assert.Throws<VmFault>(() => Load(unverified, asm, type).Run(packet));
        using var verifying = new VmEngine();
        var refused = Assert.Throws<SharpBpf.Verifier.BpfStaticVerifierException>(() => Load(verifying, asm, type));
        Assert.StartsWith("invalid bpf_context access", refused.Result.Error);
    }

    [Theory]
    [InlineData("x=%d y=%u", new ulong[] { 0xffffffff, 7 }, "x=-1 y=7")]
    [InlineData("%lld %llu", new ulong[] { unchecked((ulong)-5L), 5 }, "-5 5")]
    [InlineData("%x %lx %X", new ulong[] { 0x1_0000_00ab, 0x1_0000_00ab, 255 }, "ab 1000000ab FF")]
    [InlineData("[%5d][%-4u][%05x]", new ulong[] { 42, 7, 0xab }, "[   42][7   ][000ab]")]
    [InlineData("%c%c 100%%", new ulong[] { 'o', 'k' }, "ok 100%")]
    [InlineData("%px", new ulong[] { 0xdead }, "000000000000dead")]
    [InlineData("%hhd %hd", new ulong[] { 0xff, 0xfffe }, "-1 -2")]
    public void TracePrintkFormatsLikeTheKernel(string format, ulong[] args, string expected) =>
        Assert.Equal(expected, TracePrintk.Format(null, Encoding.ASCII.GetBytes(format), args));

    [Theory]
    [InlineData("%d %d %d %d")]   // four arguments
    [InlineData("%f")]            // no floating point in the kernel
    [InlineData("%pI4")]          // needs kernel data
    [InlineData("%n")]
    public void TracePrintkRefusesWhatTheKernelRefuses(string format) =>
        Assert.Null(TracePrintk.Format(null, Encoding.ASCII.GetBytes(format), [1, 2, 3]));

    [Fact]
    public void TracePrintkReadsStringsFromProgramMemory()
    {
        var lines = new List<string>();
        using var engine = new VmEngine(new VmOptions { TraceSink = lines.Add });
        // "%s!\0" on the stack at r10-8, "hi\0" at r10-16
        var program = Load(engine, """
            stw [%r10-8], 0x00217325
            stw [%r10-16], 0x00006968
            mov %r1, %r10
            add %r1, -8
            mov %r2, 4
            mov %r3, %r10
            add %r3, -16
            call 6
            exit
            """);
        Assert.Equal(3UL, program.RunOnMemory([]));
        Assert.Equal(["hi!"], lines);
    }

    [Fact]
    public void CustomHelpersAreRegisteredByNameOrIdAndReachMemorySafely()
    {
        using var engine = new VmEngine(Unverified);
        engine.Helpers.Register("bpf_get_current_task", (vm, r1, r2, _, _, _) =>
        {
            var span = vm.GetSpan(r1, r2, write: true);
            span.Fill(0xab);
            return (ulong)span.Length;
        });
        var program = Load(engine, "mov %r2, 4\ncall 35\nldxw %r1, [%r1+0]\nadd %r0, %r1\nexit");
        var memory = new byte[4];
        Assert.Equal(0xababababUL + 4, program.RunOnMemory(memory));
        // The same helper given a pointer outside program memory faults instead of writing.
        var bad = Load(engine, "mov %r1, 8\nmov %r2, 4\ncall 35\nexit");
        Assert.Throws<VmFault>(() => bad.RunOnMemory([]));
    }

    [Fact]
    public void UnknownHelperFailsToLoadNamingIt()
    {
        using var engine = new VmEngine();
        var e = Assert.Throws<VmLoadException>(() => Load(engine, "call 35\nexit"));
        Assert.Contains("helper bpf_get_current_task#35 is not available in the SharpBpf VM", e.Message);
    }

    [Fact]
    public void CallxCallsAFunctionAddress()
    {
        using var engine = new VmEngine(Unverified);
        Instruction[] insns =
        [
            new(Opcodes.LdDw, 2, PseudoSource.Func, 0, 5), new(0, 0, 0, 0, 0), // r2 = &f (pc 0 + 1 + 5)
            new(0xb7, 1, 0, 0, 20),                 // r1 = 20
            new(Opcodes.Callx, 2, 0, 0, 0),         // callx r2
            new(0x07, 0, 0, 0, 1),                  // r0 += 1
            new(Opcodes.Exit, 0, 0, 0, 0),
            new(0xbf, 0, 1, 0, 0),                  // f: r0 = r1
            new(0x27, 0, 0, 0, 2),                  // r0 *= 2
            new(Opcodes.Exit, 0, 0, 0, 0),
        ];
        Assert.Equal(41UL, engine.LoadProgram(insns).RunOnMemory([]));
    }

    [Fact]
    public void XdpAdjustTailGrowsAndShrinksWithinTheFrame()
    {
        using var engine = new VmEngine();
        // r6 = ctx; adjust_tail(+10); adjust_tail(-4); r0 = adjust_tail(+4000) (too far: -EINVAL)
        var program = Load(engine, """
            mov %r6, %r1
            mov %r2, 10
            call 65
            mov %r1, %r6
            mov %r2, -4
            call 65
            mov %r1, %r6
            mov %r2, 4000
            call 65
            exit
            """, BpfProgramType.Xdp);
        var packet = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
        var result = program.Run(packet);
        Assert.Equal(unchecked((ulong)(uint)-Errno.EINVAL), result.ReturnValue);
        Assert.Equal(26, result.DataOut.Length);
        Assert.Equal(packet, result.DataOut[..20]);
        Assert.Equal(new byte[6], result.DataOut[20..]);
    }

    [Fact]
    public void XdpMetadataComesFromTheHeadroomAndIsReturned()
    {
        using var engine = new VmEngine();
        // adjust_meta(-8); data_meta = ctx->data_meta; *(u32 *)data_meta = 0x11223344 (after the bounds check against data)
        var program = Load(engine, """
            mov %r6, %r1
            mov %r2, -8
            call 54
            ldxw %r2, [%r6+8]
            ldxw %r3, [%r6+0]
            mov %r4, %r2
            add %r4, 4
            jgt %r4, %r3, out
            stw [%r2+0], 0x11223344
            out:
            mov %r0, 2
            exit
            """, BpfProgramType.Xdp);
        var result = program.Run(new byte[20]);
        Assert.Equal(28, result.DataOut.Length);
        Assert.Equal(0x11223344u, BinaryPrimitives.ReadUInt32LittleEndian(result.DataOut));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(result.ContextOut!));       // data - data_meta
        Assert.Equal(28u, BinaryPrimitives.ReadUInt32LittleEndian(result.ContextOut!.AsSpan(4)));
    }

    [Fact]
    public void XdpContextIsReadOnlyAndAccessedByWholeFields()
    {
        using var engine = new VmEngine();
        FaultsAndIsRefused("stw [%r1+12], 1\nmov %r0, 2\nexit", BpfProgramType.Xdp, new byte[20]);
        FaultsAndIsRefused("ldxdw %r0, [%r1+0]\nexit", BpfProgramType.Xdp, new byte[20]);
        FaultsAndIsRefused("ldxh %r0, [%r1+0]\nexit", BpfProgramType.Xdp, new byte[20]);
        var len = Load(engine, "ldxw %r2, [%r1+0]\nldxw %r0, [%r1+4]\nsub %r0, %r2\nexit", BpfProgramType.Xdp);
        Assert.Equal(20UL, len.Run(new byte[20]).ReturnValue);
    }

    [Fact]
    public void SkbContextAccessFollowsTheProgramType()
    {
        using var engine = new VmEngine();
        var packet = VmObjectTests.Packet(6);
        // tc: direct packet access (data_end - data), mark writable
        var tcLen = Load(engine, "ldxw %r2, [%r1+76]\nldxw %r0, [%r1+80]\nsub %r0, %r2\nexit", BpfProgramType.SchedCls);
        Assert.Equal((ulong)packet.Length, tcLen.Run(packet).ReturnValue);
        var tcMark = Load(engine, "stw [%r1+8], 77\nmov %r0, 0\nexit", BpfProgramType.SchedCls);
        Assert.Equal(77u, BinaryPrimitives.ReadUInt32LittleEndian(tcMark.Run(packet).ContextOut!.AsSpan(8)));
        // socket filters: no packet pointers, only cb[] writable, narrow reads of plain fields allowed
        FaultsAndIsRefused("ldxw %r0, [%r1+76]\nexit", BpfProgramType.SocketFilter, packet);
        FaultsAndIsRefused("stw [%r1+8], 1\nmov %r0, 0\nexit", BpfProgramType.SocketFilter, packet);
        FaultsAndIsRefused("ldxw %r0, [%r1+88]\nexit", BpfProgramType.SchedCls, packet); // family
        var narrow = Load(engine, "ldxb %r0, [%r1+0]\nexit", BpfProgramType.SocketFilter);
        Assert.Equal((ulong)(packet.Length - 14), narrow.Run(packet).ReturnValue);
    }

    [Fact]
    public void CurrentTaskHelpersDescribeTheHostProcess()
    {
        using var engine = new VmEngine(Unverified);
        ulong pidTgid = Load(engine, "call 14\nexit").RunOnMemory([]);
        Assert.Equal((ulong)Environment.ProcessId, pidTgid >> 32);
        var comm = new byte[16];
        Assert.Equal(0UL, Load(engine, "mov %r2, 16\ncall 16\nexit").RunOnMemory(comm));
        var expected = File.ReadAllText("/proc/self/comm").TrimEnd('\n');
        Assert.Equal(expected[..Math.Min(15, expected.Length)], Encoding.ASCII.GetString(comm).TrimEnd('\0'));
    }

    [Fact]
    public void RedirectIsRecordedWithTheKernelsReturnValue()
    {
        using var engine = new VmEngine();
        var xdp = Load(engine, "mov %r1, 5\nmov %r2, 0\ncall 23\nexit", BpfProgramType.Xdp);
        var result = xdp.Run(new byte[20]);
        Assert.Equal(4UL, result.ReturnValue); // XDP_REDIRECT
        Assert.Equal(new VmRedirect(5, 0, null), result.Redirect);
        var tc = Load(engine, "mov %r1, 3\nmov %r2, 1\ncall 23\nexit", BpfProgramType.SchedCls);
        Assert.Equal(7UL, tc.Run(VmObjectTests.Packet(6)).ReturnValue); // TC_ACT_REDIRECT
    }

    [Fact]
    public void CsumDiffMatchesAFullRecomputation()
    {
        using var engine = new VmEngine(Unverified);
        // csum_diff(NULL, 0, &mem, 8, 0): the one's complement sum of the 8 bytes
        var program = Load(engine, "mov %r3, %r1\nmov %r1, 0\nmov %r2, 0\nmov %r4, 8\nmov %r5, 0\ncall 28\nexit");
        var bytes = new byte[] { 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00 };
        ulong sum = program.RunOnMemory(bytes);
        ulong folded = (sum & 0xffff) + (sum >> 16);
        folded = (folded & 0xffff) + (folded >> 16);
        // Reference: the 16-bit words as they are in memory (little-endian loads), summed with end-around carry.
        uint reference = 0;
        for (int i = 0; i < 8; i += 2) reference += BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i));
        reference = (reference & 0xffff) + (reference >> 16);
        Assert.Equal(reference, (uint)folded);
    }

    [Fact]
    public void MapHelpersWorkOnHashMapsFromPrograms()
    {
        using var engine = new VmEngine();
        var map = engine.CreateMap(new MapSpec { Name = "m", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 4 });
        int id = engine.IdOf(map);
        // key 7 on the stack; update(m, &key, &key, BPF_NOEXIST) twice (second: -EEXIST); lookup; r0 = *value + update result
        Instruction[] insns =
        [
            new(0x62, 10, 0, -8, 7),                        // *(u32 *)(r10 - 8) = 7
            new(0x7a, 10, 0, -16, 100),                     // *(u64 *)(r10 - 16) = 100
            new(Opcodes.LdDw, 1, PseudoSource.MapFd, 0, id), new(0, 0, 0, 0, 0),
            new(0xbf, 2, 10, 0, 0), new(0x07, 2, 0, 0, -8), // r2 = r10 - 8
            new(0xbf, 3, 10, 0, 0), new(0x07, 3, 0, 0, -16),// r3 = r10 - 16
            new(0xb7, 4, 0, 0, 1),                          // BPF_NOEXIST
            new(Opcodes.Call, 0, 0, 0, 2),
            new(Opcodes.LdDw, 1, PseudoSource.MapFd, 0, id), new(0, 0, 0, 0, 0),
            new(0xbf, 2, 10, 0, 0), new(0x07, 2, 0, 0, -8),
            new(0xbf, 3, 10, 0, 0), new(0x07, 3, 0, 0, -16),
            new(0xb7, 4, 0, 0, 1),
            new(Opcodes.Call, 0, 0, 0, 2),
            new(0xbf, 6, 0, 0, 0),                          // r6 = -EEXIST
            new(Opcodes.LdDw, 1, PseudoSource.MapFd, 0, id), new(0, 0, 0, 0, 0),
            new(0xbf, 2, 10, 0, 0), new(0x07, 2, 0, 0, -8),
            new(Opcodes.Call, 0, 0, 0, 1),                  // lookup
            new(0x15, 0, 0, 2, 0),                          // if r0 == 0 goto +2
            new(0x79, 0, 0, 0, 0),                          // r0 = *(u64 *)r0
            new(0x0f, 0, 6, 0, 0),                          // r0 += r6
            new(Opcodes.Exit, 0, 0, 0, 0),
        ];
        Assert.Equal(100UL - Errno.EEXIST, engine.LoadProgram(insns).RunOnMemory([]));
        var value = new byte[8];
        Assert.True(map.TryLookup(BitConverter.GetBytes(7), value));
        Assert.Equal(100UL, BitConverter.ToUInt64(value));
    }

    [Fact]
    public void ProbeReadKernelFailsAndZeroesTheDestination()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "mov %r3, 0x1000\nmov %r2, 8\ncall 113\nexit");
        var memory = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        Assert.Equal(unchecked((ulong)-Errno.EFAULT), program.RunOnMemory(memory));
        Assert.Equal(new byte[8], memory);
    }

    [Fact]
    public void RunsDoNotAllocate()
    {
        using var engine = new VmEngine();
        var program = Load(engine, "mov %r0, 0\nmov %r3, 100\nloop:\nldxb %r4, [%r1+0]\nadd %r0, %r4\nsub %r3, 1\njne %r3, 0, loop\nexit");
        var memory = new byte[] { 3, 0, 0, 0 };
        for (int i = 0; i < 100; i++)
            program.RunOnMemory(memory);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            program.RunOnMemory(memory);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(300UL, program.RunOnMemory(memory));
    }
}
