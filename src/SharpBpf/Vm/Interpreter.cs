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
[SkipLocalsInit]
internal static unsafe class Interpreter
{
    private const int TailCallHelper = 12;
    private const ulong StackSize = VmCallContext.StackSize;

    /// <summary>Runs the program from its first instruction with r1 = <paramref name="r1"/>, r2 = <paramref name="r2"/>; returns r0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Run(VmCallContext cx, ulong r1, ulong r2)
    {
        ulong* r = stackalloc ulong[11];
        new Span<ulong>(r, 11).Clear(); // registers a program reads before writing are 0, not leftovers of the host stack
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
        // Straight-line code is free within a run, so a callback pays on entry for what it could run without looping.
        cx.Charge((ulong)(cx.CurrentCode.Source.Length - pc));
        int savedPc = cx.CurrentPc, savedDepth = cx.CurrentDepth;
        var savedCode = cx.CurrentCode;
        ulong* r = stackalloc ulong[11];
        new Span<ulong>(r, 11).Clear();
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
    private static ulong Ld(VmCallContext cx, ulong stackLo, ulong a, int size, VmCode code, VmInsn* ip)
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
        return LdSlow(cx, a, size, code, ip);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong LdSlow(VmCallContext cx, ulong a, int size, VmCode code, VmInsn* ip)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = Pc(code, ip);
        return cx.Load(a, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void St(VmCallContext cx, ulong stackLo, ulong a, int size, ulong v, VmCode code, VmInsn* ip)
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
        StSlow(cx, a, size, v, code, ip);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StSlow(VmCallContext cx, ulong a, int size, ulong v, VmCode code, VmInsn* ip)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = Pc(code, ip);
        cx.Store(a, size, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pc(VmCode code, VmInsn* ip) => (int)(ip - Pin(code));

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(VmCallContext cx, VmCode code, VmInsn* ip, string reason)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = Pc(code, ip);
        throw cx.Fault(reason);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBudget(VmCallContext cx, VmCode code, VmInsn* ip) =>
        Throw(cx, code, ip, cx.BudgetExhaustedMessage);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooDeep(VmCallContext cx, VmCode code, VmInsn* ip) =>
        Throw(cx, code, ip, $"call stack too deep: more than {VmCallContext.MaxFrames} frames");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOpcode(VmCallContext cx, VmCode code, VmInsn* ip) =>
        Throw(cx, code, ip, code.InvalidInstructionReason(Pc(code, ip)));

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCallx(VmCallContext cx, VmCode code, VmInsn* ip, ulong target) =>
        Throw(cx, code, ip, $"callx target 0x{target:x} is neither a function address nor an available helper id");

    /// <summary>Calls helper <paramref name="id"/> with r1–r5 into r0; the budget lives in <paramref name="cx"/> meanwhile.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallHelper(VmCallContext cx, VmCode code, VmInsn* ip, int depth, long id, ulong* r)
    {
        cx.CurrentCode = code;
        cx.CurrentPc = Pc(code, ip);
        cx.CurrentDepth = depth;
        r[0] = code.Helpers[id]!(cx, r[1], r[2], r[3], r[4], r[5]);
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

    /// <summary>
    /// Runs from <paramref name="pc"/> in frame <paramref name="depth"/> until the exit of frame <paramref name="baseDepth"/>
    /// (the JIT hands runs over here). The budget is charged on backward jumps with the length of the loop body they close
    /// (every loop needs one), so straight-line code pays nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // timed runs must not start in tier-0 code
    internal static ulong Execute(VmCallContext cx, VmCode code, int pc, int depth, int baseDepth, ulong* r)
    {
        VmInsn* ip = Pin(code) + pc;
        ulong stackLo = (ulong)cx.Stack;
        while (true)
        {
            VmInsn* i = ip;
            switch (i->Op)
            {
                // ALU64, immediate operand
                case 0x07: r[i->Dst] += (ulong)i->Imm; ip++; continue;
                case 0x17: r[i->Dst] -= (ulong)i->Imm; ip++; continue;
                case 0x27: r[i->Dst] *= (ulong)i->Imm; ip++; continue;
                case 0x37: r[i->Dst] = Div64(r[i->Dst], (ulong)i->Imm, i->Aux); ip++; continue;
                case 0x47: r[i->Dst] |= (ulong)i->Imm; ip++; continue;
                case 0x57: r[i->Dst] &= (ulong)i->Imm; ip++; continue;
                case 0x67: r[i->Dst] <<= (int)(i->Imm & 63); ip++; continue;
                case 0x77: r[i->Dst] >>= (int)(i->Imm & 63); ip++; continue;
                case 0x87: r[i->Dst] = (ulong)-(long)r[i->Dst]; ip++; continue;
                case 0x97: r[i->Dst] = Mod64(r[i->Dst], (ulong)i->Imm, i->Aux); ip++; continue;
                case 0xa7: r[i->Dst] ^= (ulong)i->Imm; ip++; continue;
                case 0xb7: r[i->Dst] = (ulong)i->Imm; ip++; continue;
                case 0xc7: r[i->Dst] = (ulong)((long)r[i->Dst] >> (int)(i->Imm & 63)); ip++; continue;
                case 0xd7: r[i->Dst] = Swap(r[i->Dst], i->Imm); ip++; continue;
                // ALU64, register operand
                case 0x0f: r[i->Dst] += r[i->Src]; ip++; continue;
                case 0x1f: r[i->Dst] -= r[i->Src]; ip++; continue;
                case 0x2f: r[i->Dst] *= r[i->Src]; ip++; continue;
                case 0x3f: r[i->Dst] = Div64(r[i->Dst], r[i->Src], i->Aux); ip++; continue;
                case 0x4f: r[i->Dst] |= r[i->Src]; ip++; continue;
                case 0x5f: r[i->Dst] &= r[i->Src]; ip++; continue;
                case 0x6f: r[i->Dst] <<= (int)(r[i->Src] & 63); ip++; continue;
                case 0x7f: r[i->Dst] >>= (int)(r[i->Src] & 63); ip++; continue;
                case 0x9f: r[i->Dst] = Mod64(r[i->Dst], r[i->Src], i->Aux); ip++; continue;
                case 0xaf: r[i->Dst] ^= r[i->Src]; ip++; continue;
                case 0xbf: r[i->Dst] = i->Aux == 0 ? r[i->Src] : MovSx64(r[i->Src], i->Aux); ip++; continue;
                case 0xcf: r[i->Dst] = (ulong)((long)r[i->Dst] >> (int)(r[i->Src] & 63)); ip++; continue;
                // ALU (32-bit), immediate operand; results zero-extended
                case 0x04: r[i->Dst] = (uint)((uint)r[i->Dst] + (uint)i->Imm); ip++; continue;
                case 0x14: r[i->Dst] = (uint)((uint)r[i->Dst] - (uint)i->Imm); ip++; continue;
                case 0x24: r[i->Dst] = (uint)((uint)r[i->Dst] * (uint)i->Imm); ip++; continue;
                case 0x34: r[i->Dst] = Div32((uint)r[i->Dst], (uint)i->Imm, i->Aux); ip++; continue;
                case 0x44: r[i->Dst] = (uint)r[i->Dst] | (uint)i->Imm; ip++; continue;
                case 0x54: r[i->Dst] = (uint)r[i->Dst] & (uint)i->Imm; ip++; continue;
                case 0x64: r[i->Dst] = (uint)r[i->Dst] << (int)(i->Imm & 31); ip++; continue;
                case 0x74: r[i->Dst] = (uint)r[i->Dst] >> (int)(i->Imm & 31); ip++; continue;
                case 0x84: r[i->Dst] = (uint)-(int)r[i->Dst]; ip++; continue;
                case 0x94: r[i->Dst] = Mod32((uint)r[i->Dst], (uint)i->Imm, i->Aux); ip++; continue;
                case 0xa4: r[i->Dst] = (uint)r[i->Dst] ^ (uint)i->Imm; ip++; continue;
                case 0xb4: r[i->Dst] = (uint)i->Imm; ip++; continue;
                case 0xc4: r[i->Dst] = (uint)((int)r[i->Dst] >> (int)(i->Imm & 31)); ip++; continue;
                case 0xd4: r[i->Dst] = ToLe(r[i->Dst], i->Imm); ip++; continue;
                // ALU (32-bit), register operand
                case 0x0c: r[i->Dst] = (uint)((uint)r[i->Dst] + (uint)r[i->Src]); ip++; continue;
                case 0x1c: r[i->Dst] = (uint)((uint)r[i->Dst] - (uint)r[i->Src]); ip++; continue;
                case 0x2c: r[i->Dst] = (uint)((uint)r[i->Dst] * (uint)r[i->Src]); ip++; continue;
                case 0x3c: r[i->Dst] = Div32((uint)r[i->Dst], (uint)r[i->Src], i->Aux); ip++; continue;
                case 0x4c: r[i->Dst] = (uint)r[i->Dst] | (uint)r[i->Src]; ip++; continue;
                case 0x5c: r[i->Dst] = (uint)r[i->Dst] & (uint)r[i->Src]; ip++; continue;
                case 0x6c: r[i->Dst] = (uint)r[i->Dst] << (int)(r[i->Src] & 31); ip++; continue;
                case 0x7c: r[i->Dst] = (uint)r[i->Dst] >> (int)(r[i->Src] & 31); ip++; continue;
                case 0x9c: r[i->Dst] = Mod32((uint)r[i->Dst], (uint)r[i->Src], i->Aux); ip++; continue;
                case 0xac: r[i->Dst] = (uint)r[i->Dst] ^ (uint)r[i->Src]; ip++; continue;
                case 0xbc: r[i->Dst] = MovSx32(r[i->Src], i->Aux); ip++; continue;
                case 0xcc: r[i->Dst] = (uint)((int)r[i->Dst] >> (int)(r[i->Src] & 31)); ip++; continue;
                case 0xdc: r[i->Dst] = ToBe(r[i->Dst], i->Imm); ip++; continue;

                // Jumps
                case 0x05: goto Jump;
                case 0x06: goto Jump;
                case 0x15: if (r[i->Dst] == (ulong)i->Imm) goto Jump; ip++; continue;
                case 0x1d: if (r[i->Dst] == r[i->Src]) goto Jump; ip++; continue;
                case 0x25: if (r[i->Dst] > (ulong)i->Imm) goto Jump; ip++; continue;
                case 0x2d: if (r[i->Dst] > r[i->Src]) goto Jump; ip++; continue;
                case 0x35: if (r[i->Dst] >= (ulong)i->Imm) goto Jump; ip++; continue;
                case 0x3d: if (r[i->Dst] >= r[i->Src]) goto Jump; ip++; continue;
                case 0x45: if ((r[i->Dst] & (ulong)i->Imm) != 0) goto Jump; ip++; continue;
                case 0x4d: if ((r[i->Dst] & r[i->Src]) != 0) goto Jump; ip++; continue;
                case 0x55: if (r[i->Dst] != (ulong)i->Imm) goto Jump; ip++; continue;
                case 0x5d: if (r[i->Dst] != r[i->Src]) goto Jump; ip++; continue;
                case 0x65: if ((long)r[i->Dst] > i->Imm) goto Jump; ip++; continue;
                case 0x6d: if ((long)r[i->Dst] > (long)r[i->Src]) goto Jump; ip++; continue;
                case 0x75: if ((long)r[i->Dst] >= i->Imm) goto Jump; ip++; continue;
                case 0x7d: if ((long)r[i->Dst] >= (long)r[i->Src]) goto Jump; ip++; continue;
                case 0xa5: if (r[i->Dst] < (ulong)i->Imm) goto Jump; ip++; continue;
                case 0xad: if (r[i->Dst] < r[i->Src]) goto Jump; ip++; continue;
                case 0xb5: if (r[i->Dst] <= (ulong)i->Imm) goto Jump; ip++; continue;
                case 0xbd: if (r[i->Dst] <= r[i->Src]) goto Jump; ip++; continue;
                case 0xc5: if ((long)r[i->Dst] < i->Imm) goto Jump; ip++; continue;
                case 0xcd: if ((long)r[i->Dst] < (long)r[i->Src]) goto Jump; ip++; continue;
                case 0xd5: if ((long)r[i->Dst] <= i->Imm) goto Jump; ip++; continue;
                case 0xdd: if ((long)r[i->Dst] <= (long)r[i->Src]) goto Jump; ip++; continue;
                case 0x16: if ((uint)r[i->Dst] == (uint)i->Imm) goto Jump; ip++; continue;
                case 0x1e: if ((uint)r[i->Dst] == (uint)r[i->Src]) goto Jump; ip++; continue;
                case 0x26: if ((uint)r[i->Dst] > (uint)i->Imm) goto Jump; ip++; continue;
                case 0x2e: if ((uint)r[i->Dst] > (uint)r[i->Src]) goto Jump; ip++; continue;
                case 0x36: if ((uint)r[i->Dst] >= (uint)i->Imm) goto Jump; ip++; continue;
                case 0x3e: if ((uint)r[i->Dst] >= (uint)r[i->Src]) goto Jump; ip++; continue;
                case 0x46: if (((uint)r[i->Dst] & (uint)i->Imm) != 0) goto Jump; ip++; continue;
                case 0x4e: if (((uint)r[i->Dst] & (uint)r[i->Src]) != 0) goto Jump; ip++; continue;
                case 0x56: if ((uint)r[i->Dst] != (uint)i->Imm) goto Jump; ip++; continue;
                case 0x5e: if ((uint)r[i->Dst] != (uint)r[i->Src]) goto Jump; ip++; continue;
                case 0x66: if ((int)r[i->Dst] > (int)i->Imm) goto Jump; ip++; continue;
                case 0x6e: if ((int)r[i->Dst] > (int)r[i->Src]) goto Jump; ip++; continue;
                case 0x76: if ((int)r[i->Dst] >= (int)i->Imm) goto Jump; ip++; continue;
                case 0x7e: if ((int)r[i->Dst] >= (int)r[i->Src]) goto Jump; ip++; continue;
                case 0xa6: if ((uint)r[i->Dst] < (uint)i->Imm) goto Jump; ip++; continue;
                case 0xae: if ((uint)r[i->Dst] < (uint)r[i->Src]) goto Jump; ip++; continue;
                case 0xb6: if ((uint)r[i->Dst] <= (uint)i->Imm) goto Jump; ip++; continue;
                case 0xbe: if ((uint)r[i->Dst] <= (uint)r[i->Src]) goto Jump; ip++; continue;
                case 0xc6: if ((int)r[i->Dst] < (int)i->Imm) goto Jump; ip++; continue;
                case 0xce: if ((int)r[i->Dst] < (int)r[i->Src]) goto Jump; ip++; continue;
                case 0xd6: if ((int)r[i->Dst] <= (int)i->Imm) goto Jump; ip++; continue;
                case 0xde: if ((int)r[i->Dst] <= (int)r[i->Src]) goto Jump; ip++; continue;

                // Loads
                case 0x18: r[i->Dst] = (ulong)i->Imm; ip += 2; continue;
                case 0x61: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 4, code, i); ip++; continue;
                case 0x69: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 2, code, i); ip++; continue;
                case 0x71: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 1, code, i); ip++; continue;
                case 0x79: r[i->Dst] = Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 8, code, i); ip++; continue;
                case 0x81: r[i->Dst] = (ulong)(long)(int)Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 4, code, i); ip++; continue;
                case 0x89: r[i->Dst] = (ulong)(long)(short)Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 2, code, i); ip++; continue;
                case 0x91: r[i->Dst] = (ulong)(long)(sbyte)Ld(cx, stackLo, r[i->Src] + (ulong)i->Aux, 1, code, i); ip++; continue;
                // Stores
                case 0x62: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 4, (ulong)i->Imm, code, i); ip++; continue;
                case 0x6a: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 2, (ulong)i->Imm, code, i); ip++; continue;
                case 0x72: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 1, (ulong)i->Imm, code, i); ip++; continue;
                case 0x7a: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 8, (ulong)i->Imm, code, i); ip++; continue;
                case 0x63: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 4, r[i->Src], code, i); ip++; continue;
                case 0x6b: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 2, r[i->Src], code, i); ip++; continue;
                case 0x73: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 1, r[i->Src], code, i); ip++; continue;
                case 0x7b: St(cx, stackLo, r[i->Dst] + (ulong)i->Aux, 8, r[i->Src], code, i); ip++; continue;
                // Atomics
                case 0xc3: Atomic32(cx, code, i, r); ip++; continue;
                case 0xdb: Atomic64(cx, code, i, r); ip++; continue;
                // Legacy packet loads: an out-of-bounds read ends the program with r0 = 0, as in the kernel
                case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50:
                {
                    long offset = (i->Op & 0x40) != 0 ? (int)((uint)r[i->Src] + (uint)i->Imm) : i->Imm;
                    int size = (i->Op & 0x18) switch { 0x00 => 4, 0x08 => 2, _ => 1 };
                    if (!cx.TryLoadPacket(offset, size, out ulong value))
                        return 0;
                    r[0] = value;
                    ip++;
                    continue;
                }

                // Calls and exit
                case 0x85:
                    if (i->Src == 1)
                        goto LocalCall;
                    if (i->Imm == TailCallHelper)
                        goto TailCall;
                    CallHelper(cx, code, ip, depth, i->Imm, r);
                    ip++;
                    continue;
                case 0x8d:
                {
                    ulong target = r[i->Dst];
                    if (VmHandles.IsFunction(target) && VmHandles.FunctionPc(target) < code.Source.Length)
                    {
                        if (depth + 1 >= VmCallContext.MaxFrames)
                            ThrowTooDeep(cx, code, ip);
                        PushFrame(cx, code, depth, Pc(code, ip) + 1, r);
                        depth++;
                        r[10] = cx.StackTop - (ulong)(depth * VmCallContext.FrameSize);
                        ip = Pin(code) + VmHandles.FunctionPc(target);
                        continue;
                    }
                    // uBPF's convention (the conformance suite's callx test): a register holding a helper id calls that helper.
                    if (target == TailCallHelper || target >= (ulong)code.Helpers.Length || code.Helpers[target] is null)
                        ThrowCallx(cx, code, ip, target);
                    CallHelper(cx, code, ip, depth, (long)target, r);
                    ip++;
                    continue;
                }
                case 0x95:
                    if (depth == baseDepth)
                        return r[0];
                    depth--;
                    {
                        ref var f = ref cx.Frames[depth];
                        r[6] = f.R6; r[7] = f.R7; r[8] = f.R8; r[9] = f.R9; r[10] = f.R10;
                        code = f.Code;
                        ip = Pin(code) + f.ReturnPc;
                    }
                    continue;

                default:
                    ThrowOpcode(cx, code, ip);
                    break;
            }

        Jump:
            if (i->Aux <= 0)
            {
                cx.Budget -= 1 - i->Aux;
                if (cx.Budget < 0)
                    ThrowBudget(cx, code, ip);
            }
            ip += i->Aux;
            continue;

        LocalCall:
            if (depth + 1 >= VmCallContext.MaxFrames)
                ThrowTooDeep(cx, code, ip);
            PushFrame(cx, code, depth, Pc(code, ip) + 1, r);
            depth++;
            r[10] = cx.StackTop - (ulong)(depth * VmCallContext.FrameSize);
            ip += i->Aux;
            continue;

        TailCall:
            {
                cx.CurrentCode = code;
                cx.CurrentPc = Pc(code, ip);
                var next = cx.ResolveTailCall(r[2], r[3]);
                if (next is null)
                {
                    ip++; // a failed tail call falls through, as in the kernel
                    continue;
                }
                code = next;
                ip = Pin(code);
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

    private static byte* AtomicAddress(VmCallContext cx, VmCode code, VmInsn* i, ulong* r, int size)
    {
        // load_acquire is dst = *(src + off), as in the kernel; every other atomic addresses memory through dst.
        bool load = i->Imm == VmAtomic.LoadAcquire;
        ulong a = r[load ? i->Src : i->Dst] + (ulong)i->Aux;
        cx.CurrentCode = code;
        cx.CurrentPc = Pc(code, i);
        if ((a & (ulong)(size - 1)) != 0)
            throw cx.Fault("misaligned atomic access", a, size);
        return cx.Resolve(a, size, write: !load);
    }

    private static void Atomic32(VmCallContext cx, VmCode code, VmInsn* i, ulong* r)
    {
        if (i->Imm == VmAtomic.LoadAcquire)
        {
            r[i->Dst] = Volatile.Read(ref *(uint*)AtomicAddress(cx, code, i, r, 4));
            return;
        }
        ref int loc = ref *(int*)AtomicAddress(cx, code, i, r, 4);
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

    private static void Atomic64(VmCallContext cx, VmCode code, VmInsn* i, ulong* r)
    {
        if (i->Imm == VmAtomic.LoadAcquire)
        {
            r[i->Dst] = Volatile.Read(ref *(ulong*)AtomicAddress(cx, code, i, r, 8));
            return;
        }
        ref long loc = ref *(long*)AtomicAddress(cx, code, i, r, 8);
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
