using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Objects;

namespace SharpBpf.Tests.Verifier;

/// <summary>A small generated program: what it does (the snippets it is made of), its type and instructions.</summary>
public sealed record GeneratedProgram(int Seed, string Description, BpfProgramType Type, Instruction[] Instructions, IReadOnlyList<MapLoad> MapLoads);

/// <summary>
/// A seeded generator of small XDP, tc and socket-filter programs in the shapes clang emits and the mistakes people
/// make: packet bounds checks right, wrong and off by one, null checks present and missing, pointer arithmetic on every
/// pointer kind, stack reads before writes, bounded and unbounded loops, helper calls with wrong argument types.
/// </summary>
public static class GeneratedPrograms
{
    /// <summary>The maps generated programs use, by name.</summary>
    public static IReadOnlyList<MapSpec> Maps { get; } =
    [
        new() { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 16, MaxEntries = 64 },
        new() { Name = "array", Type = BpfMapType.Array, KeySize = 4, ValueSize = 64, MaxEntries = 8 },
        new() { Name = "rb", Type = BpfMapType.Ringbuf, KeySize = 0, ValueSize = 0, MaxEntries = 4096 },
        new() { Name = "progs", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 4 },
    ];

    private static readonly BpfProgramType[] Types = [BpfProgramType.Xdp, BpfProgramType.SchedCls, BpfProgramType.SocketFilter];

    private delegate string Snippet(ProgramBuilder b, Random rnd, BpfProgramType type);

    private static readonly Snippet[] Snippets = [PacketAccess, MapLookup, StackAccess, PointerArithmetic, Loop, HelperCall, ScalarIndex, Ringbuf, ContextAccess, UninitRegister];

    /// <summary>The instructions of <paramref name="p"/> for a <see cref="SharpBpf.Vm.VmEngine"/>: map loads refer to the engine's ids of <paramref name="maps"/>.</summary>
    public static Instruction[] ForVm(this GeneratedProgram p, SharpBpf.Vm.VmEngine engine, IReadOnlyDictionary<string, SharpBpf.Vm.IVmMap> maps)
    {
        var insns = (Instruction[])p.Instructions.Clone();
        foreach (var load in p.MapLoads)
            insns[load.InstructionIndex] = insns[load.InstructionIndex].WithSrc(PseudoSource.MapFd).WithImm(engine.IdOf(maps[load.MapName]));
        return insns;
    }

    public static GeneratedProgram Generate(int seed)
    {
        var rnd = new Random(seed);
        var type = Types[rnd.Next(Types.Length)];
        var b = new ProgramBuilder();
        var parts = new List<string>();
        b.Mov64(Register.R6, Register.R1);
        int count = 1 + rnd.Next(2);
        for (int k = 0; k < count; k++)
            parts.Add(Snippets[rnd.Next(Snippets.Length)](b, rnd, type));
        b.Label("out");
        if (rnd.Next(40) != 0)
            b.Mov64(Register.R0, rnd.Next(3));
        else
            parts.Add("no r0");
        b.Exit();
        return new GeneratedProgram(seed, $"{type}: {string.Join("; ", parts)}", type, b.Build(), b.MapLoads);
    }

    private static readonly JmpOp[] Unsigned = [JmpOp.Jgt, JmpOp.Jge, JmpOp.Jlt, JmpOp.Jle];

    /// <summary>data + N compared with data_end (any operator, either order, sometimes wrong), then a load at data + off.</summary>
    private static string PacketAccess(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        bool xdp = type == BpfProgramType.Xdp;
        b.Load(OpSize.W, Register.R2, Register.R6, (short)(xdp ? 0 : 76));
        b.Load(OpSize.W, Register.R3, Register.R6, (short)(xdp ? 4 : 80));
        int n = rnd.Next(1, 64);
        b.Mov64(Register.R4, Register.R2).Add64(Register.R4, n);
        var op = Unsigned[rnd.Next(4)];
        bool swap = rnd.Next(2) == 0;
        int mode = rnd.Next(6); // 0: no check
        if (mode != 0)
        {
            // The jump leaves on "too short": pkt > end, pkt >= end (off by one), end < pkt...
            if (swap) b.JumpIf(Flip(op), Register.R3, Register.R4, "out");
            else b.JumpIf(op, Register.R4, Register.R3, "out");
        }
        var size = new[] { OpSize.B, OpSize.H, OpSize.W, OpSize.DW }[rnd.Next(4)];
        int bytes = size switch { OpSize.B => 1, OpSize.H => 2, OpSize.W => 4, _ => 8 };
        int off = Math.Max(0, n - bytes + rnd.Next(-2, 3));
        bool write = rnd.Next(4) == 0;
        if (write) b.Store(size, Register.R2, (short)off, Register.R3);
        else b.Load(size, Register.R5, Register.R2, (short)off);
        return $"pkt n={n} {(mode == 0 ? "unchecked" : $"{(swap ? "end " + Flip(op) + " pkt" : "pkt " + op + " end")}")} {(write ? "write" : "read")} off={off} size={bytes}";
    }

    private static JmpOp Flip(JmpOp op) => op switch { JmpOp.Jgt => JmpOp.Jlt, JmpOp.Jlt => JmpOp.Jgt, JmpOp.Jge => JmpOp.Jle, _ => JmpOp.Jge };

    /// <summary>A lookup with the key on the stack, a null check or not, then an access at an offset of the value.</summary>
    private static string MapLookup(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        bool array = rnd.Next(2) == 0;
        int valueSize = array ? 64 : 16;
        if (rnd.Next(5) != 0) b.Store(OpSize.W, Register.R10, -4, rnd.Next(8));
        b.LoadMapFd(Register.R1, array ? "array" : "hash");
        b.Mov64(Register.R2, Register.R10).Add64(Register.R2, rnd.Next(6) == 0 ? -2 : -4);
        b.Call("bpf_map_lookup_elem");
        bool check = rnd.Next(4) != 0;
        if (check) b.JumpIf(JmpOp.Jeq, Register.R0, 0, "out");
        int size = rnd.Next(2) == 0 ? 8 : 4;
        int off = rnd.Next(3) == 0 ? valueSize - size + rnd.Next(0, 3) : rnd.Next(0, valueSize / size) * size;
        if (rnd.Next(3) == 0) b.Store(size == 8 ? OpSize.DW : OpSize.W, Register.R0, (short)off, Register.R6);
        else b.Load(size == 8 ? OpSize.DW : OpSize.W, Register.R1, Register.R0, (short)off);
        return $"lookup {(array ? "array" : "hash")} {(check ? "checked" : "unchecked")} off={off} size={size}";
    }

    /// <summary>Stack stores and loads: in range or not, aligned or not, read before write, spills of pointers.</summary>
    private static string StackAccess(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        int off = -8 * rnd.Next(1, 66) + (rnd.Next(6) == 0 ? rnd.Next(1, 8) : 0);
        var size = rnd.Next(2) == 0 ? OpSize.DW : OpSize.W;
        string what;
        switch (rnd.Next(4))
        {
            case 0:
                b.Load(size, Register.R1, Register.R10, (short)off);
                what = "read before write";
                break;
            case 1:
                b.Store(size, Register.R10, (short)off, Register.R6);
                b.Load(size, Register.R1, Register.R10, (short)off);
                b.Load(OpSize.W, Register.R2, Register.R1, 0);
                what = "spill ctx, fill, deref";
                break;
            case 2:
                b.Store(size, Register.R10, (short)off, rnd.Next(100));
                b.Load(size, Register.R1, Register.R10, (short)off);
                what = "write then read";
                break;
            default:
                b.Store(OpSize.DW, Register.R10, (short)off, Register.R6);
                b.Store(OpSize.W, Register.R10, (short)off, 7);
                b.Load(OpSize.DW, Register.R1, Register.R10, (short)off);
                b.Load(OpSize.W, Register.R2, Register.R1, 0);
                what = "spill ctx, overwrite half, deref";
                break;
        }
        return $"stack {what} off={off} size={(size == OpSize.DW ? 8 : 4)}";
    }

    /// <summary>Arithmetic on a pointer of each kind, then a dereference.</summary>
    private static string PointerArithmetic(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        int k = rnd.Next(6);
        int delta = new[] { 0, 1, 4, 8, -8 }[rnd.Next(5)];
        switch (k)
        {
            case 0:
                b.Mov64(Register.R1, Register.R6).Add64(Register.R1, delta).Load(OpSize.W, Register.R2, Register.R1, 0);
                return $"ctx += {delta}, load";
            case 1:
                b.Load(OpSize.W, Register.R3, Register.R6, (short)(type == BpfProgramType.Xdp ? 4 : 80));
                b.Add64(Register.R3, delta).Mov64(Register.R0, Register.R3);
                return $"pkt_end += {delta}";
            case 2:
                b.LoadMapFd(Register.R1, "hash").Add64(Register.R1, delta);
                b.Mov64(Register.R2, Register.R10).Add64(Register.R2, -8).Store(OpSize.DW, Register.R2, 0, 0);
                b.Call("bpf_map_lookup_elem");
                return $"map_ptr += {delta}, lookup";
            case 3:
                b.Call("bpf_get_prandom_u32");
                b.Alu64(AluOp.And, Register.R0, rnd.Next(2) == 0 ? 0x1f8 : 0x3f8);
                b.Mov64(Register.R1, Register.R10).Add64(Register.R1, -512).Add64(Register.R1, Register.R0);
                b.Store(OpSize.DW, Register.R1, 0, 1);
                return "fp - 512 + (rand & mask), store";
            case 4:
                b.Mov64(Register.R1, Register.R6).Alu64(AluOp.And, Register.R1, -8);
                return "ctx &= -8";
            default:
                b.Mov64(Register.R1, Register.R10).Alu32(AluOp.Add, Register.R1, 8);
                return "32-bit arithmetic on fp";
        }
    }

    /// <summary>A counting loop: bounded, unbounded, or one that makes no progress.</summary>
    private static string Loop(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        string label = "loop" + rnd.Next(1_000_000);
        int k = rnd.Next(4);
        int bound = rnd.Next(1, 40);
        b.Mov64(Register.R7, 0);
        b.Label(label);
        switch (k)
        {
            case 0:
                b.Add64(Register.R7, 1).JumpIf(JmpOp.Jlt, Register.R7, bound, label);
                return $"loop to {bound}";
            case 1:
                b.Add64(Register.R7, 1).JumpIf(JmpOp.Jle, Register.R7, bound, label);
                return $"loop to {bound} inclusive";
            case 2:
                b.Add64(Register.R7, 0).JumpIf(JmpOp.Jlt, Register.R7, bound, label);
                return "loop without progress";
            default:
                b.Add64(Register.R7, 2).JumpIf(JmpOp.Jne, Register.R7, bound, label);
                return $"loop by 2 until == {bound}";
        }
    }

    /// <summary>Helpers called with the right and wrong argument types and sizes.</summary>
    private static string HelperCall(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        switch (rnd.Next(6))
        {
            case 0:
                b.Mov64(Register.R1, 1).Mov64(Register.R2, Register.R10).Add64(Register.R2, -8).Call("bpf_map_lookup_elem");
                return "lookup with a scalar map";
            case 1:
                b.LoadMapFd(Register.R1, "hash").Mov64(Register.R2, 0).Call("bpf_map_lookup_elem");
                return "lookup with a NULL key";
            case 2:
            {
                int size = rnd.Next(0, 3) * 8;
                b.Store(OpSize.DW, Register.R10, -8, 0x25);
                b.Mov64(Register.R1, Register.R10).Add64(Register.R1, -8).Mov64(Register.R2, size).Call("bpf_trace_printk");
                return $"trace_printk size={size}";
            }
            case 3:
                b.Call("bpf_get_prandom_u32");
                b.Mov64(Register.R2, Register.R0).Mov64(Register.R1, Register.R10).Add64(Register.R1, -16);
                if (rnd.Next(2) == 0) b.Alu64(AluOp.And, Register.R2, 15);
                b.Call("bpf_trace_printk");
                return "trace_printk with a random size";
            case 4:
                b.Mov64(Register.R1, Register.R6).LoadMapFd(Register.R2, rnd.Next(2) == 0 ? "progs" : "hash").Mov64(Register.R3, 0).Call("bpf_tail_call");
                return "tail call";
            default:
                b.LoadMapFd(Register.R1, "array").Mov64(Register.R2, Register.R10).Add64(Register.R2, -4)
                    .Mov64(Register.R3, Register.R10).Add64(Register.R3, rnd.Next(2) == 0 ? -64 : -72).Mov64(Register.R4, 0).Call("bpf_map_update_elem");
                return "update with the value on the stack";
        }
    }

    /// <summary>A value from a map or the packet used as an index into a map value, bounded or not.</summary>
    private static string ScalarIndex(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        b.Store(OpSize.W, Register.R10, -4, 0);
        b.LoadMapFd(Register.R1, "array").Mov64(Register.R2, Register.R10).Add64(Register.R2, -4).Call("bpf_map_lookup_elem");
        b.JumpIf(JmpOp.Jeq, Register.R0, 0, "out");
        b.Load(OpSize.DW, Register.R1, Register.R0, 0);
        int k = rnd.Next(5);
        string how;
        switch (k)
        {
            case 0: b.Alu64(AluOp.And, Register.R1, 63); how = "& 63"; break;
            case 1: b.Alu64(AluOp.And, Register.R1, 60); how = "& 60"; break;
            case 2: b.JumpIf(JmpOp.Jgt, Register.R1, 56, "out"); how = "> 56 leaves"; break;
            case 3: b.JumpIf(JmpOp.Jge, Register.R1, 61, "out"); how = ">= 61 leaves"; break;
            default: how = "unbounded"; break;
        }
        b.Add64(Register.R0, Register.R1);
        b.Load(rnd.Next(2) == 0 ? OpSize.W : OpSize.B, Register.R2, Register.R0, 0);
        return $"value[x {how}]";
    }

    /// <summary>A ring buffer reservation, submitted, discarded, leaked, or used unchecked.</summary>
    private static string Ringbuf(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        b.LoadMapFd(Register.R1, "rb").Mov64(Register.R2, 16).Mov64(Register.R3, 0).Call("bpf_ringbuf_reserve");
        int k = rnd.Next(4);
        if (k != 3) b.JumpIf(JmpOp.Jeq, Register.R0, 0, "out");
        b.Store(OpSize.DW, Register.R0, (short)(rnd.Next(2) * 8 + (rnd.Next(5) == 0 ? 8 : 0)), 1);
        if (k != 2)
        {
            b.Mov64(Register.R1, Register.R0).Mov64(Register.R2, 0).Call(k == 1 ? "bpf_ringbuf_discard" : "bpf_ringbuf_submit");
        }
        return k switch { 0 => "ringbuf submit", 1 => "ringbuf discard", 2 => "ringbuf leak", _ => "ringbuf unchecked" };
    }

    /// <summary>A context field of some offset and size, read or written.</summary>
    private static string ContextAccess(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        int off = rnd.Next(0, 50) * 4;
        var size = new[] { OpSize.B, OpSize.H, OpSize.W, OpSize.DW }[rnd.Next(4)];
        bool write = rnd.Next(3) == 0;
        if (write) b.Mov64(Register.R1, 5).Store(size, Register.R6, (short)off, Register.R1);
        else b.Load(size, Register.R1, Register.R6, (short)off);
        return $"ctx {(write ? "write" : "read")} off={off} size={size}";
    }

    /// <summary>A register read before it is written.</summary>
    private static string UninitRegister(ProgramBuilder b, Random rnd, BpfProgramType type)
    {
        var r = (Register)rnd.Next(7, 10);
        b.Mov64(Register.R0, r);
        return $"read {r}";
    }
}
