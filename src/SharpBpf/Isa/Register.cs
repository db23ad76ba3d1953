namespace SharpBpf.Isa;

/// <summary>The eleven BPF registers: r0 return value, r1-r5 arguments, r6-r9 callee-saved, r10 read-only frame pointer.</summary>
public enum Register : byte
{
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10,
}
