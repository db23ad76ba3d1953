using BenchmarkDotNet.Attributes;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;

/// <summary>
/// Decode + format throughput of both disassembly dialects, per instruction (OperationsPerInvoke), over a
/// deterministic mix of every valid opcode with plausible operands (little-endian bytes).
/// </summary>
[MemoryDiagnoser]
public class DisassemblyBenchmarks
{
    private const int Count = 4096;
    private byte[] _bytes = [];
    private readonly char[] _buffer = new char[256];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var valid = OpcodeTable.All.Where(i => i.IsValid && i.Shape != InstructionShape.LoadImm64).ToArray();
        var slots = new List<Instruction>(Count);
        while (slots.Count < Count)
        {
            if (random.Next(20) == 0 && slots.Count < Count - 1)
            {
                slots.Add(new Instruction(Opcodes.LdDw, (byte)random.Next(10), 0, 0, random.Next()));
                slots.Add(new Instruction(0, 0, 0, 0, random.Next()));
                continue;
            }
            var info = valid[random.Next(valid.Length)];
            int imm = info.Shape switch
            {
                InstructionShape.Endian => 16 << random.Next(3),
                InstructionShape.Exit or InstructionShape.Callx => 0,
                InstructionShape.Atomic => AtomicOp.Add,
                _ => random.Next(-1000, 100000),
            };
            slots.Add(new Instruction(info.Opcode, (byte)random.Next(11), (byte)random.Next(11), (short)random.Next(-512, 512), imm));
        }
        _bytes = Instruction.WriteAll(slots.ToArray());
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int LlvmTryFormat()
    {
        var slots = Instruction.ReadAll(_bytes);
        int total = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            var next = i + 1 < slots.Length ? slots[i + 1] : default;
            LlvmDisassembler.TryFormat(slots[i], next, _buffer, out int n);
            total += n;
            if (slots[i].IsWide)
                i++;
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int LlvmFormatString()
    {
        var slots = Instruction.ReadAll(_bytes);
        int total = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            var next = i + 1 < slots.Length ? slots[i + 1] : default;
            total += LlvmDisassembler.Format(slots[i], next).Length;
            if (slots[i].IsWide)
                i++;
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int KernelTryFormat()
    {
        var slots = Instruction.ReadAll(_bytes);
        int total = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            var next = i + 1 < slots.Length ? slots[i + 1] : default;
            KernelDisassembler.TryFormat(slots[i], next, _buffer, out int n);
            total += n;
            if (slots[i].IsWide)
                i++;
        }
        return total;
    }
}
