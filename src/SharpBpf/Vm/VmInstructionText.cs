using SharpBpf.Isa;

namespace SharpBpf.Vm;

/// <summary>Plain text for an instruction in fault messages, in the conformance assembler's spelling.</summary>
internal static class VmInstructionText
{
    public static string Format(Instruction insn)
    {
        var info = insn.Info;
        string src = info.UsesRegisterSource ? $"%r{insn.Src}" : insn.Imm.ToString();
        string size = info.Width switch { 1 => "b", 2 => "h", 4 => "w", 8 => "dw", _ => "" };
        string mem(byte reg) => insn.Offset >= 0 ? $"[%r{reg}+{insn.Offset}]" : $"[%r{reg}{insn.Offset}]";
        return info.Shape switch
        {
            InstructionShape.Alu => $"{info.Mnemonic} %r{insn.Dst}, {src}",
            InstructionShape.Neg => $"{info.Mnemonic} %r{insn.Dst}",
            InstructionShape.Endian => $"{info.Mnemonic}{insn.Imm} %r{insn.Dst}",
            InstructionShape.CondJump => $"{info.Mnemonic} %r{insn.Dst}, {src}, {insn.Offset:+0;-0}",
            InstructionShape.Ja => insn.Opcode == Opcodes.Ja32 ? $"ja32 {insn.Imm:+0;-0}" : $"ja {insn.Offset:+0;-0}",
            InstructionShape.Call => insn.Src switch
            {
                PseudoSource.Call => $"call local {insn.Imm:+0;-0}",
                PseudoSource.KfuncCall => $"call kfunc {insn.Imm}",
                _ => BpfHelperNames.Name(insn.Imm) is { } name ? $"call {insn.Imm} ({name})" : $"call {insn.Imm}",
            },
            InstructionShape.Callx => $"call %r{insn.Dst}",
            InstructionShape.Exit => "exit",
            InstructionShape.LoadImm64 => $"lddw %r{insn.Dst}, src={insn.Src} imm={insn.Imm}",
            InstructionShape.LoadPacket => info.Mnemonic.StartsWith("ldind", StringComparison.Ordinal)
                ? $"{info.Mnemonic} %r{insn.Src}, {insn.Imm}" : $"{info.Mnemonic} {insn.Imm}",
            InstructionShape.Load => $"{info.Mnemonic} %r{insn.Dst}, {mem(insn.Src)}",
            InstructionShape.StoreImm => $"{info.Mnemonic} {mem(insn.Dst)}, {insn.Imm}",
            InstructionShape.StoreReg => $"{info.Mnemonic} {mem(insn.Dst)}, %r{insn.Src}",
            InstructionShape.Atomic => $"lock {AtomicName(insn.Imm)}{size} {mem(insn.Dst)}, %r{insn.Src}",
            _ => $"invalid opcode 0x{insn.Opcode:x2} {insn}",
        };
    }

    private static string AtomicName(int imm) => imm switch
    {
        AtomicOp.Add => "add",
        AtomicOp.Or => "or",
        AtomicOp.And => "and",
        AtomicOp.Xor => "xor",
        AtomicOp.Add | AtomicOp.Fetch => "fetch_add",
        AtomicOp.Or | AtomicOp.Fetch => "fetch_or",
        AtomicOp.And | AtomicOp.Fetch => "fetch_and",
        AtomicOp.Xor | AtomicOp.Fetch => "fetch_xor",
        AtomicOp.Xchg => "xchg",
        AtomicOp.CmpXchg => "cmpxchg",
        VmAtomic.LoadAcquire => "load_acquire",
        VmAtomic.StoreRelease => "store_release",
        _ => $"op{imm:x}",
    };
}
