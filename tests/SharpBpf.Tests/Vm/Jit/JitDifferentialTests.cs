using System.Runtime.InteropServices;
using System.Text;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Jit;

namespace SharpBpf.Tests.Vm.Jit;

/// <summary>
/// Interpreter against JIT on 100,000 seeded random programs (<see cref="RandomProgramGenerator"/>): the same r0, the same
/// memory and stack afterwards, the same fault (pc, message, address). Budgets are small and vary, so runs stop at every
/// possible instruction, including in the middle of a compiled block. To keep RyuJIT's fixed cost per method down, most
/// programs are compiled <see cref="PerUnit"/> to a method: laid end to end in one program whose head takes each one's
/// address (<c>ld_imm64 src=4</c>), which makes each an entry of the compiled code; each is then run alone from its entry.
/// One batch compiles every program on its own, as programs are normally compiled.
/// </summary>
public class JitDifferentialTests
{
    private const int Batches = 50, PerBatch = 2000, PerUnit = 8;

    public static TheoryData<int> BatchNumbers()
    {
        var data = new TheoryData<int>();
        for (int b = 0; b < Batches; b++)
            data.Add(b);
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchNumbers))]
    public void JitAndInterpreterAgreeOnRandomPrograms(int batch) => RunBatch(batch, batch == 0 ? 1 : PerUnit);

    [Fact]
    public void TheGeneratorIsDeterministicAndMakesLoadablePrograms()
    {
        Assert.Equal(RandomProgramGenerator.Generate(42), RandomProgramGenerator.Generate(42));
        using var engine = new VmEngine(new VmOptions { VerifyBeforeLoad = false });
        var maps = RandomProgramGenerator.CreateMaps(engine);
        for (int seed = 0; seed < 200; seed++)
            engine.LoadProgram(RandomProgramGenerator.Generate(seed), maps: maps);
    }

    private static void RunBatch(int batch, int perUnit)
    {
        int faults = 0, budgetFaults = 0;
        using var engine = new VmEngine(new VmOptions { UseJit = true, CpuCount = 2, CurrentCpu = 1, VerifyBeforeLoad = false });
        var maps = RandomProgramGenerator.CreateMaps(engine);
        var memory = new byte[RandomProgramGenerator.MemorySize];
        for (int first = batch * PerBatch; first < (batch + 1) * PerBatch; first += perUnit)
        {
            var programs = Enumerable.Range(first, perUnit).Select(RandomProgramGenerator.Generate).ToArray();
            var (unit, entries) = Pack(programs);
            var program = engine.LoadProgram(unit, name: $"random{first}", maps: maps);
            for (int k = 0; k < perUnit; k++)
            {
                int seed = first + k;
                long budget = (seed % 4) switch { 0 => 1 + seed % 97, 1 => 50 + seed % 500, _ => 20_000 };
                new Random(~seed).NextBytes(memory);
                FillMaps(maps, seed); // the same contents for both engines, new ones for every program (updates between runs)
                var expected = Outcome.Of(program, entries[k], budget, memory, jit: false, maps);
                FillMaps(maps, seed);
                var actual = Outcome.Of(program, entries[k], budget, memory, jit: true, maps);
                if (program.Code.Jit?.Error is { } error)
                    Assert.Fail(Describe(seed, programs[k], entries[k], $"the JIT failed to compile: {error}"));
                if (!expected.SameAs(actual))
                    Assert.Fail(Describe(seed, programs[k], entries[k], $"interpreter: {expected}\nJIT:         {actual}"));
                if (expected.Fault is not null)
                {
                    faults++;
                    if (expected.Fault.Reason.Contains("budget"))
                        budgetFaults++;
                }
            }
        }
        Assert.InRange(faults, PerBatch / 20, PerBatch * 19 / 20);
        Assert.InRange(budgetFaults, 1, faults);
    }

    /// <summary>Seeded contents: every array element on every CPU, and some of the hash map's keys (others stay absent: null results).</summary>
    private static void FillMaps(IVmMap[] maps, int seed)
    {
        var rnd = new Random(seed);
        foreach (var map in maps)
        {
            for (uint key = 0; key < RandomProgramGenerator.MapEntries; key++)
            {
                var value = new byte[map.UserValueSize];
                rnd.NextBytes(value);
                if (map.Type != BpfMapType.Hash)
                    map.Update(BitConverter.GetBytes(key), value);
                else if (rnd.Next(2) == 0)
                    map.Update(BitConverter.GetBytes(key), value);
                else
                    map.Delete(BitConverter.GetBytes(key));
            }
        }
    }

    /// <summary>One program: a head that takes every program's address (so each is an entry), then the programs.</summary>
    private static (Instruction[] Unit, int[] Entries) Pack(Instruction[][] programs)
    {
        if (programs.Length == 1)
            return (programs[0], [0]);
        int head = 2 * programs.Length + 1;
        var unit = new List<Instruction>();
        var entries = new int[programs.Length];
        int at = head;
        for (int k = 0; k < programs.Length; k++)
        {
            entries[k] = at;
            unit.Add(new Instruction(Opcodes.LdDw, 0, PseudoSource.Func, 0, at - (unit.Count + 1)));
            unit.Add(default);
            at += programs[k].Length;
        }
        unit.Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));
        foreach (var p in programs)
            unit.AddRange(p);
        return ([.. unit], entries);
    }

    private static string Describe(int seed, Instruction[] insns, int entry, string difference)
    {
        var text = new StringBuilder($"seed {seed} (pcs below are relative to its entry {entry}): {difference}\n");
        using var writer = new StringWriter(text);
        LlvmDisassembler.WriteListing(writer, insns);
        return text.ToString();
    }

    /// <summary>What one run did: r0 or the fault, and the memory and stack afterwards.</summary>
    private sealed record Outcome(ulong R0, VmFault? Fault, byte[] Memory, byte[] Stack, string Maps)
    {
        /// <summary>Runs from <paramref name="entry"/> as a program's run would, on the engine's (single, reused) context,
        /// so both engines see the same stack and memory addresses.</summary>
        public static unsafe Outcome Of(VmProgram program, int entry, long budget, byte[] input, bool jit, IVmMap[] maps)
        {
            var cx = program.Engine.Rent();
            try
            {
                cx.Reset(program);
                cx.Budget = budget;
                NativeMemory.Clear(cx.Stack, VmCallContext.StackSize);
                cx.SetRawMemory(input);
                ulong* r = stackalloc ulong[11];
                r[1] = (ulong)cx.RawBuffer;
                r[2] = (ulong)input.Length;
                r[10] = cx.StackTop;
                ulong r0 = 0;
                VmFault? fault = null;
                try
                {
                    r0 = jit
                        ? JitExecutor.Execute(cx, program.Code, entry, 0, 0, r)
                        : Interpreter.Execute(cx, program.Code, entry, 0, 0, r);
                }
                catch (VmFault e)
                {
                    fault = e;
                }
                return new Outcome(r0, fault, new ReadOnlySpan<byte>(cx.RawBuffer, input.Length).ToArray(),
                    new ReadOnlySpan<byte>(cx.Stack, VmCallContext.StackSize).ToArray(), MapsText(maps));
            }
            finally
            {
                cx.ReleaseLocks();
                program.Engine.Return(cx);
            }
        }

        private static string MapsText(IVmMap[] maps) => string.Join(";", maps.Select(m =>
            string.Join(",", Enumerable.Range(0, RandomProgramGenerator.MapEntries).Select(key =>
            {
                var value = new byte[m.UserValueSize];
                return m.TryLookup(BitConverter.GetBytes(key), value) ? Convert.ToHexString(value) : "-";
            }))));

        public bool SameAs(Outcome other) =>
            R0 == other.R0 && Maps == other.Maps && Memory.AsSpan().SequenceEqual(other.Memory) && Stack.AsSpan().SequenceEqual(other.Stack)
            && (Fault is null) == (other.Fault is null)
            && (Fault is null || (Fault.Pc == other.Fault!.Pc && Fault.Message == other.Fault.Message && Fault.Address == other.Fault.Address));

        public override string ToString()
        {
            string result = Fault is null ? $"r0 = 0x{R0:x}" : $"fault: {Fault.Message}";
            return $"{result}; memory {Convert.ToHexString(Memory)}; stack bytes differing from zero: {Stack.Count(b => b != 0)}";
        }
    }
}
