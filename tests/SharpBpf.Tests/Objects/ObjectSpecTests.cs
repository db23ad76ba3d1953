using SharpBpf.Isa;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Objects;

public class ObjectSpecTests
{
    public static TheoryData<bool> ByteOrders => new() { false, true };

    [Theory, MemberData(nameof(ByteOrders))]
    public void FindsProgramsAndSubprogramsBySection(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_subprogs.c", bigEndian: bigEndian));
        Assert.Equal(bigEndian, obj.BigEndian);
        Assert.Equal(["tc_calls", "tc_leaf_only", "xdp_chain"], obj.Programs.Select(p => p.Name));
        Assert.Equal(["add_step", "global_top", "leaf", "middle", "other_step"], obj.Subprograms.Select(p => p.Name).Order());
        var tc = obj.FindProgram("tc_leaf_only")!;
        Assert.Equal("tc", tc.SectionName);
        Assert.Equal(BpfProgramType.SchedCls, tc.Type);
        Assert.Equal(obj.FindProgram("tc_calls")!.Instructions.Length, tc.SectionOffset);
        Assert.Equal(BpfOps.Exit, tc.Instructions[^1].Opcode);
        var xdp = obj.FindProgram("xdp_chain")!;
        Assert.Equal(BpfProgramType.Xdp, xdp.Type);
        Assert.Equal(BpfAttachType.Xdp, xdp.ExpectedAttachType);
        Assert.Equal("GPL", xdp.License);
        Assert.Equal("GPL", obj.License);
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void RecordsCallsAndFunctionAddresses(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_subprogs.c", bigEndian: bigEndian));
        var calls = obj.FindProgram("tc_calls")!.Relocations.Cast<SubprogramCall>().ToList();
        Assert.Equal([("global_top", false), ("add_step", true), ("other_step", true)], calls.Select(c => (c.Target, c.IsAddressLoad)));
        Assert.Equal([1, 8, 14], calls.Select(c => c.InstructionIndex));
        // middle calls leaf twice within .text: no ELF relocation, the immediate is already relative.
        var middle = obj.Subprograms.Single(p => p.Name == "middle");
        Assert.Equal(["leaf", "leaf"], middle.Relocations.Cast<SubprogramCall>().Select(c => c.Target));
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void ReadsLegacyMapsAndVersion(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_legacy_maps.c", bigEndian: bigEndian));
        Assert.Equal(0x050a00u, obj.KernelVersion);
        var maps = obj.Maps.Where(m => !m.IsGlobalData).ToList();
        Assert.Equal(["packets", "flows", "trie"], maps.Select(m => m.Name));
        Assert.Equal((BpfMapType.Array, 4, 8, 16, 0u), (maps[0].Type, maps[0].KeySize, maps[0].ValueSize, maps[0].MaxEntries, maps[0].Flags));
        Assert.Equal((BpfMapType.LruHash, 8, 24, 1024, 2u), (maps[1].Type, maps[1].KeySize, maps[1].ValueSize, maps[1].MaxEntries, maps[1].Flags));
        Assert.Equal((BpfMapType.LpmTrie, 8, 4, 64, 1u), (maps[2].Type, maps[2].KeySize, maps[2].ValueSize, maps[2].MaxEntries, maps[2].Flags));
        Assert.Equal(["count_packets", "track_flows"], obj.Programs.Select(p => p.Name));
        Assert.All(obj.Programs, p => Assert.Equal(BpfProgramType.SocketFilter, p.Type));
        var refs = obj.FindProgram("track_flows")!.Relocations.OfType<MapReference>().Select(r => r.MapName);
        Assert.Equal(["flows", "trie"], refs);
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void MakesGlobalDataMapsAsLibbpfNamesThem(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_global_data.c", bigEndian: bigEndian));
        var data = obj.Maps.Where(m => m.IsGlobalData).ToDictionary(m => m.DataSection!);
        Assert.Equal("obj_glob.rodata", data[".rodata"].Name);
        Assert.Equal("obj_glob.data", data[".data"].Name);
        Assert.Equal("obj_glob.bss", data[".bss"].Name);
        Assert.Equal(".data.counters", data[".data.counters"].Name);
        Assert.Equal(ObjectReaderFlags.ReadOnlyProg | ObjectReaderFlags.Mmapable, data[".rodata"].Flags);
        Assert.Equal(ObjectReaderFlags.Mmapable, data[".data"].Flags);
        Assert.All(data.Values, m => Assert.Equal((BpfMapType.Array, 4, 1), (m.Type, m.KeySize, m.MaxEntries)));
        Assert.Equal(40, data[".data"].ValueSize);
        Assert.Equal(5, BitConverter.ToInt32(bigEndian ? data[".data"].InitialValue!.Take(4).Reverse().ToArray() : data[".data"].InitialValue!, 0));
        Assert.Equal(16, data[".bss"].ValueSize);
        Assert.All(data[".bss"].InitialValue!, b => Assert.Equal(0, b));

        var relocs = obj.FindProgram("on_getpid")!.Relocations;
        Assert.Contains(relocs, r => r is MapValueReference { MapName: "obj_glob.data", Offset: 8 }); // big_table
        Assert.Contains(relocs, r => r is MapValueReference { MapName: "obj_glob.bss", Offset: 8 }); // hidden_total via .bss + 8
        Assert.Contains(relocs, r => r is MapValueReference { MapName: "obj_glob.rodata", Offset: 10 }); // the format string
        Assert.Contains(relocs, r => r is KconfigReference { Symbol: "LINUX_KERNEL_VERSION" });
        Assert.Contains(relocs, r => r is KconfigReference { Symbol: "CONFIG_HZ" });
        Assert.Equal("tracepoint", obj.FindProgram("on_getpid")!.SectionName.Split('/')[0]);
        Assert.Equal("syscalls/sys_enter_getpid", obj.FindProgram("on_getpid")!.AttachTarget);
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void LinksSubprogramsDepthFirstWithRelativeCalls(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_subprogs.c", bigEndian: bigEndian));
        var linked = ProgramLinker.Link(obj, obj.FindProgram("tc_calls")!);
        Assert.Equal(["tc_calls", "global_top", "middle", "leaf", "add_step", "other_step"], linked.Functions.Select(f => f.Function.Name));
        Assert.Equal(linked.Functions.Sum(f => f.Function.Instructions.Length), linked.Instructions.Length);
        AssertCallsLandOnFunctions(linked);
        Assert.Empty(linked.Relocations);

        var xdp = ProgramLinker.Link(obj, obj.FindProgram("xdp_chain")!);
        Assert.Equal(["xdp_chain", "middle", "leaf"], xdp.Functions.Select(f => f.Function.Name));
        AssertCallsLandOnFunctions(xdp);
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void LinkedRelocationsPointAtLoadsInTheLinkedCode(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_btf_maps.c", bigEndian: bigEndian));
        var linked = ProgramLinker.Link(obj, obj.FindProgram("xdp_main")!);
        Assert.Equal(["xdp_main", "bump", "global_helper"], linked.Functions.Select(f => f.Function.Name));
        AssertCallsLandOnFunctions(linked);
        Assert.All(linked.Relocations, r => Assert.Equal(Opcodes.LdDw, linked.Instructions[r.InstructionIndex].Opcode));
        var maps = linked.Relocations.OfType<MapReference>().Select(r => r.MapName).ToList();
        Assert.Equal(["outer", "jumps", "counts", "counts"], maps);
        Assert.Contains(linked.Relocations, r => r is MapValueReference { MapName: "obj_btf_.rodata", Offset: 0 });
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void LinkedProgramsCarryFuncAndLineInfoForEveryFunction(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_subprogs.c", bigEndian: bigEndian));
        var linked = ProgramLinker.Link(obj, obj.FindProgram("tc_calls")!);
        var funcs = linked.FuncInfos;
        Assert.Equal(linked.Functions.Select(f => (uint)f.StartIndex), funcs.Select(f => f.InstructionOffset));
        Assert.Equal(linked.Functions.Select(f => f.Function.Name), funcs.Select(f => obj.BtfTypes![f.TypeId].Name));
        var lines = linked.LineInfos;
        Assert.NotEmpty(lines);
        Assert.All(linked.Functions, f => Assert.Contains(lines, l => l.InstructionOffset == (uint)f.StartIndex));
        Assert.All(lines, l => Assert.True(l.InstructionOffset < linked.Instructions.Length));
        Assert.Equal(lines.Select(l => l.InstructionOffset).Order(), lines.Select(l => l.InstructionOffset));
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void CoreRelocationsFollowTheirFunctions(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("btf_core_reads.c", bigEndian: bigEndian));
        var withCore = obj.Programs.Concat(obj.Subprograms).Where(p => p.CoreRelocations.Count > 0).ToList();
        Assert.NotEmpty(withCore);
        foreach (var program in obj.Programs)
        {
            var linked = ProgramLinker.Link(obj, program);
            var own = linked.Functions.Sum(f => f.Function.CoreRelocations.Count);
            Assert.Equal(own, linked.CoreRelocations.Count);
            Assert.All(linked.CoreRelocations, r => Assert.True(r.InstructionOffset < linked.Instructions.Length));
        }
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void GlobalVariablesCanBeReadAndReplaced(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_global_data.c", bigEndian: bigEndian));
        var threshold = obj.Variables.Single(v => v.Name == "threshold");
        Assert.Equal((".rodata", 4, false), (threshold.Map.DataSection, threshold.Size, threshold.IsStatic));
        Assert.True(obj.Variables.Single(v => v.Name == "hidden_total").IsStatic);
        Assert.Equal(42, Read32(obj.GetVariable("threshold"), bigEndian));
        var value = new byte[4];
        if (bigEndian) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(value, 7);
        else System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(value, 7);
        obj.SetVariable("threshold", value);
        Assert.Equal(7, Read32(threshold.Map.InitialValue.AsSpan(threshold.Offset), bigEndian));
        Assert.Throws<BpfException>(() => obj.SetVariable("threshold", new byte[8]));
        Assert.Throws<BpfNotFoundException>(() => obj.SetVariable("nope", value));
    }

    private static int Read32(ReadOnlySpan<byte> bytes, bool bigEndian) =>
        bigEndian ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes) : System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes);

    private static void AssertCallsLandOnFunctions(LinkedProgram linked)
    {
        var starts = linked.Functions.Select(f => f.StartIndex).ToHashSet();
        int calls = 0;
        for (int i = 0; i < linked.Instructions.Length; i++)
        {
            var insn = linked.Instructions[i];
            bool call = insn.Opcode == Opcodes.Call && insn.Src == PseudoSource.Call;
            bool addr = insn.Opcode == Opcodes.LdDw && insn.Src == PseudoSource.Func;
            if (call || addr)
            {
                Assert.Contains(i + insn.Imm + 1, starts);
                calls++;
            }
            if (insn.Opcode == Opcodes.LdDw)
                i++;
        }
        Assert.True(calls >= linked.Functions.Count - 1);
    }
}

internal static class BpfOps
{
    public const byte Exit = 0x95;
}

internal static class ObjectReaderFlags
{
    public const uint ReadOnlyProg = 0x80;
    public const uint Mmapable = 0x400;
}
