using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// What compiled code calls: the slow paths of memory accesses (the interpreter's full check, then the region cache
/// refill), faults, and the operations too long to emit inline (register divisions, atomics, dynamic helper calls).
/// Every method takes the pc so faults name the same instruction the interpreter would.
/// </summary>
internal static unsafe class JitRuntime
{
    public const ulong StackSize = VmCallContext.StackSize;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Load(VmCallContext cx, int pc, ulong address, int size)
    {
        cx.CurrentPc = pc;
        ulong value = cx.Load(address, size);
        cx.SetJitCache(address, size, write: false);
        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Store(VmCallContext cx, int pc, ulong address, int size, ulong value)
    {
        cx.CurrentPc = pc;
        cx.Store(address, size, value);
        cx.SetJitCache(address, size, write: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ResetCaches(VmCallContext cx) => cx.ResetJitCaches();

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fault(VmCallContext cx, int pc, string reason)
    {
        cx.CurrentPc = pc;
        throw cx.Fault(reason);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void BudgetExhausted(VmCallContext cx, int pc) =>
        Fault(cx, pc, cx.BudgetExhaustedMessage);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void StackTooDeep(VmCallContext cx, int pc) =>
        Fault(cx, pc, $"call stack too deep: more than {VmCallContext.MaxFrames} frames");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static VmCode? TailCall(VmCallContext cx, int pc, ulong map, ulong index)
    {
        cx.CurrentPc = pc;
        return cx.ResolveTailCall(map, index);
    }

    /// <summary>LD_ABS/LD_IND: false when the read is outside the packet (the program then ends with r0 = 0).</summary>
    public static bool LoadPacket(VmCallContext cx, long offset, int size, out ulong value) =>
        cx.TryLoadPacket(offset, size, out value);

    /// <summary>callx with a helper id in the register (uBPF's convention): checked and called through the delegate.</summary>
    public static ulong CallHelperById(VmCallContext cx, VmCode code, int pc, ulong id, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        if (id == JitCompiler.TailCallHelper || id >= (ulong)code.Helpers.Length || code.Helpers[id] is null)
            Fault(cx, pc, $"callx target 0x{id:x} is neither a function address nor an available helper id");
        return code.Helpers[id]!(cx, r1, r2, r3, r4, r5);
    }

    // Register divisions are calls, not inlined: RyuJIT 10 inlined into the DynamicMethod once restored a 64-bit register
    // from its 32-bit truncation around idiv (seen as a crash of random program 61516: r10 lost its high half).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Div64(ulong a, ulong b) => b == 0 ? 0 : a / b;
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Mod64(ulong a, ulong b) => b == 0 ? a : a % b;
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong SDiv64(ulong a, ulong b) => b == 0 ? 0 : (long)b == -1 ? unchecked(0 - a) : (ulong)((long)a / (long)b);
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong SMod64(ulong a, ulong b) => b == 0 ? a : (long)b == -1 ? 0 : (ulong)((long)a % (long)b);
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Div32(ulong a, ulong b) => (uint)b == 0 ? 0 : (uint)a / (uint)b;
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Mod32(ulong a, ulong b) => (uint)b == 0 ? (uint)a : (uint)a % (uint)b;
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong SDiv32(ulong a, ulong b) => (int)b == 0 ? 0 : (int)b == -1 ? (uint)unchecked(0 - (int)a) : (uint)((int)a / (int)b);
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong SMod32(ulong a, ulong b) => (int)b == 0 ? (uint)a : (int)b == -1 ? 0 : (uint)((int)a % (int)b);

    public static ulong Swap16(ulong v) => BinaryPrimitives.ReverseEndianness((ushort)v);
    public static ulong Swap32(ulong v) => BinaryPrimitives.ReverseEndianness((uint)v);
    public static ulong Swap64(ulong v) => BinaryPrimitives.ReverseEndianness(v);

    private static byte* AtomicAddress(VmCallContext cx, int pc, ulong address, int size, int op)
    {
        cx.CurrentPc = pc;
        if ((address & (ulong)(size - 1)) != 0)
            throw cx.Fault("misaligned atomic access", address, size);
        return cx.Resolve(address, size, write: op != VmAtomic.LoadAcquire);
    }

    /// <summary>A 32-bit atomic; returns what the instruction writes to its result register (src, r0 or dst), 0 when none.</summary>
    public static ulong Atomic32(VmCallContext cx, int pc, ulong address, int op, ulong src, ulong r0)
    {
        byte* p = AtomicAddress(cx, pc, address, 4, op);
        if (op == VmAtomic.LoadAcquire)
            return Volatile.Read(ref *(uint*)p);
        ref int loc = ref *(int*)p;
        int v = (int)src;
        switch (op)
        {
            case Isa.AtomicOp.Add: Interlocked.Add(ref loc, v); return 0;
            case Isa.AtomicOp.Or: Interlocked.Or(ref loc, v); return 0;
            case Isa.AtomicOp.And: Interlocked.And(ref loc, v); return 0;
            case Isa.AtomicOp.Xor: Xor32(ref loc, v); return 0;
            case Isa.AtomicOp.Add | Isa.AtomicOp.Fetch: return (uint)(Interlocked.Add(ref loc, v) - v);
            case Isa.AtomicOp.Or | Isa.AtomicOp.Fetch: return (uint)Interlocked.Or(ref loc, v);
            case Isa.AtomicOp.And | Isa.AtomicOp.Fetch: return (uint)Interlocked.And(ref loc, v);
            case Isa.AtomicOp.Xor | Isa.AtomicOp.Fetch: return (uint)Xor32(ref loc, v);
            case Isa.AtomicOp.Xchg: return (uint)Interlocked.Exchange(ref loc, v);
            case Isa.AtomicOp.CmpXchg: return (uint)Interlocked.CompareExchange(ref loc, v, (int)r0);
            default: Volatile.Write(ref loc, v); return 0; // store-release
        }
    }

    /// <summary>A 64-bit atomic; returns what the instruction writes to its result register (src, r0 or dst), 0 when none.</summary>
    public static ulong Atomic64(VmCallContext cx, int pc, ulong address, int op, ulong src, ulong r0)
    {
        byte* p = AtomicAddress(cx, pc, address, 8, op);
        if (op == VmAtomic.LoadAcquire)
            return Volatile.Read(ref *(ulong*)p);
        ref long loc = ref *(long*)p;
        long v = (long)src;
        switch (op)
        {
            case Isa.AtomicOp.Add: Interlocked.Add(ref loc, v); return 0;
            case Isa.AtomicOp.Or: Interlocked.Or(ref loc, v); return 0;
            case Isa.AtomicOp.And: Interlocked.And(ref loc, v); return 0;
            case Isa.AtomicOp.Xor: Xor64(ref loc, v); return 0;
            case Isa.AtomicOp.Add | Isa.AtomicOp.Fetch: return (ulong)(Interlocked.Add(ref loc, v) - v);
            case Isa.AtomicOp.Or | Isa.AtomicOp.Fetch: return (ulong)Interlocked.Or(ref loc, v);
            case Isa.AtomicOp.And | Isa.AtomicOp.Fetch: return (ulong)Interlocked.And(ref loc, v);
            case Isa.AtomicOp.Xor | Isa.AtomicOp.Fetch: return (ulong)Xor64(ref loc, v);
            case Isa.AtomicOp.Xchg: return (ulong)Interlocked.Exchange(ref loc, v);
            case Isa.AtomicOp.CmpXchg: return (ulong)Interlocked.CompareExchange(ref loc, v, (long)r0);
            default: Volatile.Write(ref loc, v); return 0; // store-release
        }
    }

    private static int Xor32(ref int loc, int v)
    {
        int old;
        do old = Volatile.Read(ref loc); while (Interlocked.CompareExchange(ref loc, old ^ v, old) != old);
        return old;
    }

    private static long Xor64(ref long loc, long v)
    {
        long old;
        do old = Volatile.Read(ref loc); while (Interlocked.CompareExchange(ref loc, old ^ v, old) != old);
        return old;
    }
}
