using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Verifier;

namespace SharpBpf.Tests.Verifier;

/// <summary>The static verifier against the kernel's: every test program the kernel accepts, and the kernel's messages.</summary>
public sealed class StaticVerifierTests
{
    public static TheoryData<string> Files => new(TestPrograms.All());

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void AcceptsEveryTestProgramTheKernelAccepts(string file)
    {
        Requirements.Kernel();
        var path = TestPrograms.Compile(file, TestPrograms.MinimumCpu(file) == "v1" ? "v3" : TestPrograms.MinimumCpu(file));
        foreach (var program in ObjectSpec.Load(path).Programs)
        {
            var obj = ObjectSpec.Load(path);
            var spec = obj.FindProgram(program.Name)!;
            var ours = StaticVerifier.Verify(obj, spec);
            if (!KernelAccepts(obj, spec))
                continue;
            Assert.True(ours.Accepted, $"{file}:{program.Name}: the kernel accepts it, the static verifier says: {ours.Log}");
        }
    }

    private static bool KernelAccepts(ObjectSpec obj, ProgramSpec program)
    {
        foreach (var map in obj.Maps)
            map.Contents.Clear();
        try
        {
            using var loaded = new KernelEngine(new KernelEngineOptions { ShouldLoad = p => p == program }).Load(obj);
            return true;
        }
        catch (BpfException)
        {
            return false;
        }
    }

    public static TheoryData<string> Mistakes => new(MistakePrograms.Keys);

    /// <summary>Hand-written mistakes: the static verifier's message is a line of the kernel's log for the same program.</summary>
    [SkippableTheory]
    [MemberData(nameof(Mistakes))]
    public void RejectsMistakesInTheKernelsWords(string name)
    {
        var (type, expected, build) = MistakePrograms[name];
        var b = new ProgramBuilder();
        build(b);
        var insns = b.Build();
        var maps = new List<MapSpec> { new() { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 16, MaxEntries = 4 } };
        var ours = StaticVerifier.Verify(new VerifierInput
        {
            Name = name,
            Instructions = insns,
            Type = type,
            MapLoads = b.MapLoads.ToDictionary(l => l.InstructionIndex, l => (maps[0], (int?)null)),
        });
        Assert.False(ours.Accepted);
        Assert.Equal(expected, ours.Error);
        Assert.Contains(expected, ours.Log);
        Requirements.Kernel();
        using var kernel = new KernelVerdicts(maps);
        Assert.NotNull(kernel.Verdict(type, insns, b.MapLoads, out var log));
        Assert.Contains(expected + "\n", log);
    }

    private static readonly Dictionary<string, (BpfProgramType Type, string Error, Action<ProgramBuilder> Build)> MistakePrograms = new()
    {
        ["scalar deref"] = (BpfProgramType.Xdp, "R0 invalid mem access 'scalar'",
            b => b.Mov64(Register.R0, 0).Load(OpSize.W, Register.R0, Register.R0, 0).Exit()),
        ["r0 unset"] = (BpfProgramType.Xdp, "R0 !read_ok", b => b.Exit()),
        ["unreachable"] = (BpfProgramType.Xdp, "unreachable insn 2", b => b.Mov64(Register.R0, 0).Exit().Mov64(Register.R0, 1).Exit()),
        ["packet off by two"] = (BpfProgramType.Xdp, "invalid access to packet, off=12 size=4, R2(id=0,off=12,r=14)", b => b
            .Load(OpSize.W, Register.R2, Register.R1, 0).Load(OpSize.W, Register.R3, Register.R1, 4)
            .Mov64(Register.R4, Register.R2).Add64(Register.R4, 14).Mov64(Register.R0, 1)
            .JumpIf(JmpOp.Jgt, Register.R4, Register.R3, "out").Load(OpSize.W, Register.R0, Register.R2, 12)
            .Label("out").Exit()),
        ["missing null check"] = (BpfProgramType.SchedCls, "R0 invalid mem access 'map_value_or_null'", b => b
            .Store(OpSize.W, Register.R10, -4, 0).LoadMapFd(Register.R1, "hash").Mov64(Register.R2, Register.R10).Add64(Register.R2, -4)
            .Call("bpf_map_lookup_elem").Load(OpSize.DW, Register.R0, Register.R0, 0).Exit()),
        ["ctx field"] = (BpfProgramType.Xdp, "invalid bpf_context access off=2 size=2", b => b.Load(OpSize.H, Register.R0, Register.R1, 2).Exit()),
        ["modified ctx"] = (BpfProgramType.Xdp, "dereference of modified ctx ptr R1 off=4 disallowed",
            b => b.Add64(Register.R1, 4).Load(OpSize.W, Register.R0, Register.R1, 0).Exit()),
        ["map value overflow"] = (BpfProgramType.Xdp, "invalid access to map value, value_size=16 off=16 size=4", b => b
            .Store(OpSize.W, Register.R10, -4, 0).LoadMapFd(Register.R1, "hash").Mov64(Register.R2, Register.R10).Add64(Register.R2, -4)
            .Call("bpf_map_lookup_elem").JumpIf(JmpOp.Jeq, Register.R0, 0, "out").Load(OpSize.W, Register.R0, Register.R0, 16)
            .Label("out").Mov64(Register.R0, 0).Exit()),
        ["stack out of range"] = (BpfProgramType.Xdp, "invalid write to stack R10 off=-520 size=8",
            b => b.Store(OpSize.DW, Register.R10, -520, 0).Mov64(Register.R0, 0).Exit()),
        ["infinite loop"] = (BpfProgramType.Xdp, "infinite loop detected at insn 1",
            b => b.Mov64(Register.R0, 0).Label("l").Add64(Register.R0, 0).Jump("l")),
    };

    [Fact]
    public void ReportsTheSourceLineAndAHint()
    {
        var path = TestPrograms.Compile("xdp_pass.c");
        var obj = ObjectSpec.Load(path);
        var program = obj.Programs[0];
        // Drop the bounds check's effect by verifying the program as a socket filter, which has no direct packet access.
        program.Type = BpfProgramType.SocketFilter;
        var result = StaticVerifier.Verify(obj, program);
        Assert.True(result.Accepted || result.SourceLine is not null, result.Log);
        Assert.Contains("processed ", result.Log);
    }

    [Fact]
    public void HelperTableNamesMatchTheKernelIds()
    {
        foreach (var p in HelperPrototypes.All)
            Assert.Equal(BpfHelperNames.Name(p.Id), p.Name);
        Assert.Equal(HelperReturn.MapValueOrNull, HelperPrototypes.Get(1)!.Returns);
    }
}
