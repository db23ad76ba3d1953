using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpBpf.Vm;

/// <summary>
/// The interpreter: one tight switch over opcode bytes, registers in a stack-allocated array, every memory access
/// through the stack fast path or <see cref="VmCallContext.Load"/>/<see cref="VmCallContext.Store"/>/<see cref="VmCallContext.Resolve"/>.
/// bpf-to-bpf calls push a frame (r6–r9, r10, return pc) without recursion; helper callbacks recurse with a new frame.
/// </summary>
internal static unsafe class Interpreter
{
    private const int TailCallHelper = 12;
    private const ulong StackSize = VmCallContext.StackSize;

    /// <summary>Runs the program from its first instruction with r1 = <paramref name="r1"/>, r2 = <paramref name="r2"/>; returns r0.</summary>
    public static ulong Run(VmCallContext cx, ulong r1, ulong r2)
    {
        ulong* r = stackalloc ulong[11];
        r[1] = r1;
        r[2] = r2;
        r[10] = cx.StackTop;
        return Execute(cx, cx.CurrentCode, 0, 0, 0, r);
    }

    /// <summary>Calls a function of the running code in a new frame below the caller's (callbacks of helpers).</summary>
    public static ulong InvokeFunction(VmCallContext cx, int pc, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        int depth = cx.CurrentDepth + 1;
        if (depth >= VmCallContext.MaxFrames)
            throw cx.Fault($"call stack too deep: more than {VmCallContext.MaxFrames} frames");
        int savedPc = cx.CurrentPc, savedDepth = cx.CurrentDepth;
        var savedCode = cx.CurrentCode;
        ulong* r = stackalloc ulong[11];
        r[1] = r1; r[2] = r2; r[3] = r3; r[4] = r4; r[5] = r5;
        r[10] = cx.StackTop - (ulong)(depth * VmCallContext.FrameSize);
        ulong result = cx.Engine.Options.UseJit
            ? Jit.JitExecutor.Execute(cx, savedCode, pc, depth, depth, r)
            : Execute(cx, savedCode, pc, depth, depth, r);
        cx.CurrentPc = savedPc;
        cx.CurrentDepth = savedDepth;
        cx.CurrentCode = savedCode;
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static VmInsn* Pin(VmCode code) =>
        (VmInsn*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(code.Insns)); // the array is allocated pinned

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Ld(VmCallContext cx, ulong stackLo, ulong a, int size, VmCode code, int pc)
    {
        if (a - stackLo <= StackSize - (ulong)size)
        {
            return size switch
            {
                1 => *(byte*)a,
                2 => Unsafe.ReadUnaligned<ushort>((void*)a),
                4 => Unsafe.ReadUnaligned<uint>((void*)a),
                _ => Unsafe.ReadUnaligned<ulong>((void*)a),
            };
        }
        return LdSlow(cx, a, size, code, pc);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong LdSlow(VmCallContext cx, ulong a, int size, VmCode code, int pc)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = pc;
        return cx.Load(a, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void St(VmCallContext cx, ulong stackLo, ulong a, int size, ulong v, VmCode code, int pc)
    {
        if (a - stackLo <= StackSize - (ulong)size)
        {
            switch (size)
            {
                case 1: *(byte*)a = (byte)v; break;
                case 2: Unsafe.WriteUnaligned((void*)a, (ushort)v); break;
                case 4: Unsafe.WriteUnaligned((void*)a, (uint)v); break;
                default: Unsafe.WriteUnaligned((void*)a, v); break;
            }
            return;
        }
        StSlow(cx, a, size, v, code, pc);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StSlow(VmCallContext cx, ulong a, int size, ulong v, VmCode code, int pc)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = pc;
        cx.Store(a, size, v);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(VmCallContext cx, VmCode code, int pc, string reason)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = pc;
        throw cx.Fault(reason);
    }

    private static long SDiv64(long a, long b) => b == 0 ? 0 : b == -1 ? unchecked(-a) : a / b;
    private static long SMod64(long a, long b) => b == 0 ? a : b == -1 ? 0 : a % b;
    private static int SDiv32(int a, int b) => b == 0 ? 0 : b == -1 ? unchecked(-a) : a / b;
    private static int SMod32(int a, int b) => b == 0 ? a : b == -1 ? 0 : a % b;

    private static ulong Div64(ulong a, ulong b, int signed) => signed != 0 ? (ulong)SDiv64((long)a, (long)b) : b == 0 ? 0 : a / b;
    private static ulong Mod64(ulong a, ulong b, int signed) => signed != 0 ? (ulong)SMod64((long)a, (long)b) : b == 0 ? a : a % b;
    private static ulong Div32(uint a, uint b, int signed) => signed != 0 ? (uint)SDiv32((int)a, (int)b) : b == 0 ? 0u : a / b;
    private static ulong Mod32(uint a, uint b, int signed) => signed != 0 ? (uint)SMod32((int)a, (int)b) : b == 0 ? a : a % b;

    private static ulong MovSx64(ulong v, int bits) => bits switch
    {
        8 => (ulong)(long)(sbyte)v,
        16 => (ulong)(long)(short)v,
        32 => (ulong)(long)(int)v,
        _ => v,
    };

    private static ulong MovSx32(ulong v, int bits) => bits switch
    {
        8 => (uint)(int)(sbyte)v,
        16 => (uint)(int)(short)v,
        _ => (uint)v,
    };

    private static ulong ToLe(ulong v, long width) =>
        BitConverter.IsLittleEndian
            ? width switch { 16 => (ushort)v, 32 => (uint)v, _ => v }
            : Swap(v, width);

    private static ulong ToBe(ulong v, long width) =>
        BitConverter.IsLittleEndian
            ? Swap(v, width)
            : width switch { 16 => (ushort)v, 32 => (uint)v, _ => v };

    private static ulong Swap(ulong v, long width) => width switch
    {
        16 => BinaryPrimitives.ReverseEndianness((ushort)v),
        32 => BinaryPrimitives.ReverseEndianness((uint)v),
        _ => BinaryPrimitives.ReverseEndianness(v),
    };

    /// <summary>Runs <paramref name="code"/> from <paramref name="pc"/> in frame <paramref name="depth"/> until it exits from
    /// frame <paramref name="baseDepth"/>; the JIT hands runs over here.</summary>
    internal static ulong Execute(VmCallContext cx, VmCode code, int pc, int depth, int baseDepth, ulong* r)
    {
        VmInsn* insns = Pin(code);
        ulong stackLo = (ulong)cx.Stack;
        long budget = cx.Budget;
        while (true)
        {
            VmInsn* i = insns + pc;
            if (--budget < 0)
            {
                cx.Budget = 0;
                Throw(cx, code, pc, $"instruction budget of {cx.Options.InstructionBudget} instructions exhausted (a runaway loop?)");
            }
            switch (i->Op)
            {
                // ALU64, immediate operand
                case 0x07: r[i->Dst] += (ulong)i->Imm; pc++; continue;
                case 0x17: r[i->Dst] -= (ulong)i->Imm; pc++; continue;
                case 0x27: r[i->Dst] *= (ulong)i->Imm; pc++; continue;
                case 0x37: r[i->Dst] = Div64(r[i->Dst], (ulong)i->Imm, i->Aux); pc++; continue;
                case 0x47: r[i->Dst] |= (ulong)i->Imm; pc++; continue;
                case 0x57: r[i->Dst] &= (ulong)i->Imm; pc++; continue;
                case 0x67: r[i->Dst] <<= (int)(i->Imm & 63); pc++; continue;
                case 0x77: r[i->Dst] >>= (int)(i->Imm & 63); pc++; continue;
                case 0x87: r[i->Dst] = (ulong)-(long)r[i->Dst]; pc++; continue;
                case 0x97: r[i->Dst] = Mod64(r[i->Dst], (ulong)i->Imm, i->Aux); pc++; continue;
                case 0xa7: r[i->Dst] ^= (ulong)i->Imm; pc++; continue;
                case 0xb7: r[i->Dst] = (ulong)i->Imm; pc++; continue;
                case 0xc7: r[i->Dst] = (ulong)((long)r[i->Dst] >> (int)(i->Imm & 63)); pc++; continue;
                case 0xd7: r[i->Dst] = Swap(r[i->Dst], i->Imm); pc++; continue;
                // ALU64, register operand
                case 0x0f: r[i->Dst] += r[i->Src]; pc++; continue;
                case 0x1f: r[i->Dst] -= r[i->Src]; pc++; continue;
                case 0x2f: r[i->Dst] *= r[i->Src]; pc++; continue;
                case 0x3f: r[i->Dst] = Div64(r[i->Dst], r[i->Src], i->Aux); pc++; continue;
                case 0x4f: r[i->Dst] |= r[i->Src]; pc++; continue;
                case 0x5f: r[i->Dst] &= r[i->Src]; pc++; continue;
                case 0x6f: r[i->Dst] <<= (int)(r[i->Src] & 63); pc++; continue;
                case 0x7f: r[i->Dst] >>= (int)(r[i->Src] & 63); pc++; continue;
                case 0x9f: r[i->Dst] = Mod64(r[i->Dst], r[i->Src], i->Aux); pc++; continue;
                case 0xaf: r[i->Dst] ^= r[i->Src]; pc++; continue;
                case 0xbf: r[i->Dst] = i->Aux == 0 ? r[i->Src] : MovSx64(r[i->Src], i->Aux); pc++; continue;
                case 0xcf: r[i->Dst] = (ulong)((long)r[i->Dst] >> (int)(r[i->Src] & 63)); pc++; continue;
                // ALU (32-bit), immediate operand; results zero-extended
                case 0x04: r[i->Dst] = (uint)((uint)r[i->Dst] + (uint)i->Imm); pc++; continue;
                case 0x14: r[i->Dst] = (uint)((uint)r[i->Dst] - (uint)i->Imm); pc++; continue;
                case 0x24: r[i->Dst] = (uint)((uint)r[i->Dst] * (uint)i->Imm); pc++; continue;
                case 0x34: r[i->Dst] = Div32((uint)r[i->Dst], (uint)i->Imm, i->Aux); pc++; continue;
                case 0x44: r[i->Dst] = (uint)r[i->Dst] | (uint)i->Imm; pc++; continue;
                case 0x54: r[i->Dst] = (uint)r[i->Dst] & (uint)i->Imm; pc++; continue;
                case 0x64: r[i->Dst] = (uint)r[i->Dst] << (int)(i->Imm & 31); pc++; continue;
                case 0x74: r[i->Dst] = (uint)r[i->Dst] >> (int)(i->Imm & 31); pc++; continue;
                case 0x84: r[i->Dst] = (uint)-(int)r[i->Dst]; pc++; continue;
                case 0x94: r[i->Dst] = Mod32((uint)r[i->Dst], (uint)i->Imm, i->Aux); pc++; continue;
                case 0xa4: r[i->Dst] = (uint)r[i->Dst] ^ (uint)i->Imm; pc++; continue;
                case 0xb4: r[i->Dst] = (uint)i->Imm; pc++; continue;
                case 0xc4: r[i->Dst] = (uint)((int)r[i->Dst] >> (int)(i->Imm & 31)); pc++; continue;
                case 0xd4: r[i->Dst] = ToLe(r[i->Dst], i->Imm); pc++; continue;
                // ALU (32-bit), register operand
                case 0x0c: r[i->Dst] = (uint)((uint)r[i->Dst] + (uint)r[i->Src]); pc++; continue;
                case 0x1c: r[i->Dst] = (uint)((uint)r[i->Dst] - (uint)r[i->Src]); pc++; continue;
                case 0x2c: r[i->Dst] = (uint)((uint)r[i->Dst] * (uint)r[i->Src]); pc++; continue;
                case 0x3c: r[i->Dst] = Div32((uint)r[i->Dst], (uint)r[i->Src], i->Aux); pc++; continue;
                case 0x4c: r[i->Dst] = (uint)r[i->Dst] | (uint)r[i->Src]; pc++; continue;
                case 0x5c: r[i->Dst] = (uint)r[i->Dst] & (uint)r[i->Src]; pc++; continue;
                case 0x6c: r[i->Dst] = (uint)r[i->Dst] << (int)(r[i->Src] & 31); pc++; continue;
                case 0x7c: r[i->Dst] = (uint)r[i->Dst] >> (int)(r[i->Src] & 31); pc++; continue;
                case 0x9c: r[i->Dst] = Mod32((uint)r[i->Dst], (uint)r[i->Src], i->Aux); pc++; continue;
                case 0xac: r[i->Dst] = (uint)r[i->Dst] ^ (uint)r[i->Src]; pc++; continue;
                case 0xbc: r[i->Dst] = MovSx32(r[i->Src], i->Aux); pc++; continue;
                case 0xcc: r[i->Dst] = (uint)((int)r[i->Dst] >> (int)(r[i->Src] & 31)); pc++; continue;
                case 0xdc: r[i->Dst] = ToBe(r[i->Dst], i->Imm); pc++; continue;

                // Jumps
                case 0x05: pc = i->Aux; continue;
                case 0x06: pc = i->Aux; continue;
                case 0x15: pc = r[i->Dst] == (ulong)i->Imm ? i->Aux : pc + 1; continue;
                case 0x1d: pc = r[i->Dst] == r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x25: pc = r[i->Dst] > (ulong)i->Imm ? i->Aux : pc + 1; continue;
                case 0x2d: pc = r[i->Dst] > r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x35: pc = r[i->Dst] >= (ulong)i->Imm ? i->Aux : pc + 1; continue;
                case 0x3d: pc = r[i->Dst] >= r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x45: pc = (r[i->Dst] & (ulong)i->Imm) != 0 ? i->Aux : pc + 1; continue;
                case 0x4d: pc = (r[i->Dst] & r[i->Src]) != 0 ? i->Aux : pc + 1; continue;
                case 0x55: pc = r[i->Dst] != (ulong)i->Imm ? i->Aux : pc + 1; continue;
                case 0x5d: pc = r[i->Dst] != r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x65: pc = (long)r[i->Dst] > i->Imm ? i->Aux : pc + 1; continue;
                case 0x6d: pc = (long)r[i->Dst] > (long)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x75: pc = (long)r[i->Dst] >= i->Imm ? i->Aux : pc + 1; continue;
                case 0x7d: pc = (long)r[i->Dst] >= (long)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xa5: pc = r[i->Dst] < (ulong)i->Imm ? i->Aux : pc + 1; continue;
                case 0xad: pc = r[i->Dst] < r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xb5: pc = r[i->Dst] <= (ulong)i->Imm ? i->Aux : pc + 1; continue;
                case 0xbd: pc = r[i->Dst] <= r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xc5: pc = (long)r[i->Dst] < i->Imm ? i->Aux : pc + 1; continue;
                case 0xcd: pc = (long)r[i->Dst] < (long)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xd5: pc = (long)r[i->Dst] <= i->Imm ? i->Aux : pc + 1; continue;
                case 0xdd: pc = (long)r[i->Dst] <= (long)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x16: pc = (uint)r[i->Dst] == (uint)i->Imm ? i->Aux : pc + 1; continue;
                case 0x1e: pc = (uint)r[i->Dst] == (uint)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x26: pc = (uint)r[i->Dst] > (uint)i->Imm ? i->Aux : pc + 1; continue;
                case 0x2e: pc = (uint)r[i->Dst] > (uint)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x36: pc = (uint)r[i->Dst] >= (uint)i->Imm ? i->Aux : pc + 1; continue;
                case 0x3e: pc = (uint)r[i->Dst] >= (uint)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x46: pc = ((uint)r[i->Dst] & (uint)i->Imm) != 0 ? i->Aux : pc + 1; continue;
                case 0x4e: pc = ((uint)r[i->Dst] & (uint)r[i->Src]) != 0 ? i->Aux : pc + 1; continue;
                case 0x56: pc = (uint)r[i->Dst] != (uint)i->Imm ? i->Aux : pc + 1; continue;
                case 0x5e: pc = (uint)r[i->Dst] != (uint)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x66: pc = (int)r[i->Dst] > (int)i->Imm ? i->Aux : pc + 1; continue;
                case 0x6e: pc = (int)r[i->Dst] > (int)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0x76: pc = (int)r[i->Dst] >= (int)i->Imm ? i->Aux : pc + 1; continue;
                case 0x7e: pc = (int)r[i->Dst] >= (int)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xa6: pc = (uint)r[i->Dst] < (uint)i->Imm ? i->Aux : pc + 1; continue;
                case 0xae: pc = (uint)r[i->Dst] < (uint)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xb6: pc = (uint)r[i->Dst] <= (uint)i->Imm ? i->Aux : pc + 1; continue;
                case 0xbe: pc = (uint)r[i->Dst] <= (uint)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xc6: pc = (int)r[i->Dst] < (int)i->Imm ? i->Aux : pc + 1; continue;
                case 0xce: pc = (int)r[i->Dst] < (int)r[i->Src] ? i->Aux : pc + 1; continue;
                case 0xd6: pc = (int)r[i->Dst] <= (int)i->Imm ? i->Aux : pc + 1; continue;
                case 0xde: pc = (int)r[i->Dst] <= (int)r[i->Src] ? i->Aux : pc + 1; continue;

                // Loads
                case 0x18: r[i->Dst] = (ulong)i->Imm; pc += 2; continue;
                case 0x61: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 4, code, pc); pc++; continue;
                case 0x69: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 2, code, pc); pc++; continue;
                case 0x71: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 1, code, pc); pc++; continue;
                case 0x79: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 8, code, pc); pc++; continue;
                case 0x81: r[i->Dst] = (ulong)(long)(int)Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 4, code, pc); pc++; continue;
                case 0x89: r[i->Dst] = (ulong)(long)(short)Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 2, code, pc); pc++; continue;
                case 0x91: r[i->Dst] = (ulong)(long)(sbyte)Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 1, code, pc); pc++; continue;
                // Stores
                case 0x62: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 4, (ulong)i->Imm, code, pc); pc++; continue;
                case 0x6a: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 2, (ulong)i->Imm, code, pc); pc++; continue;
                case 0x72: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 1, (ulong)i->Imm, code, pc); pc++; continue;
                case 0x7a: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 8, (ulong)i->Imm, code, pc); pc++; continue;
                case 0x63: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 4, r[i->Src], code, pc); pc++; continue;
                case 0x6b: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 2, r[i->Src], code, pc); pc++; continue;
                case 0x73: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 1, r[i->Src], code, pc); pc++; continue;
                case 0x7b: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 8, r[i->Src], code, pc); pc++; continue;
                // Atomics
                case 0xc3: Atomic32(cx, code, pc, i, r); pc++; continue;
                case 0xdb: Atomic64(cx, code, pc, i, r); pc++; continue;
                // Legacy packet loads: an out-of-bounds read ends the program with r0 = 0, as in the kernel
                case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50:
                {
                    long offset = (i->Op & 0x40) != 0 ? (int)((uint)r[i->Src] + (uint)i->Imm) : i->Imm;
                    int size = (i->Op & 0x18) switch { 0x00 => 4, 0x08 => 2, _ => 1 };
                    if (!cx.TryLoadPacket(offset, size, out ulong value))
                    {
                        cx.Budget = budget;
                        return 0;
                    }
                    r[0] = value;
                    pc++;
                    continue;
                }

                // Calls and exit
                case 0x85:
                    if (i->Src == 1)
                        goto LocalCall;
                    if (i->Imm == TailCallHelper)
                        goto TailCall;
                    cx.Budget = budget;
                    cx.CurrentCode = code;
                    cx.CurrentPc = pc;
                    cx.CurrentDepth = depth;
                    r[0] = code.Helpers[i->Imm]!(cx, r[1], r[2], r[3], r[4], r[5]);
                    budget = cx.Budget;
                    pc++;
                    continue;
                case 0x8d:
                {
                    ulong target = r[i->Dst];
                    if (VmHandles.IsFunction(target) && VmHandles.FunctionPc(target) < code.Source.Length)
                    {
                        int to = VmHandles.FunctionPc(target);
                        if (depth + 1 >= VmCallContext.MaxFrames)
                            Throw(cx, code, pc, $"call stack too deep: more than {VmCallContext.MaxFrames} frames");
                        PushFrame(cx, code, depth, pc + 1, r);
                        depth++;
                        r[10] = cx.StackTop - (ulong)(depth * VmCallContext.FrameSize);
                        pc = to;
                        continue;
                    }
                    // uBPF's convention (the conformance suite's callx test): a register holding a helper id calls that helper.
                    if (target == TailCallHelper || target >= (ulong)code.Helpers.Length || code.Helpers[target] is null)
                        Throw(cx, code, pc, $"callx target 0x{target:x} is neither a function address nor an available helper id");
                    cx.Budget = budget;
                    cx.CurrentCode = code;
                    cx.CurrentPc = pc;
                    cx.CurrentDepth = depth;
                    r[0] = code.Helpers[target]!(cx, r[1], r[2], r[3], r[4], r[5]);
                    budget = cx.Budget;
                    pc++;
                    continue;
                }
                case 0x95:
                    if (depth == baseDepth)
                    {
                        cx.Budget = budget;
                        return r[0];
                    }
                    depth--;
                    {
                        ref var f = ref cx.Frames[depth];
                        r[6] = f.R6; r[7] = f.R7; r[8] = f.R8; r[9] = f.R9; r[10] = f.R10;
                        pc = f.ReturnPc;
                        if (!ReferenceEquals(f.Code, code))
                        {
                            code = f.Code;
                            insns = Pin(code);
                        }
                    }
                    continue;

                case VmInsn.FellOffEnd:
                    Throw(cx, code, pc, "execution fell off the end of the program (or into the second half of an ld_imm64)");
                    break;
                default:
                    Throw(cx, code, pc, $"invalid opcode 0x{i->Op:x2}");
                    break;
            }

        LocalCall:
            if (depth + 1 >= VmCallContext.MaxFrames)
                Throw(cx, code, pc, $"call stack too deep: more than {VmCallContext.MaxFrames} frames");
            PushFrame(cx, code, depth, pc + 1, r);
            depth++;
            r[10] = cx.StackTop - (ulong)(depth * VmCallContext.FrameSize);
            pc = i->Aux;
            continue;

        TailCall:
            {
                cx.CurrentCode = code;
                cx.CurrentPc = pc;
                var next = cx.ResolveTailCall(r[2], r[3]);
                if (next is null)
                {
                    pc++; // a failed tail call falls through, as in the kernel
                    continue;
                }
                code = next;
                insns = Pin(code);
                pc = 0;
                continue;
            }
        }
    }

    private static void PushFrame(VmCallContext cx, VmCode code, int depth, int returnPc, ulong* r)
    {
        ref var f = ref cx.Frames[depth];
        f.Code = code;
        f.ReturnPc = returnPc;
        f.R6 = r[6]; f.R7 = r[7]; f.R8 = r[8]; f.R9 = r[9]; f.R10 = r[10];
    }

    private static byte* AtomicAddress(VmCallContext cx, VmCode code, int pc, VmInsn* i, ulong* r, int size)
    {
        ulong a = r[i->Dst] + (ulong)i->Aux;
        cx.CurrentCode = code;
        cx.CurrentPc = pc;
        if ((a & (ulong)(size - 1)) != 0)
            throw cx.Fault("misaligned atomic access", a, size);
        bool write = i->Imm != VmAtomic.LoadAcquire;
        return cx.Resolve(a, size, write);
    }

    private static void Atomic32(VmCallContext cx, VmCode code, int pc, VmInsn* i, ulong* r)
    {
        if (i->Imm == VmAtomic.LoadAcquire)
        {
            r[i->Dst] = Volatile.Read(ref *(uint*)AtomicAddress(cx, code, pc, i, r, 4));
            return;
        }
        ref int loc = ref *(int*)AtomicAddress(cx, code, pc, i, r, 4);
        int v = (int)r[i->Src];
        switch (i->Imm)
        {
            case Isa.AtomicOp.Add: Interlocked.Add(ref loc, v); break;
            case Isa.AtomicOp.Or: Interlocked.Or(ref loc, v); break;
            case Isa.AtomicOp.And: Interlocked.And(ref loc, v); break;
            case Isa.AtomicOp.Xor: Xor32(ref loc, v); break;
            case Isa.AtomicOp.Add | Isa.AtomicOp.Fetch: r[i->Src] = (uint)(Interlocked.Add(ref loc, v) - v); break;
            case Isa.AtomicOp.Or | Isa.AtomicOp.Fetch: r[i->Src] = (uint)Interlocked.Or(ref loc, v); break;
            case Isa.AtomicOp.And | Isa.AtomicOp.Fetch: r[i->Src] = (uint)Interlocked.And(ref loc, v); break;
            case Isa.AtomicOp.Xor | Isa.AtomicOp.Fetch: r[i->Src] = (uint)Xor32(ref loc, v); break;
            case Isa.AtomicOp.Xchg: r[i->Src] = (uint)Interlocked.Exchange(ref loc, v); break;
            case Isa.AtomicOp.CmpXchg: r[0] = (uint)Interlocked.CompareExchange(ref loc, v, (int)r[0]); break;
            case VmAtomic.StoreRelease: Volatile.Write(ref loc, v); break;
        }
    }

    private static void Atomic64(VmCallContext cx, VmCode code, int pc, VmInsn* i, ulong* r)
    {
        if (i->Imm == VmAtomic.LoadAcquire)
        {
            r[i->Dst] = Volatile.Read(ref *(ulong*)AtomicAddress(cx, code, pc, i, r, 8));
            return;
        }
        ref long loc = ref *(long*)AtomicAddress(cx, code, pc, i, r, 8);
        long v = (long)r[i->Src];
        switch (i->Imm)
        {
            case Isa.AtomicOp.Add: Interlocked.Add(ref loc, v); break;
            case Isa.AtomicOp.Or: Interlocked.Or(ref loc, v); break;
            case Isa.AtomicOp.And: Interlocked.And(ref loc, v); break;
            case Isa.AtomicOp.Xor: Xor64(ref loc, v); break;
            case Isa.AtomicOp.Add | Isa.AtomicOp.Fetch: r[i->Src] = (ulong)(Interlocked.Add(ref loc, v) - v); break;
            case Isa.AtomicOp.Or | Isa.AtomicOp.Fetch: r[i->Src] = (ulong)Interlocked.Or(ref loc, v); break;
            case Isa.AtomicOp.And | Isa.AtomicOp.Fetch: r[i->Src] = (ulong)Interlocked.And(ref loc, v); break;
            case Isa.AtomicOp.Xor | Isa.AtomicOp.Fetch: r[i->Src] = (ulong)Xor64(ref loc, v); break;
            case Isa.AtomicOp.Xchg: r[i->Src] = (ulong)Interlocked.Exchange(ref loc, v); break;
            case Isa.AtomicOp.CmpXchg: r[0] = (ulong)Interlocked.CompareExchange(ref loc, v, (long)r[0]); break;
            case VmAtomic.StoreRelease: Volatile.Write(ref loc, v); break;
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
