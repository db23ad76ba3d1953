using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Objects;
using SharpBpf.Verifier;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm;

/// <summary>The bounds check, the instruction budget, call depth and load-time checks.</summary>
public class VmMemoryTests
{
    /// <summary>These programs go where no verified program may: the runtime checks are what is under test.</summary>
    private static readonly VmOptions Unverified = new() { VerifyBeforeLoad = false };

    private static VmProgram Load(VmEngine engine, string asm, BpfProgramType type = BpfProgramType.Unspec) =>
        engine.LoadProgram(Assembler.Assemble(asm), type);

    [Fact]
    public void ReadsAndWritesInsideTheMemoryWork()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "ldxw %r0, [%r1+4]\nstdw [%r1+0], 7\nexit");
        var memory = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        Assert.Equal(0x08070605UL, program.RunOnMemory(memory));
        Assert.Equal(new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 }, memory);
    }

    [Fact]
    public void AnOutOfBoundsLoadFaultsNamingPcInstructionAddressAndSize()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "mov %r0, 0\nldxdw %r0, [%r1+4]\nexit");
        var memory = new byte[8];
        var fault = Assert.Throws<VmFault>(() => program.RunOnMemory(memory));
        Assert.Equal(1, fault.Pc);
        Assert.Equal(8, fault.Size);
        Assert.Contains("pc 1: ldxdw %r0, [%r1+4]", fault.Message);
        Assert.Contains($"0x{fault.Address:x}", fault.Message);
        Assert.Equal(0x79, fault.Instruction.Opcode);
    }

    [Theory]
    [InlineData("stb [%r10+0], 1")]       // just above the outermost frame
    [InlineData("stb [%r10-4097], 1")]    // below the deepest frame
    [InlineData("mov %r2, 0\nstxdw [%r2+0], %r1")] // null
    [InlineData("lddw %r2, 0x7fff00001000\nldxb %r0, [%r2+0]")] // an arbitrary host address
    [InlineData("mov %r2, %r1\nadd %r2, -1\nldxb %r0, [%r2+0]")] // one byte before the memory
    public void AccessesOutsideEveryRegionFault(string body)
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, body + "\nmov %r0, 0\nexit");
        Assert.Throws<VmFault>(() => program.RunOnMemory(new byte[16]));
        using var verifying = new VmEngine();
        Assert.Throws<BpfStaticVerifierException>(() => Load(verifying, body + "\nmov %r0, 0\nexit"));
    }

    [Fact]
    public void TheWholeStackOfEightFramesIsUsable()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "stb [%r10-4096], 1\nldxb %r0, [%r10-4096]\nexit");
        Assert.Equal(1UL, program.RunOnMemory([]));
    }

    [Fact]
    public void ARunawayLoopUsesUpTheBudget()
    {
        using var engine = new VmEngine(new VmOptions { VerifyBeforeLoad = false, InstructionBudget = 10_000 });
        var program = Load(engine, "mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit");
        var fault = Assert.Throws<VmFault>(() => program.RunOnMemory([]));
        Assert.Contains("budget", fault.Message);
        // The engine is still usable afterwards.
        Assert.Equal(3UL, Load(engine, "mov %r0, 3\nexit").RunOnMemory([]));
    }

    [Fact]
    public void UnboundedRecursionStopsAtEightFrames()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "f:\ncall local f\nexit");
        var fault = Assert.Throws<VmFault>(() => program.RunOnMemory([]));
        Assert.Contains("call stack too deep", fault.Message);
    }

    [Fact]
    public void EachLocalCallGetsItsOwnFrame()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, """
            stdw [%r10-8], 11
            call local f
            ldxdw %r1, [%r10-8]
            add %r0, %r1
            exit
            f:
            stdw [%r10-8], 22
            ldxdw %r0, [%r10-8]
            exit
            """);
        Assert.Equal(33UL, program.RunOnMemory([]));
    }

    [Fact]
    public void MisalignedAtomicsFault()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "mov %r1, 1\nlock add [%r10-12], %r1\nexit");
        Assert.Contains("misaligned", Assert.Throws<VmFault>(() => program.RunOnMemory([])).Message);
    }

    [Fact]
    public void StoresIntoReadOnlyGlobalDataFault()
    {
        using var engine = new VmEngine(Unverified);
        var spec = new MapSpec
        {
            Name = ".rodata", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1,
            DataSection = ".rodata", InitialValue = [42, 0, 0, 0, 0, 0, 0, 0],
        };
        var rodata = engine.CreateMap(spec);
        int id = engine.IdOf(rodata);
        Instruction[] load =
        [
            new(Opcodes.LdDw, 1, PseudoSource.MapValue, 0, id), new(0, 0, 0, 0, 0),
            new(0x79, 0, 1, 0, 0), // r0 = *(u64 *)(r1 + 0)
            new(Opcodes.Exit, 0, 0, 0, 0),
        ];
        Assert.Equal(42UL, engine.LoadProgram(load).RunOnMemory([]));
        Instruction[] store =
        [
            new(Opcodes.LdDw, 1, PseudoSource.MapValue, 0, id), new(0, 0, 0, 0, 0),
            new(0x7a, 1, 0, 0, 1), // *(u64 *)(r1 + 0) = 1
            new(Opcodes.Exit, 0, 0, 0, 0),
        ];
        var fault = Assert.Throws<VmFault>(() => engine.LoadProgram(store).RunOnMemory([]));
        Assert.Contains("read-only", fault.Message);
        using var verifying = new VmEngine();
        var refused = Assert.Throws<BpfStaticVerifierException>(() => verifying.LoadProgram(
            [new(Opcodes.LdDw, 1, PseudoSource.MapValue, 0, verifying.IdOf(verifying.CreateMap(spec))), .. store[1..]]));
        Assert.StartsWith("write into map forbidden", refused.Result.Error);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 }, "invalid opcode 0xff")]
    [InlineData(new byte[] { 0x05, 0, 5, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 }, "jump target 6 is outside")]
    [InlineData(new byte[] { 0xb7, 0x0a, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 }, "frame pointer r10 is read only")]
    [InlineData(new byte[] { 0xb7, 0x0b, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 }, "invalid register")]
    [InlineData(new byte[] { 0x18, 0, 0, 0, 0, 0, 0, 0 }, "ld_imm64 needs a second slot")]
    [InlineData(new byte[] { 0x85, 0, 0, 0, 0xc5, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 }, "helper bpf_dynptr_from_mem#197 is not available in the SharpBpf VM")]
    [InlineData(new byte[] { 0x85, 0x20, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 }, "kfunc")]
    public void LoadingRejectsWhatCouldNotRun(byte[] bytes, string message)
    {
        using var engine = new VmEngine(Unverified);
        var e = Assert.Throws<VmLoadException>(() => engine.LoadProgram(Instruction.ReadAll(bytes)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void FallingOffTheEndFaults()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "mov %r0, 1");
        Assert.Contains("fell off the end", Assert.Throws<VmFault>(() => program.RunOnMemory([])).Message);
    }

    [Fact]
    public void RunsOnSeveralThreadsAtOnceAreIndependent()
    {
        using var engine = new VmEngine(Unverified);
        var program = Load(engine, "ldxdw %r2, [%r1+0]\nstxdw [%r10-8], %r2\nmov %r0, 0\nmov %r3, 1000\nloop:\nldxdw %r4, [%r10-8]\nadd %r0, %r4\nsub %r3, 1\njne %r3, 0, loop\nexit");
        Parallel.For(0, 8, t =>
        {
            var memory = BitConverter.GetBytes((ulong)t + 1);
            for (int i = 0; i < 200; i++)
                Assert.Equal(((ulong)t + 1) * 1000, program.RunOnMemory(memory));
        });
    }

    [Fact]
    public void ADisposedEngineRefusesToRun()
    {
        var engine = new VmEngine(Unverified);
        var program = Load(engine, "mov %r0, 1\nexit");
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => program.RunOnMemory([]));
    }

    /// <summary>Random programs from valid opcodes (mostly well-formed, with random registers, offsets, helper calls and memory)
    /// must load-fail, fault or return: never crash or corrupt the process.</summary>
    [Fact]
    public void RandomProgramsNeverEscapeTheSandbox()
    {
        var valid = OpcodeTable.All.Where(i => i.IsValid && i.Shape != InstructionShape.LoadImm64).ToArray();
        int[] atomics = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];
        var random = new Random(1234);
        using var engine = new VmEngine(new VmOptions { VerifyBeforeLoad = false, InstructionBudget = 5_000 });
        int[] helpers = engine.Helpers.Ids.Where(id => id != 12).ToArray();
        int ran = 0, faulted = 0, rejected = 0;
        var memory = new byte[64];
        for (int n = 0; n < 4000; n++)
        {
            var insns = new Instruction[random.Next(2, 24)];
            for (int i = 0; i < insns.Length - 1; i++)
            {
                var info = valid[random.Next(valid.Length)];
                int imm = random.Next(4) == 0 ? random.Next() : random.Next(-64, 64);
                short off = (short)random.Next(-16, 16);
                switch (info.Shape)
                {
                    case InstructionShape.CondJump or InstructionShape.Ja:
                        off = (short)random.Next(-i, insns.Length - i - 1);
                        if (info.Opcode == Opcodes.Ja32) imm = off;
                        break;
                    case InstructionShape.Call:
                        imm = random.Next(3) == 0 ? random.Next(-i, insns.Length - i - 1) : helpers[random.Next(helpers.Length)];
                        break;
                    case InstructionShape.Atomic:
                        imm = atomics[random.Next(atomics.Length)];
                        off &= ~7;
                        break;
                    case InstructionShape.Endian:
                        imm = 16 << random.Next(3);
                        break;
                    case InstructionShape.Alu:
                        off = 0;
                        break;
                }
                byte src = info.Shape == InstructionShape.Call ? (byte)(random.Next(3) == 0 ? 1 : 0) : (byte)random.Next(11);
                if (info.Shape == InstructionShape.Call && src == 0)
                    imm = helpers[random.Next(helpers.Length)];
                insns[i] = new Instruction(info.Opcode, (byte)random.Next(10), src, off, imm);
            }
            insns[^1] = new Instruction(Opcodes.Exit, 0, 0, 0, 0);
            try
            {
                var program = engine.LoadProgram(insns);
                random.NextBytes(memory);
                program.RunOnMemory(memory);
                ran++;
            }
            catch (VmLoadException) { rejected++; }
            catch (VmFault) { faulted++; }
        }
        Assert.True(ran > 300 && faulted > 300, $"ran {ran}, faulted {faulted}, rejected {rejected}");
    }
}
