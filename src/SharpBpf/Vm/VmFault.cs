using SharpBpf.Isa;

namespace SharpBpf.Vm;

/// <summary>
/// A program running in the VM did something that stops it: a load or store outside every region it may touch,
/// a runaway loop that used up the instruction budget, a call stack deeper than 8 frames.
/// Names the instruction (its index and text), and for memory faults the address and size.
/// </summary>
public sealed class VmFault : BpfException
{
    internal VmFault(string reason, int pc, Instruction instruction, ulong address = 0, int size = 0)
        : base($"{reason} at pc {pc}: {VmInstructionText.Format(instruction)}")
    {
        Reason = reason;
        Pc = pc;
        Instruction = instruction;
        Address = address;
        Size = size;
    }

    /// <summary>What went wrong, without the location.</summary>
    public string Reason { get; }
    /// <summary>The index (in 8-byte slots) of the faulting instruction in the program that was running.</summary>
    public int Pc { get; }
    public Instruction Instruction { get; }
    /// <summary>For memory faults: the first byte of the access.</summary>
    public ulong Address { get; }
    /// <summary>For memory faults: the size of the access in bytes.</summary>
    public int Size { get; }
}

/// <summary>A program the VM refuses to load: an invalid instruction, a jump outside the program, a helper it lacks.</summary>
public sealed class VmLoadException : BpfException
{
    public VmLoadException(string message, int pc = -1, Exception? inner = null)
        : base(pc >= 0 ? $"{message} (at instruction {pc})" : message, inner)
    {
        Pc = pc;
    }

    /// <summary>The instruction the problem was found at, or -1.</summary>
    public int Pc { get; }

    /// <summary>The program being loaded when the problem was found, or null.</summary>
    public string? Program { get; init; }
}
