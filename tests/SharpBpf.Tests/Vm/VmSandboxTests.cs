using System.Text;
using SharpBpf.Btf;
using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Tests.Events;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;
using SharpBpf.Vm.Helpers;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Tests.Vm;

/// <summary>One regression test per escape of issue 13 (the VM as a sandbox), each through both engines where a program runs.</summary>
public class VmSandboxTests
{
    private const long MapRef = 0x7e000000;   // lddw %rX, MapRef + k: the k-th map
    private const long FuncRef = 0x7f000000;  // lddw %rX, FuncRef + pc: the function at instruction pc

    private static int Helper(string name) => BpfHelperNames.IdOf(name);

    /// <summary>Assembles, then turns the lddw placeholders into map references (src 1) and function addresses (src 4).</summary>
    private static VmProgram Load(VmEngine engine, string asm, BpfProgramType type = BpfProgramType.Unspec, params IVmMap[] maps)
    {
        var insns = Assembler.Assemble(asm);
        for (int pc = 0; pc < insns.Length; pc++)
        {
            var i = insns[pc];
            if (i.Opcode != 0x18)
                continue;
            if (i.Imm >= MapRef && i.Imm < MapRef + maps.Length)
                insns[pc] = new Instruction(0x18, i.Dst, PseudoSource.MapFd, 0, engine.IdOf(maps[i.Imm - MapRef]));
            else if (i.Imm >= FuncRef && i.Imm < FuncRef + insns.Length)
                insns[pc] = new Instruction(0x18, i.Dst, PseudoSource.Func, 0, (int)(i.Imm - FuncRef) - (pc + 1));
            pc++;
        }
        return engine.LoadProgram(insns, type, "sandbox", maps);
    }

    private static IVmMap Ring(VmEngine engine) =>
        engine.CreateMap(new MapSpec { Name = "ring", Type = BpfMapType.Ringbuf, MaxEntries = 4096 });

    private static string Reserve16(string then) => $"""
        lddw %r1, {MapRef}
        mov %r2, 16
        mov %r3, 0
        call {Helper("bpf_ringbuf_reserve")}
        jeq %r0, 0, +{then.Split('\n').Length + 1}
        mov %r6, %r0
        {then}
        mov %r0, 0
        exit
        """;

    // Row 1: submit/discard accept only a pointer reserve returned in this run, unmodified.
    [Theory]
    [InlineData(false, "bpf_ringbuf_submit", -8)] // the ring's first byte: the record header
    [InlineData(true, "bpf_ringbuf_submit", -8)]
    [InlineData(false, "bpf_ringbuf_discard", 4)]
    [InlineData(true, "bpf_ringbuf_discard", 4)]
    public void RingSubmitAndDiscardRefuseAnyPointerButAReservedSample(bool jit, string helper, int delta)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit, VerifyBeforeLoad = false });
        var ring = Ring(engine);
        var program = Load(engine, Reserve16($"mov %r1, %r6\nadd %r1, {delta}\nmov %r2, 0\ncall {Helper(helper)}"), maps: ring);
        var fault = Assert.Throws<VmFault>(() => program.Run(new byte[8]));
        Assert.Contains("is not a pointer bpf_ringbuf_reserve returned in this run", fault.Message);

        // The sample the faulting run left reserved was discarded, so the consumer is not blocked and the ring has room.
        var reader = new VmRingBufferReader((IVmRingBuffer)ring);
        Assert.Empty(reader.Drain());
        Assert.Equal(0L, reader.AvailableBytes);
        var submit = Load(engine, Reserve16($"stdw [%r6+8], 42\nmov %r1, %r6\nmov %r2, 0\ncall {Helper("bpf_ringbuf_submit")}"), maps: ring);
        submit.Run(new byte[8]);
        var got = Assert.Single(reader.Drain());
        Assert.Equal(42UL, BitConverter.ToUInt64(got, 8));
    }

    // Row 2: the program writes only inside the sample it reserved (never a header), and not after submitting it.
    [Theory]
    [InlineData(false, "stw [%r6-8], 12000")]
    [InlineData(true, "stw [%r6-8], 12000")]
    [InlineData(false, "stb [%r6+16], 1")]
    [InlineData(true, "stb [%r6+16], 1")]
    [InlineData(false, "mov %r1, %r6\nmov %r2, 0\ncall 132\nstb [%r6+0], 1")]
    [InlineData(true, "mov %r1, %r6\nmov %r2, 0\ncall 132\nstb [%r6+0], 1")]
    public void RingMemoryOutsideAnOpenSampleIsNotWritable(bool jit, string access)
    {
        Assert.Equal(132, Helper("bpf_ringbuf_submit"));
        using var engine = new VmEngine(new VmOptions { UseJit = jit, VerifyBeforeLoad = false });
        var ring = Ring(engine);
        var program = Load(engine, Reserve16(access), maps: ring);
        Assert.Throws<VmFault>(() => program.Run(new byte[8]));
        var reader = new VmRingBufferReader((IVmRingBuffer)ring);
        Assert.All(reader.Drain(), r => Assert.Equal(16, r.Length));
    }

    // Row 3: widths and precisions are clamped as vsprintf clamps them; output is cut to the buffer, the length counted.
    [Fact]
    public void HugeFormatWidthsAreClampedAndCutNotAllocated()
    {
        var text = TracePrintk.Format(null, "%1999999999d|%.999999999d"u8, [7, 8], TracePrintk.TraceBufferSize - 1, out long length);
        Assert.Equal(TracePrintk.TraceBufferSize - 1, text!.Length);
        Assert.Equal((1L << 23) - 1 + 1 + ((1 << 15) - 1), length);
        Assert.Equal("    7", TracePrintk.Format(null, "%5d"u8, [7]));
    }

    // Row 3: and formatting is charged to the budget.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FormattingIsChargedToTheBudget(bool jit)
    {
        var lines = new List<string>();
        using var engine = new VmEngine(new VmOptions { UseJit = jit, InstructionBudget = 100_000, TraceSink = lines.Add });
        // "%999999d\0" on the stack, then bpf_trace_printk(fmt, 9, 5): a million characters (125,000 instructions' worth).
        var program = Load(engine, $"""
            lddw %r1, 0x6439393939393925
            stxdw [%r10-16], %r1
            stb [%r10-8], 0
            mov %r1, %r10
            add %r1, -16
            mov %r2, 9
            mov %r3, 5
            call {Helper("bpf_trace_printk")}
            exit
            """);
        var fault = Assert.Throws<VmFault>(() => program.Run(new byte[8]));
        Assert.Contains("instruction budget", fault.Message);
        Assert.Contains("VmOptions.InstructionBudget", fault.Message);
    }

    // Row 4: bpf_loop's callbacks pay for their code and for the bytes their helpers copy.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BpfLoopWithCopyingCallbacksRunsOutOfBudgetQuickly(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit, VerifyBeforeLoad = false });
        var program = Load(engine, $"""
            mov %r1, 0x800000
            lddw %r2, {FuncRef + 9}
            mov %r3, 0
            mov %r4, 0
            call {Helper("bpf_loop")}
            exit
            mov %r0, 0
            exit
            mov %r1, %r10
            add %r1, -512
            mov %r2, 512
            mov %r3, %r10
            add %r3, -512
            call {Helper("bpf_probe_read_user")}
            mov %r0, 0
            exit
            """);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var fault = Assert.Throws<VmFault>(() => program.Run(new byte[8]));
        Assert.Contains("instruction budget", fault.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    // Row 5: reference chains are bounded like the kernel's (MAX_RESOLVE_DEPTH), nesting by value too, before any consumer runs.
    [Fact]
    public void DeepBtfChainsAreRefusedAtParseAndByTheCli()
    {
        var pointers = new BtfSpec();
        uint id = pointers.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
        for (int i = 0; i < 22_000; i++)
            id = pointers.Add(new BtfPtr(id));
        var e = Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(pointers.ToBytes()));
        Assert.Contains("MAX_RESOLVE_DEPTH", e.Message);

        var structs = new BtfSpec();
        id = structs.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
        for (int i = 0; i < 20_000; i++)
            id = structs.Add(new BtfStruct($"s{i}", 4, [new BtfMember("m", id, 0, 0)]));
        var nested = structs.ToBytes();
        Assert.Contains("nests structs or unions by value", Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(nested)).Message);

        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-i13-nested-{Environment.ProcessId}.btf");
        File.WriteAllBytes(path, nested);
        try
        {
            var (exit, _, stderr) = SharpBpfCli.Run("btf", "dump", "file", path, "format", "c");
            Assert.Equal(1, exit);
            Assert.StartsWith("sharpbpf: ", stderr);
            Assert.Single(stderr.TrimEnd().Split('\n'));
        }
        finally
        {
            File.Delete(path);
        }

        var shallow = new BtfSpec();
        id = shallow.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
        for (int i = 0; i < 32; i++)
            id = shallow.Add(new BtfConst(id));
        Assert.Equal(33, BtfSpec.Parse(shallow.ToBytes()).Count - 1);
    }

    // Row 6: a QUEUE/STACK larger than one managed array is refused before allocating.
    [Fact]
    public void AHugeQueueIsRefusedWithAMapCreateError()
    {
        using var engine = new VmEngine();
        var e = Assert.Throws<BpfMapCreateException>(() => engine.CreateMap(new MapSpec
            { Name = "q", Type = BpfMapType.Queue, ValueSize = 4096, MaxEntries = 1 << 20 }));
        Assert.Equal(Errno.E2BIG, e.ErrorNumber);
    }

    // Row 7: the per-engine memory limit counts index structures and object slots too.
    [Theory]
    [InlineData(BpfMapType.Hash, 4, 4, 400_000_000)]
    [InlineData(BpfMapType.ProgArray, 4, 4, 300_000_000)]
    [InlineData(BpfMapType.Array, 4, 16, 100_000_000)]
    public void MapsBeyondTheEngineMemoryLimitAreRefusedNamingIt(BpfMapType type, int keySize, int valueSize, int entries)
    {
        using var engine = new VmEngine();
        var e = Assert.Throws<BpfMapCreateException>(() => engine.CreateMap(new MapSpec
            { Name = "big", Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = entries }));
        Assert.Equal(Errno.ENOMEM, e.ErrorNumber);
        Assert.Contains("VmOptions.MaxMapMemory", e.Message);
    }

    [Fact]
    public void TheMemoryLimitIsATotalPerEngine()
    {
        using var engine = new VmEngine(new VmOptions { MaxMapMemory = 1 << 20 });
        var spec = new MapSpec { Name = "a", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 100_000 };
        engine.CreateMap(spec);
        Assert.Contains("already take 800000", Assert.Throws<BpfMapCreateException>(() => engine.CreateMap(spec)).Message);
    }

    // Row 9: programs above MaxJitInstructions run interpreted (no compile); above MaxInstructions they do not load.
    [Fact]
    public void LongProgramsAreInterpretedAndTooLongOnesRefused()
    {
        using var engine = new VmEngine(new VmOptions { UseJit = true, MaxJitInstructions = 1000, MaxInstructions = 5000 });
        var body = new Instruction[3000];
        for (int i = 0; i < body.Length - 1; i++)
            body[i] = new Instruction(0x07, 0, 0, 0, 1); // add r0, 1
        body[0] = new Instruction(0xb7, 0, 0, 0, 1); // r0 = 1
        body[^1] = new Instruction(0x95, 0, 0, 0, 0);
        var program = engine.LoadProgram(body);
        Assert.Equal(2999UL, program.Run(new byte[8]).ReturnValue);
        Assert.Null(program.Code.Jit!.Entry);

        var tooLong = new Instruction[5001];
        tooLong[^1] = new Instruction(0x95, 0, 0, 0, 0);
        Assert.Contains("VmOptions.MaxInstructions", Assert.Throws<VmLoadException>(() => engine.LoadProgram(tooLong)).Message);
    }

    // Row 10: a value size no array can hold is a map-creation error, not an argument exception.
    [Fact]
    public void AnArrayWithAHugeValueSizeIsAMapCreateError()
    {
        using var engine = new VmEngine();
        var e = Assert.Throws<BpfMapCreateException>(() => engine.CreateMap(new MapSpec
            { Name = "a", Type = BpfMapType.Array, KeySize = 4, ValueSize = int.MaxValue, MaxEntries = 1 }));
        Assert.Equal(Errno.E2BIG, e.ErrorNumber);
    }

    // Row 11: load_acquire is dst = *(src + off), as the kernel has it.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadAcquireReadsThroughTheSourceRegister(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit });
        var insns = new[]
        {
            new Instruction(0xb7, 0, 0, 0, 0),             // r0 = 0
            new Instruction(0xdb, 0, 1, 8, 0x100),         // r0 = load_acquire((u64 *)(r1 + 8))
            new Instruction(0xc3, 2, 1, 0, 0x100),         // w2 = load_acquire((u32 *)(r1 + 0)): r2 is not a pointer
            new Instruction(0x0f, 0, 2, 0, 0),             // r0 += r2
            new Instruction(0x95, 0, 0, 0, 0),
        };
        var program = engine.LoadProgram(insns);
        var memory = new byte[16];
        BitConverter.GetBytes(5u).CopyTo(memory, 0);
        BitConverter.GetBytes(37UL).CopyTo(memory, 8);
        Assert.Equal(42UL, program.RunOnMemory(memory));
    }

    // Row 12: a tail call into a program of another type fails (falls through), as the kernel's prog array refuses it.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TailCallsIntoAnotherProgramTypeFallThrough(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit });
        var jump = engine.CreateMap(new MapSpec { Name = "jump", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 2 });
        var filter = Load(engine, "mov %r0, %r1\nexit", BpfProgramType.SocketFilter);
        var xdp = Load(engine, "mov %r0, 7\nexit", BpfProgramType.Xdp);
        string caller = $"""
            lddw %r2, {MapRef}
            mov %r3, INDEX
            call {Helper("bpf_tail_call")}
            mov %r0, 1
            exit
            """;
        jump.Update(BitConverter.GetBytes(0), BitConverter.GetBytes(filter.Id));
        jump.Update(BitConverter.GetBytes(1), BitConverter.GetBytes(xdp.Id));
        var packet = new byte[64];
        Assert.Equal(1UL, Load(engine, caller.Replace("INDEX", "0"), BpfProgramType.Xdp, jump).Run(packet).ReturnValue);
        Assert.Equal(7UL, Load(engine, caller.Replace("INDEX", "1"), BpfProgramType.Xdp, jump).Run(packet).ReturnValue);
    }

    [Fact]
    public void TheCliTurnsUnexpectedExceptionsIntoOneLine()
    {
        var (exit, _, stderr) = SharpBpfCli.Run("object", "show", "/proc/self/mem");
        Assert.NotEqual(0, exit);
        Assert.StartsWith("sharpbpf: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
