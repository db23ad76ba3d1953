using SharpBpf.Isa;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Tests.Verifier;
using SharpBpf.Verifier;
using SharpBpf.Vm;
using SharpBpf.Tests.Vm.Jit;

namespace SharpBpf.Tests.Vm;

/// <summary><see cref="VmOptions.VerifyBeforeLoad"/>: the VM refuses what the static verifier rejects, in the kernel's words.</summary>
public class VerifiedLoadTests
{
    private const string Parser = """
        #include <linux/bpf.h>
        #include <bpf/bpf_helpers.h>

        SEC("xdp")
        int parse(struct xdp_md *ctx)
        {
            unsigned char *data = (void *)(long)ctx->data;
            unsigned char *data_end = (void *)(long)ctx->data_end;
            if (data + 14 > data_end)
                return XDP_PASS;
            return data[CHECKED_BYTE] == 0x45 ? XDP_DROP : XDP_PASS;
        }

        char LICENSE[] SEC("license") = "GPL";
        """;

    private static ObjectSpec CompileParser(int checkedByte)
    {
        var dir = Directory.CreateTempSubdirectory("sharpbpf-verified-load-");
        try
        {
            var source = Path.Combine(dir.FullName, $"parser_byte{checkedByte}.c");
            File.WriteAllText(source, Parser.Replace("CHECKED_BYTE", checkedByte.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return ObjectSpec.Load(TestPrograms.Compile(source));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AnObjectWithAMissingBoundsCheckIsRefusedWithTheKernelsWordsTheSourceLineAndAHint()
    {
        using var engine = new VmEngine();
        var outOfBounds = CompileParser(checkedByte: 14);
        var e = Assert.Throws<BpfStaticVerifierException>(() => engine.Load(outOfBounds));
        Assert.StartsWith("invalid access to packet, off=14 size=1", e.Result.Error);
        Assert.Contains("parser_byte14.c:", e.Result.SourceLine);
        Assert.Contains("data[14] == 0x45", e.Result.SourceLine);
        Assert.Contains("program 'parse': the static verifier rejected it: invalid access to packet", e.Message);
        Assert.Contains("hint: check the packet is long enough", e.Message);
        Assert.Contains("processed ", e.Result.Log);

        // The same program with the byte inside the check loads and runs; without verification the bad one loads and
        // the runtime check catches the read past data_end.
        var good = engine.Load(CompileParser(checkedByte: 13)).Program("parse");
        var packet = new byte[14];
        packet[13] = 0x45;
        Assert.Equal(1UL, good.Run(packet).ReturnValue); // XDP_DROP
        using var unverified = new VmEngine(new VmOptions { VerifyBeforeLoad = false });
        var bad = unverified.Load(CompileParser(checkedByte: 14)).Program("parse"); // a fresh spec: a load consumes it
        Assert.Throws<VmFault>(() => bad.Run(packet));
    }

    [Fact]
    public void RawInstructionsAreVerifiedAsTheirProgramType()
    {
        using var engine = new VmEngine();
        Instruction[] readsR2 = [new(0xbf, 0, 2, 0, 0), new(Opcodes.Exit, 0, 0, 0, 0)]; // r0 = r2
        var e = Assert.Throws<BpfStaticVerifierException>(() => engine.LoadProgram(readsR2, BpfProgramType.Xdp));
        Assert.Equal("R2 !read_ok", e.Result.Error);
        Assert.Equal(0, e.Result.ErrorInstruction);
        Assert.Contains("(insn 0)", e.Message);
    }

    /// <summary>
    /// The VM's safety under the verifier: adversarial programs (the verifier's generated corpus of right and wrong bounds
    /// checks, null checks, pointer arithmetic, uninitialised reads, loops; the JIT's random programs) either fail
    /// verification or run without any fault, on the interpreter and on the JIT (which drops the checks the verifier
    /// proved unnecessary), on packets of every length from empty to longer than every check.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdversarialProgramsFailVerificationOrRunWithoutAnyFault(bool jit)
    {
        using var verifying = new VmEngine(new VmOptions { UseJit = jit });
        using var unverified = new VmEngine(new VmOptions { UseJit = jit, VerifyBeforeLoad = false });
        var verifyingMaps = GeneratedPrograms.Maps.ToDictionary(m => m.Name, verifying.CreateMap);
        var unverifiedMaps = GeneratedPrograms.Maps.ToDictionary(m => m.Name, unverified.CreateMap);
        int accepted = 0, rejected = 0, rejectedThatFault = 0;
        var faults = new List<string>();
        for (int seed = 0; seed < 1500; seed++)
        {
            var p = GeneratedPrograms.Generate(seed);
            VmProgram program;
            try
            {
                program = verifying.LoadProgram(p.ForVm(verifying, verifyingMaps), p.Type, "gen" + seed);
                accepted++;
            }
            catch (BpfStaticVerifierException)
            {
                rejected++;
                var withoutVerifying = unverified.LoadProgram(p.ForVm(unverified, unverifiedMaps), p.Type, "gen" + seed);
                if (Packets().Any(packet => Faults(withoutVerifying, packet) is not null))
                    rejectedThatFault++;
                continue;
            }
            foreach (var packet in Packets())
                if (Faults(program, packet) is { } fault)
                    faults.Add($"seed {seed} [{p.Description}], {packet.Length}-byte packet: {fault}");
        }
        Assert.True(faults.Count == 0, string.Join('\n', faults.Take(20)));
        // not vacuous: both verdicts occur, and some refused programs do fault when they run unverified
        Assert.True(accepted > 300 && rejected > 300 && rejectedThatFault > 50,
            $"accepted {accepted}, rejected {rejected}, of which fault unverified {rejectedThatFault}");

        // The JIT's random programs (raw memory, forged pointers): whichever verify run without fault.
        var randomMaps = RandomProgramGenerator.CreateMaps(verifying);
        var memory = new byte[RandomProgramGenerator.MemorySize];
        for (int seed = 0; seed < 3000; seed++)
        {
            VmProgram program;
            try
            {
                program = verifying.LoadProgram(RandomProgramGenerator.Generate(seed), name: "random" + seed, maps: randomMaps);
            }
            catch (BpfStaticVerifierException)
            {
                continue;
            }
            new Random(seed).NextBytes(memory);
            try
            {
                program.RunOnMemory(memory);
            }
            catch (VmFault f)
            {
                faults.Add($"random seed {seed}: {f.Message}");
            }
        }
        Assert.True(faults.Count == 0, string.Join('\n', faults.Take(20)));
    }

    private static IEnumerable<byte[]> Packets()
    {
        var random = new Random(7);
        foreach (int length in new[] { 14, 15, 33, 34, 35, 54, 64, 100 })
        {
            var packet = new byte[length];
            random.NextBytes(packet);
            yield return packet;
        }
    }

    private static string? Faults(VmProgram program, byte[] packet)
    {
        try
        {
            program.Run(packet);
            return null;
        }
        catch (VmFault f)
        {
            return f.Message;
        }
    }
}
