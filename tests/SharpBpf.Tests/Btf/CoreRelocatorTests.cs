using System.Buffers.Binary;
using System.Text.Json;
using SharpBpf.Btf;
using SharpBpf.Elf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

public class CoreRelocatorTests
{
    private const string Program = "btf_core_reads.c";
    private const string Section = "raw_tracepoint/sys_enter";

    private static (BtfSpec Local, BtfExt Ext, byte[] Code, string Object) Load(bool bigEndian = false)
    {
        var obj = TestPrograms.Compile(Program, bigEndian: bigEndian);
        var local = BtfFile.Load(obj);
        var ext = BtfFile.LoadExt(obj, local)!;
        var elf = ElfFile.Load(obj);
        var code = elf.GetData(elf.FindSection(Section)!).ToArray();
        return (local, ext, code, obj);
    }

    /// <summary>The immediate or offset that a relocation patches in an instruction (libbpf's bpf_core_patch_insn).</summary>
    private static long PatchedField(ReadOnlySpan<byte> insn, ReadOnlySpan<byte> next, bool bigEndian)
    {
        var cls = insn[0] & 7;
        int Imm(ReadOnlySpan<byte> i) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(i[4..]) : BinaryPrimitives.ReadInt32LittleEndian(i[4..]);
        short Off(ReadOnlySpan<byte> i) => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(i[2..]) : BinaryPrimitives.ReadInt16LittleEndian(i[2..]);
        return cls switch
        {
            4 or 7 => Imm(insn), // ALU/ALU64 with an immediate
            1 or 2 or 3 => Off(insn), // LDX/ST/STX
            0 => (long)(((ulong)(uint)Imm(next) << 32) | (uint)Imm(insn)), // LD_IMM64
            _ => throw new InvalidOperationException($"unexpected instruction class {cls} carries a CO-RE relocation"),
        };
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void LocalValuesAreWhatClangCompiledIn(bool bigEndian)
    {
        // Resolving against the program's own BTF must reproduce the compiled-in values (libbpf's validation).
        var (local, ext, code, _) = Load(bigEndian);
        // (Against the program's own BTF, task_struct and task_struct___flavour would be ambiguous candidates.)
        var relocator = new CoreRelocator(local, BtfTestData.Vmlinux);
        var results = relocator.ResolveAll(ext);
        Assert.True(results.Count(r => r.ValidateLocalValue) >= 12, $"only {results.Count(r => r.ValidateLocalValue)} checkable relocations");
        foreach (var r in results)
        {
            var at = (int)r.Relocation.InstructionOffset;
            var compiled = PatchedField(code.AsSpan(at, 8), code.AsSpan(Math.Min(at + 8, code.Length - 8), 8), bigEndian);
            if (!r.ValidateLocalValue || r.Relocation.Kind == BtfCoreRelocationKind.TypeIdLocal)
                continue; // bitfield containers and type ids are not checked by libbpf either
            Assert.False(r.Poison, $"{r.Relocation} poisoned against its own BTF");
            Assert.True(compiled == (long)r.LocalValue, $"{r.Relocation}: compiled {compiled}, computed {r.LocalValue}");
        }
    }

    [SkippableFact]
    public void TargetValuesMatchWhatLibbpfPatchedIntoTheKernel()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var (local, ext, code, obj) = Load();
        var results = new CoreRelocator(local, BtfTestData.Vmlinux).ResolveAll(ext);

        var pin = $"/sys/fs/bpf/sharpbpf_btf_core_{Environment.ProcessId}";
        var (code1, _, err1) = TestPrograms.Run(bpftool, ["prog", "load", obj, pin]);
        Assert.True(code1 == 0, err1);
        string json;
        try
        {
            var (code2, stdout, err2) = TestPrograms.Run(bpftool, ["-j", "prog", "dump", "xlated", "pinned", pin, "opcodes"]);
            Assert.True(code2 == 0, err2);
            json = stdout;
        }
        finally
        {
            File.Delete(pin);
        }

        // Rebuild the patched instruction bytes from bpftool's opcodes; ld_imm64 is one entry of two slots.
        var xlated = new List<byte[]>();
        foreach (var e in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            var op = e.GetProperty("opcodes");
            byte B(JsonElement x) => Convert.ToByte(x.GetString()!, 16);
            var codeByte = B(op.GetProperty("code"));
            var regs = (byte)((B(op.GetProperty("src_reg")) << 4) | B(op.GetProperty("dst_reg")));
            var off = op.GetProperty("off").EnumerateArray().Select(B).ToArray();
            var imm = op.GetProperty("imm").EnumerateArray().Select(B).ToArray();
            xlated.Add([codeByte, regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3]]);
            if (imm.Length == 12)
                xlated.Add([0, 0, 0, 0, imm[8], imm[9], imm[10], imm[11]]);
        }
        // The verifier drops dead code (here: the signed-bitfield branch), so align the two instruction streams
        // by opcode; relocations patch immediates and offsets, never opcodes (except poisoning).
        var map = new Dictionary<int, int>();
        for (int i = 0, j = 0; i < code.Length / 8 && j < xlated.Count; i++)
        {
            if (code[i * 8] == xlated[j][0])
                map[i] = j++;
        }

        var checkedCount = 0;
        foreach (var r in results)
        {
            if (!map.TryGetValue((int)r.Relocation.InstructionOffset / 8, out var index))
                continue; // removed as dead code by the verifier
            var insn = xlated[index];
            if (r.Poison)
            {
                Assert.Equal(0x85, insn[0]); // libbpf turns it into a call of helper 0xbad2310
                continue;
            }
            if (r.Relocation.Kind == BtfCoreRelocationKind.TypeIdLocal)
                continue; // libbpf rewrites the object's BTF before loading it
            var patched = PatchedField(insn, index + 1 < xlated.Count ? xlated[index + 1] : new byte[8], false);
            Assert.True(patched == (long)r.TargetValue, $"{r.Relocation}: libbpf patched {patched}, computed {r.TargetValue}");
            checkedCount++;
        }
        Assert.True(checkedCount >= 15, $"only {checkedCount} relocations compared");
    }

    [SkippableFact]
    public void FlavoursMissingFieldsAndEnumeratorsResolveAgainstVmlinux()
    {
        var (local, ext, _, _) = Load();
        var vmlinux = BtfTestData.Vmlinux;
        var results = new CoreRelocator(local, vmlinux).ResolveAll(ext);
        string Name(CoreRelocationResult r) => local[r.Relocation.TypeId].Name;

        var missing = results.Single(r => r.Relocation.Kind == BtfCoreRelocationKind.FieldExists && Name(r) == "task_struct___flavour" && r.LocalValue == 1 && r.Relocation.AccessString == "0:1");
        Assert.Equal(0UL, missing.TargetValue);
        var pidExists = results.Single(r => r.Relocation.Kind == BtfCoreRelocationKind.FieldExists && Name(r) == "task_struct___flavour" && r.Relocation.AccessString == "0:0");
        Assert.Equal(1UL, pidExists.TargetValue);
        Assert.Equal(vmlinux.FindByName("task_struct", BtfKind.Struct).Single(), pidExists.TargetTypeId);

        var size = results.Single(r => r.Relocation.Kind == BtfCoreRelocationKind.TypeSize);
        Assert.Equal((ulong)vmlinux.SizeOf(vmlinux.FindByName("task_struct", BtfKind.Struct).Single()), size.TargetValue);
        Assert.Equal(0UL, results.Single(r => r.Relocation.Kind == BtfCoreRelocationKind.EnumValueExists).TargetValue);
        Assert.Equal(1UL, results.Single(r => r.Relocation.Kind == BtfCoreRelocationKind.EnumValue).TargetValue);
        Assert.Equal(1UL, results.Single(r => r.Relocation.Kind == BtfCoreRelocationKind.TypeExists).TargetValue);
    }

    [Theory]
    [InlineData("task_struct", 11)]
    [InlineData("task_struct___flavour", 11)]
    [InlineData("a___b___c", 5)]
    [InlineData("x____y", 6)]
    [InlineData("___x", 4)]
    public void EssentialNamesDropOneFlavourSuffix(string name, int length) =>
        Assert.Equal(length, CoreRelocator.EssentialNameLength(name));

    [Fact]
    public void MalformedAccessStringsAreReported()
    {
        var (local, _, _, _) = Load();
        var task = local.FindByName("task_struct", BtfKind.Struct).Single();
        var relocator = new CoreRelocator(local, local);
        Assert.Throws<BpfException>(() => relocator.Resolve(new BtfCoreRelocation(0, task, "0:99", BtfCoreRelocationKind.FieldByteOffset)));
        Assert.Throws<BpfException>(() => relocator.Resolve(new BtfCoreRelocation(0, task, "", BtfCoreRelocationKind.FieldByteOffset)));
        Assert.Throws<BpfException>(() => relocator.Resolve(new BtfCoreRelocation(0, task, "0:x", BtfCoreRelocationKind.FieldByteOffset)));
        Assert.Throws<BpfException>(() => relocator.Resolve(new BtfCoreRelocation(0, task, "1", BtfCoreRelocationKind.TypeSize)));
        Assert.Throws<BpfException>(() => relocator.Resolve(new BtfCoreRelocation(0, 99999, "0", BtfCoreRelocationKind.TypeSize)));
    }
}
