using System.Buffers.Binary;
using SharpBpf.Btf;
using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Core;

/// <summary>
/// core_packet.c reads struct core_hdr (its own header, core_packet.h) over packet bytes. The tests build a target BTF in
/// which core_hdr has another layout, lay the packet out in that target layout, and check that both engines, with the
/// relocations applied, read every field right: moved members, wider unsigned members (loads resized), bitfields
/// in another container, a member the target lacks, sizes and offsets.
/// </summary>
public class CorePacketTests
{
    private const string Program = "core_packet.c";

    /// <summary>The target layout: seq u64 @0, delta int @8, port u32 @12, kind u8 @16, flags:4 @bit 139, prio:3 (signed) @bit 150, next u64* @24; 32 bytes.</summary>
    internal static BtfSpec TargetBtf(bool deltaIsLong = false)
    {
        var btf = new BtfSpec();
        var u8 = btf.Add(new BtfInt("unsigned char", 1, BtfIntEncoding.None, 0, 8));
        var u32 = btf.Add(new BtfInt("unsigned int", 4, BtfIntEncoding.None, 0, 32));
        var s32 = btf.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
        var u64 = btf.Add(new BtfInt("long long unsigned int", 8, BtfIntEncoding.None, 0, 64));
        var s64 = btf.Add(new BtfInt("long int", 8, BtfIntEncoding.Signed, 0, 64));
        var ptr = btf.Add(new BtfPtr(u64));
        btf.Add(new BtfStruct("core_hdr", 32,
        [
            new BtfMember("seq", u64, 0, 0),
            new BtfMember("delta", deltaIsLong ? s64 : s32, 64, 0),
            new BtfMember("port", u32, 96, 0),
            new BtfMember("kind", u8, 128, 0),
            new BtfMember("flags", u32, 139, 4),
            new BtfMember("prio", s32, 150, 3),
            new BtfMember("next", ptr, 192, 0),
        ], HasBitfieldSizes: true));
        // Round trip through the writer and parser: the target is what a BTF file holding it would give.
        return BtfSpec.Parse(btf.ToBytes());
    }

    /// <summary>A 64-byte packet holding a core_hdr in the target layout.</summary>
    internal static byte[] TargetPacket()
    {
        var p = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(p, 0x1122334455667788);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(8), -5);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(12), 0xABCD1234);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(16), 0x7eu | (0xAu << 11) | (0b101u << 22));
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(24), 0xdeadbeefcafef00d);
        return p;
    }

    /// <summary>The same values in the program's own layout (core_packet.h as clang lays it out).</summary>
    private static byte[] LocalPacket()
    {
        var p = new byte[64];
        p[0] = 0x7e;
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(2), 0x1234);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), 0x55667788);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), 0xAu | (0b101u << 4));
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(12), -5);
        p[16] = 0x99; // missing
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(24), 0xdeadbeefcafef00d);
        return p;
    }

    private static readonly ulong[] ExpectedFromTarget =
    [
        0x7e, 0xABCD1234, 0x1122334455667788, 0xA, unchecked((ulong)-3L), unchecked((ulong)-5L),
        0 /* missing_exists */, 0 /* seq_offset */, 8 /* seq_size */, 32 /* hdr_size */, 0xdeadbeefcafef00d,
    ];

    private static ulong[] Results(IBpfMap map)
    {
        var value = new byte[11 * 8];
        Assert.True(map.TryLookup(new byte[4], value));
        return Enumerable.Range(0, 11).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(i * 8))).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VmReadsThePacketInTheTargetLayout(bool jit)
    {
        // unverified: the object's other program reaches an unresolved relocation, which the verifier refuses (below)
        using var engine = new VmEngine(new VmOptions { TargetBtf = TargetBtf(), UseJit = jit, VerifyBeforeLoad = false });
        var collection = engine.Load(ObjectSpec.Load(TestPrograms.Compile(Program)));
        var run = collection.Program("core_packet").Run(TargetPacket());
        Assert.Equal(2UL, run.ReturnValue); // XDP_PASS
        Assert.Equal(ExpectedFromTarget, Results(collection.Map("core_results")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutATargetTheVmRunsTheCompiledInLayout(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit });
        var collection = engine.Load(ObjectSpec.Load(TestPrograms.Compile(Program)));
        Assert.Equal(2UL, collection.Program("core_packet").Run(LocalPacket()).ReturnValue);
        var r = Results(collection.Map("core_results"));
        Assert.Equal(0x99UL, r[0]); // the member exists locally, so the guarded read of 'missing' ran (after kind + CORE_KIND_PING)
        Assert.Equal([0x1234UL, 0x55667788, 0xA, unchecked((ulong)-3L), unchecked((ulong)-5L), 1, 4, 4], r[1..9]);
        Assert.Equal(0xdeadbeefcafef00dUL, r[10]);
    }

    [Fact]
    public void AppliedInstructionsResizeLoadsOfWiderUnsignedFields()
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile(Program));
        var linked = ProgramLinker.Link(obj, obj.FindProgram("core_packet")!);
        var applied = CoreApplier.Apply(linked, CoreApplier.RelocatorFor(obj, () => TargetBtf())!);
        var seq = applied.Relocations.Single(r => r.Result.Description.EndsWith("struct core_hdr.seq (0:2)", StringComparison.Ordinal)
            && r.Result.Relocation.Kind == BtfCoreRelocationKind.FieldByteOffset && linked.Instructions[r.InstructionIndex].Class == SharpBpf.Isa.OpClass.Ldx);
        Assert.Equal(SharpBpf.Isa.OpSize.W, linked.Instructions[seq.InstructionIndex].AccessSize);
        Assert.Equal(SharpBpf.Isa.OpSize.DW, applied.Instructions[seq.InstructionIndex].AccessSize);
        Assert.Equal(0, applied.Instructions[seq.InstructionIndex].Offset);
        // The guarded read of 'missing' and the guarded enumerator value are poisoned (dead code at run time), nothing else.
        var poisoned = applied.Relocations.Where(r => r.Poisoned).ToList();
        Assert.Equal(2, poisoned.Count);
        var missing = Assert.Single(poisoned, r => r.PoisonReason!.Contains("core_hdr.missing", StringComparison.Ordinal));
        Assert.True(CoreApplier.IsPoison(applied.Instructions[missing.InstructionIndex]));
        var ping = Assert.Single(poisoned, r => r.PoisonReason!.Contains("enumval_value [", StringComparison.Ordinal));
        Assert.Contains("enum core_kind::CORE_KIND_PING", ping.PoisonReason);
        Assert.True(linked.Instructions[ping.InstructionIndex].IsWide);
        Assert.True(CoreApplier.IsPoison(applied.Instructions[ping.InstructionIndex]));
        Assert.True(CoreApplier.IsPoison(applied.Instructions[ping.InstructionIndex + 1])); // both slots, as libbpf
        Assert.Equal(3, applied.PoisonedInstructions.Count);
    }

    [Fact]
    public void InstructionsThatDoNotHoldTheCompiledValueAreRefused()
    {
        // libbpf checks the value clang compiled in before patching: a mismatch means the object and its .BTF.ext disagree.
        var obj = ObjectSpec.Load(TestPrograms.Compile(Program));
        var program = obj.FindProgram("core_packet")!;
        var relocator = CoreApplier.RelocatorFor(obj, () => TargetBtf())!;
        var alu = program.CoreRelocations.First(r => program.Instructions[r.InstructionOffset].Class == SharpBpf.Isa.OpClass.Alu64
            && r.Kind == BtfCoreRelocationKind.FieldByteSize && r.AccessString == "0:2"); // seq: not a bitfield, whose values are not checked
        var original = program.Instructions[alu.InstructionOffset];
        program.Instructions[alu.InstructionOffset] = original.WithImm(original.Imm + 1);
        var e = Assert.Throws<BpfException>(() => CoreApplier.Apply(ProgramLinker.Link(obj, program), relocator));
        Assert.Contains("unexpected ALU immediate", e.Message);
        Assert.Contains("byte_sz", e.Message);
        program.Instructions[alu.InstructionOffset] = original;

        // A load whose width is not the field's cannot be resized to the target's.
        var seq = program.CoreRelocations.First(r => program.Instructions[r.InstructionOffset].Class == SharpBpf.Isa.OpClass.Ldx
            && r.AccessString == "0:2");
        var load = program.Instructions[seq.InstructionOffset];
        program.Instructions[seq.InstructionOffset] = new SharpBpf.Isa.Instruction((byte)((load.Opcode & ~0x18) | (byte)SharpBpf.Isa.OpSize.H), load.Dst, load.Src, load.Offset, load.Imm);
        e = Assert.Throws<BpfException>(() => CoreApplier.Apply(ProgramLinker.Link(obj, program), relocator));
        Assert.Contains("accesses 2 bytes, the field is 4", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VmFaultsWhereAnUnresolvedRelocationIsReached(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { TargetBtf = TargetBtf(), UseJit = jit, VerifyBeforeLoad = false });
        var collection = engine.Load(ObjectSpec.Load(TestPrograms.Compile(Program)));
        var fault = Assert.Throws<VmFault>(() => collection.Program("core_unguarded").Run(TargetPacket()));
        Assert.Contains("unresolved CO-RE relocation byte_off", fault.Message);
        Assert.Contains("struct core_hdr.missing", fault.Message);
        Assert.True(CoreApplier.IsPoison(collection.Program("core_unguarded").Instructions[fault.Pc]));

        // Verified, the load fails instead, as the kernel's does, naming the relocation as libbpf does.
        using var verifying = new VmEngine(new VmOptions { TargetBtf = TargetBtf(), UseJit = jit });
        var refused = Assert.Throws<SharpBpf.Verifier.BpfStaticVerifierException>(() => verifying.Load(ObjectSpec.Load(TestPrograms.Compile(Program))));
        Assert.Equal("invalid func unknown#195896080", refused.Result.Error);
        Assert.Equal(fault.Pc, refused.Result.ErrorInstruction);
        Assert.Contains("unresolved CO-RE relocation byte_off [22] struct core_hdr.missing", refused.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RawInstructionsPoisonedElsewhereLoadAndFaultWhenReached(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit, VerifyBeforeLoad = false });
        SharpBpf.Isa.Instruction[] code =
        [
            new(0xb7, 0, 0, 0, 7), // r0 = 7
            new(0x15, 1, 0, 1, 0), // if r1 == 0 goto +1 (run on empty memory: r1 = 0, the poison is skipped)
            new(SharpBpf.Isa.Opcodes.Call, 0, 0, 0, CoreApplier.PoisonHelperId),
            new(0x95, 0, 0, 0, 0), // exit
        ];
        var program = engine.LoadProgram(code, BpfProgramType.RawTracepoint, "poisoned");
        Assert.Equal(7UL, program.RunOnMemory([]));
        var fault = Assert.Throws<VmFault>(() => program.RunOnMemory(new byte[8]));
        Assert.Equal(2, fault.Pc);
        Assert.Contains("unresolved CO-RE relocation", fault.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASignedFieldOfAnotherSizeIsPoisonedNotResized(bool jit)
    {
        using var engine = new VmEngine(new VmOptions { TargetBtf = TargetBtf(deltaIsLong: true), UseJit = jit, VerifyBeforeLoad = false });
        var collection = engine.Load(ObjectSpec.Load(TestPrograms.Compile(Program)));
        var fault = Assert.Throws<VmFault>(() => collection.Program("core_packet").Run(TargetPacket()));
        Assert.Contains("struct core_hdr.delta", fault.Message);
        Assert.Contains("only pointers and unsigned integers", fault.Message);
    }

    [SkippableFact]
    public void KernelReadsThePacketInTheTargetLayout()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile(Program));
        using var collection = new KernelEngine(new KernelEngineOptions { TargetBtf = TargetBtf(), ShouldLoad = p => p.Name == "core_packet" }).Load(obj);
        var run = collection.Programs["core_packet"].Run(new RunInput { Data = TargetPacket() });
        Assert.Equal(2U, run.ReturnValue);
        Assert.Equal(ExpectedFromTarget, Results(collection.Maps["core_results"]));
    }

    [SkippableFact]
    public void KernelVerifierNamesTheUnresolvedRelocation()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile(Program));
        var e = Assert.Throws<BpfVerifierException>(() =>
            new KernelEngine(new KernelEngineOptions { TargetBtf = TargetBtf(), ShouldLoad = p => p.Name == "core_unguarded" }).Load(obj));
        Assert.Contains("invalid func unknown#195896080", e.VerifierLog);
        Assert.Contains("unresolved CO-RE relocation byte_off", e.Message);
        Assert.Contains("struct core_hdr.missing", e.SourceContext);
    }
}
