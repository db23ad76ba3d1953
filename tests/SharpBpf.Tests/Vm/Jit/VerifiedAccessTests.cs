using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Objects;
using SharpBpf.Tests.Verifier;
using SharpBpf.Verifier;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm.Jit;

/// <summary>The JIT drops the bounds checks the static verifier proved unnecessary (<see cref="VmCode.Verified"/>) and keeps
/// the others; verified or not, compiled code behaves as the interpreter does.</summary>
public class VerifiedAccessTests
{
    // A packet check, two packet loads, a stack pointer carried across blocks, a map value after a null check.
    private const string Parser = """
        ldxw %r2, [%r1+0]
        ldxw %r3, [%r1+4]
        mov %r7, %r10
        add %r7, -16
        mov %r4, %r2
        add %r4, 34
        mov %r0, 1
        jgt %r4, %r3, out
        ldxb %r8, [%r2+12]
        ldxb %r6, [%r2+13]
        lsh %r8, 8
        or %r8, %r6
        stxdw [%r7+0], %r8
        stw [%r10-4], 0
        mov %r2, %r10
        add %r2, -4
        lddw %r1, 0
        call 1
        jeq %r0, 0, out
        ldxdw %r1, [%r0+0]
        add %r1, %r8
        stxdw [%r0+0], %r1
        mov %r0, %r1
        out:
        exit
        """;

    private const int MapLoadPc = 16;

    private static VmProgram Load(VmEngine engine)
    {
        var map = engine.CreateMap(new MapSpec { Name = "counts", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        var insns = Assembler.Assemble(Parser);
        insns[MapLoadPc] = insns[MapLoadPc].WithSrc(PseudoSource.MapFd).WithImm(engine.IdOf(map));
        return engine.LoadProgram(insns, BpfProgramType.Xdp);
    }

    private static string Outcome(Func<ulong> run)
    {
        try
        {
            return run().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (VmFault f)
        {
            return f.Message;
        }
    }

    [Fact]
    public void ProvenAccessesCompileWithoutChecksAndBehaveAsInTheInterpreter()
    {
        using var verified = new VmEngine(new VmOptions { UseJit = true });
        using var unverified = new VmEngine(new VmOptions { UseJit = true, VerifyBeforeLoad = false });
        using var interpreter = new VmEngine(new VmOptions { UseJit = false, VerifyBeforeLoad = false });
        var programs = new[] { Load(verified), Load(unverified), Load(interpreter) };
        Assert.NotNull(programs[0].Code.Verified);
        Assert.Null(programs[1].Code.Verified);
        for (int length = 14; length <= 40; length++)
        {
            var packet = Enumerable.Range(0, length).Select(i => (byte)(i * 37)).ToArray();
            var outcomes = programs.Select(p => Outcome(() => p.Run(packet).ReturnValue)).ToArray();
            Assert.True(outcomes.Distinct().Count() == 1, $"{length}-byte packet: {string.Join(" | ", outcomes)}");
        }
        int verifiedChecks = programs[0].Code.Jit!.BoundsChecks, uncheckedChecks = programs[1].Code.Jit!.BoundsChecks;
        // Verified: only the two context loads keep theirs (the VM translates context fields); unverified, the stack
        // pointer in another block and both map value accesses are checked too (its own packet proofs cover the packet).
        Assert.Equal(2, verifiedChecks);
        Assert.Equal(5, uncheckedChecks);

        // Run on raw memory, the context the proofs assume is missing: compiled code hands the run to the interpreter.
        var memory = new byte[64];
        BitConverter.GetBytes(0x1000u).CopyTo(memory, 0);
        BitConverter.GetBytes(0x2000u).CopyTo(memory, 4);
        var raw = programs.Select(p => Outcome(() => p.RunOnMemory((byte[])memory.Clone()))).ToArray();
        Assert.True(raw.Distinct().Count() == 1, string.Join(" | ", raw));
        Assert.Contains("pc 8", raw[0]);
    }

    [Fact]
    public void AnAccessTheVerifierCouldNotProveSafeKeepsItsCheck()
    {
        // A context read: the VM translates context fields, so whatever the verifier proves, the access keeps its check.
        using var engine = new VmEngine(new VmOptions { UseJit = true });
        var program = engine.LoadProgram(Assembler.Assemble("ldxw %r0, [%r1+16]\nexit"), BpfProgramType.Xdp);
        program.Run(new byte[14]);
        Assert.Equal(1, program.Code.Jit!.BoundsChecks);
        Assert.Equal(VerifiedFacts.Access.Other, program.Code.Verified!.At(0));
    }

    /// <summary>The verifier's generated corpus: every program it accepts gives the same result on the JIT without the
    /// proven checks as in the interpreter, on packets of every length, maps included.</summary>
    [Fact]
    public void JitWithProofsAgreesWithTheInterpreterOnGeneratedPrograms()
    {
        using var jit = new VmEngine(new VmOptions { UseJit = true, RandomSeed = 3 });
        using var interpreter = new VmEngine(new VmOptions { UseJit = false, RandomSeed = 3 });
        var engines = new[] { jit, interpreter };
        var maps = engines.Select(e => GeneratedPrograms.Maps.ToDictionary(m => m.Name, e.CreateMap)).ToArray();
        int compared = 0, withoutChecks = 0;
        for (int seed = 0; seed < 1500; seed++)
        {
            var p = GeneratedPrograms.Generate(seed);
            VmProgram[] programs;
            try
            {
                programs = [.. engines.Select((e, k) => e.LoadProgram(p.ForVm(e, maps[k]), p.Type, "gen" + seed))];
            }
            catch (BpfStaticVerifierException)
            {
                continue;
            }
            foreach (int length in new[] { 14, 15, 33, 34, 64 })
            {
                var packet = Enumerable.Range(0, length).Select(i => (byte)(i * 11 + seed)).ToArray();
                var outcomes = programs.Select(x => Outcome(() => x.Run(packet).ReturnValue)).ToArray();
                Assert.True(outcomes[0] == outcomes[1], $"seed {seed} [{p.Description}], {length} bytes: jit {outcomes[0]}, interpreter {outcomes[1]}");
            }
            compared++;
            if (programs[0].Code.Jit?.Entry is not null && Enumerable.Range(0, p.Instructions.Length).Any(pc =>
                    programs[0].Code.Verified!.At(pc) is VerifiedFacts.Access.Packet or VerifiedFacts.Access.MapValue))
                withoutChecks++;
        }
        Assert.True(compared > 300 && withoutChecks > 100, $"compared {compared}, with proven packet or map accesses {withoutChecks}");
    }
}
