using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpBpf.Isa;
using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm;

/// <summary>
/// The state of one run of a program: its stack, context, packet and the bounds check that guards every load and
/// store. Helpers receive it to reach program memory safely (<see cref="GetSpan"/>), resolve map pointers and call
/// back into the program. Reused from run to run (so runs do not allocate); valid only during the helper call.
/// </summary>
public sealed unsafe partial class VmCallContext : IDisposable
{
    internal const int FrameSize = 512;
    internal const int MaxFrames = 8;
    internal const int StackSize = FrameSize * MaxFrames;
    internal const int CtxCapacity = 256;
    internal const int MaxTailCalls = 33;

    internal readonly byte* Stack;
    internal readonly byte* CtxBuffer;
    /// <summary>Read-only memory helpers hand to callbacks (bpf_for_each_map_elem's key).</summary>
    internal readonly byte* Scratch;
    internal const int ScratchSize = 1024;
    internal readonly Frame[] Frames = new Frame[MaxFrames];
    private readonly VmRegion[] _extraRegions = new VmRegion[16];
    private int _extraCount;
    private readonly RingReservations _reservations = new();

    // The raw memory context (r1 = pointer, r2 = length): the conformance suite's convention.
    internal byte* RawBuffer;
    internal int RawCapacity;
    internal long RawLength;

    // The packet of xdp and skb contexts: [HardStart .. HardEnd) with data_meta <= data <= data_end inside.
    internal byte* PacketBuffer;
    internal int PacketCapacity;
    internal nint HardStart, DataMeta, Data, DataEnd, HardEnd;
    internal bool HasPacket, PacketWritable;

    // A context the program sees as the kernel's UAPI struct; loads and stores of it are translated field by field.
    internal VmContext? Context;

    internal long Budget;
    internal int TailCalls;
    internal VmCode CurrentCode = null!;
    internal int CurrentPc;
    internal int CurrentDepth;
    private int _lastMapRegion = -1;
    private IVmMap? _lastMap;
    private bool _disposed;

    internal struct Frame
    {
        public VmCode Code;
        public int ReturnPc;
        public ulong R6, R7, R8, R9, R10;
    }

    internal VmCallContext(VmEngine engine)
    {
        Engine = engine;
        Stack = (byte*)NativeMemory.AlignedAlloc(StackSize, 64);
        CtxBuffer = (byte*)NativeMemory.AlignedAlloc(CtxCapacity, 64);
        NativeMemory.Clear(Stack, StackSize);
        NativeMemory.Clear(CtxBuffer, CtxCapacity);
        Scratch = (byte*)NativeMemory.AlignedAlloc(ScratchSize, 64);
        NativeMemory.Clear(Scratch, ScratchSize);
    }

    /// <summary>The engine the program runs in (its maps, options, other programs).</summary>
    public VmEngine Engine { get; }

    /// <summary>The program the caller ran (tail calls do not change it).</summary>
    public VmProgram Program { get; internal set; } = null!;

    public VmOptions Options => Engine.Options;

    /// <summary>The CPU the run pretends to execute on.</summary>
    public int Cpu => Engine.Options.CurrentCpu;

    /// <summary>What the last <c>bpf_redirect</c>/<c>bpf_redirect_map</c> asked for, or null.</summary>
    public VmRedirect? Redirect { get; internal set; }

    /// <summary>What skb helpers leave on the run's packet (tunnel metadata, encapsulation), as the kernel keeps it on the skb.</summary>
    internal Helpers.SkbRunState Skb { get; } = new();

    /// <summary>The address r10 points to in the outermost frame.</summary>
    internal ulong StackTop => (ulong)Stack + StackSize;

    /// <summary>Prepares for a new run of <paramref name="program"/>.</summary>
    internal void Reset(VmProgram program)
    {
        Program = program;
        Redirect = null;
        Skb.Clear();
        Context = null;
        HasPacket = false;
        RawLength = 0;
        ResetRun();
    }

    /// <summary>Prepares for the next of repeated runs on the same context and packet (the kernel's test_run repeats so).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ResetRun()
    {
        CurrentCode = Program.Code;
        Budget = Engine.Options.InstructionBudget;
        _reservations.DiscardAll();
        TailCalls = 0;
        CurrentDepth = 0;
        _extraCount = 0;
        ReleaseLocks(); // a lock a run left held must not make the next one spin
        _jitPrimed = false;
    }

    // ---- memory model -------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Inside(ulong address, int size, ulong start, long length) =>
        length >= size && address - start <= (ulong)(length - size);

    /// <summary>The host pointer for [address, address+size) when the program may access it; otherwise a <see cref="VmFault"/>.
    /// Context memory is not reachable here: it is accessed field by field (<see cref="Load"/>/<see cref="Store"/>).</summary>
    internal byte* Resolve(ulong address, int size, bool write)
    {
        byte* p = TryResolve(address, size, write, out string? error);
        return p != null ? p : throw Fault(error!, address, size);
    }

    /// <summary>The bounds check: null and the reason when [address, address+size) is not memory the program may access so.</summary>
    private byte* TryResolve(ulong address, int size, bool write, out string? error)
    {
        error = null;
        if (Inside(address, size, (ulong)Stack, StackSize))
            return (byte*)address;
        if (RawLength > 0 && Inside(address, size, (ulong)RawBuffer, RawLength))
            return (byte*)address;
        if (HasPacket && Inside(address, size, (ulong)DataMeta, DataEnd - DataMeta))
        {
            if (write && !PacketWritable)
                error = "write into a read-only packet";
            return error is null ? (byte*)address : null;
        }
        if (Context is not null && address - (ulong)CtxBuffer < (ulong)Context.Size)
        {
            error = "invalid context access (the context is accessed by field, not through helpers or atomics)";
            return null;
        }
        if (_reservations.Contains(address, size))
            return (byte*)address;
        if (FindMapRegion(address, size, out bool writable))
        {
            if (write && !writable)
                error = "write into read-only map memory";
            return error is null ? (byte*)address : null;
        }
        if (Inside(address, size, (ulong)Scratch, ScratchSize))
        {
            if (write)
                error = "write into read-only helper memory";
            return error is null ? (byte*)address : null;
        }
        for (int i = 0; i < _extraCount; i++)
        {
            var region = _extraRegions[i];
            if (Inside(address, size, (ulong)region.Start, region.Length))
            {
                if (write && !region.Writable)
                    error = "write into read-only memory";
                return error is null ? (byte*)address : null;
            }
        }
        error = address < 4096 ? "invalid memory access (null pointer)" : "invalid memory access";
        return null;
    }

    /// <summary>True (and the bytes) when the program may read [address, address+length).</summary>
    public bool TryGetReadable(ulong address, ulong length, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (length == 0)
            return true;
        if (length > int.MaxValue)
            return false;
        ChargeBytes(length);
        byte* p = TryResolve(address, (int)length, write: false, out _);
        if (p == null)
            return false;
        bytes = new ReadOnlySpan<byte>(p, (int)length);
        return true;
    }

    private bool FindMapRegion(ulong address, int size, out bool writable)
    {
        if (_lastMap is not null)
        {
            var regions = _lastMap.Regions;
            if (_lastMapRegion < regions.Count)
            {
                var r = regions[_lastMapRegion];
                if (Inside(address, size, (ulong)r.Start, r.Length))
                {
                    writable = r.Writable;
                    return true;
                }
            }
        }
        var maps = Engine.MapsSnapshot;
        for (int m = 0; m < maps.Length; m++)
        {
            var regions = maps[m].Regions;
            for (int i = 0; i < regions.Count; i++)
            {
                var r = regions[i];
                if (Inside(address, size, (ulong)r.Start, r.Length))
                {
                    _lastMap = maps[m];
                    _lastMapRegion = i;
                    writable = r.Writable;
                    return true;
                }
            }
        }
        writable = false;
        return false;
    }

    /// <summary>A load that missed the stack fast path: context fields are translated, everything else bounds-checked.</summary>
    internal ulong Load(ulong address, int size)
    {
        if (Context is not null && address - (ulong)CtxBuffer < (ulong)Context.Size)
        {
            int offset = (int)(address - (ulong)CtxBuffer);
            if (!Context.TryLoad(this, offset, size, out ulong value))
                throw Fault($"invalid {Context.Name} access: read of {size} bytes at offset {offset}", address, size);
            return value;
        }
        byte* p = Resolve(address, size, write: false);
        return size switch
        {
            1 => *p,
            2 => Unsafe.ReadUnaligned<ushort>(p),
            4 => Unsafe.ReadUnaligned<uint>(p),
            _ => Unsafe.ReadUnaligned<ulong>(p),
        };
    }

    internal void Store(ulong address, int size, ulong value)
    {
        if (Context is not null && address - (ulong)CtxBuffer < (ulong)Context.Size)
        {
            int offset = (int)(address - (ulong)CtxBuffer);
            if (!Context.TryStore(this, offset, size, value))
                throw Fault($"invalid {Context.Name} access: write of {size} bytes at offset {offset}", address, size);
            return;
        }
        byte* p = Resolve(address, size, write: true);
        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
            case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
            default: Unsafe.WriteUnaligned(p, value); break;
        }
    }

    /// <summary>A fault at the instruction being executed.</summary>
    internal VmFault Fault(string reason, ulong address = 0, int size = 0)
    {
        string what = size > 0 ? $"{reason}: {size} bytes at 0x{address:x}" : reason;
        return new VmFault(what, CurrentPc, CurrentCode.SourceAt(CurrentPc), address, size);
    }

    // ---- what helpers use ---------------------------------------------------------------------------------------

    /// <summary>
    /// The program memory [<paramref name="address"/>, +<paramref name="length"/>) as a span, after checking that the program
    /// may read it (and write it when <paramref name="write"/>). Throws <see cref="VmFault"/> otherwise. Empty for length 0.
    /// </summary>
    public Span<byte> GetSpan(ulong address, ulong length, bool write)
    {
        if (length == 0)
            return [];
        if (length > int.MaxValue)
            throw Fault($"helper argument length {length} is too large", address, 0);
        ChargeBytes(length);
        return new Span<byte>(Resolve(address, (int)length, write), (int)length);
    }

    /// <summary>Checked pointer to program memory, for built-in helpers.</summary>
    internal byte* GetPointer(ulong address, ulong length, bool write)
    {
        if (length == 0)
            return null;
        if (length > int.MaxValue)
            throw Fault($"helper argument length {length} is too large", address, 0);
        ChargeBytes(length);
        return Resolve(address, (int)length, write);
    }

    /// <summary>
    /// Charges a helper's work to the run's instruction budget (<see cref="VmOptions.InstructionBudget"/>), in instructions:
    /// what the program would have executed to do the same. Faults when the budget runs out, as a runaway loop does.
    /// </summary>
    public void Charge(ulong instructions)
    {
        if (instructions > (ulong)Math.Max(Budget, 0))
        {
            Budget = -1;
            throw Fault(BudgetExhaustedMessage);
        }
        Budget -= (long)instructions;
    }

    /// <summary>Charges helper work over <paramref name="bytes"/> bytes (copied, compared, formatted): one instruction per 8.</summary>
    public void ChargeBytes(ulong bytes) => Charge(bytes / 8 + 1);

    internal string BudgetExhaustedMessage =>
        $"instruction budget of {Options.InstructionBudget} instructions exhausted (a runaway loop?; raise VmOptions.InstructionBudget)";

    /// <summary>The map a map pointer argument (from <c>ld_imm64 src=1</c> or a map-in-map lookup) designates; faults otherwise.</summary>
    public IVmMap GetMap(ulong mapPointer) =>
        VmHandles.IsMap(mapPointer) && Engine.MapById(VmHandles.MapId(mapPointer)) is { } map
            ? map
            : throw Fault($"0x{mapPointer:x} is not a map pointer");

    /// <summary>The value a program holds for <paramref name="map"/> (what a map-in-map lookup returns).</summary>
    public ulong MapPointer(IVmMap map) => VmHandles.Map(Engine.IdOf(map));

    /// <summary>Lets the program touch <paramref name="region"/> for the rest of this run (memory a custom helper hands out).</summary>
    public void AddRegion(VmRegion region)
    {
        if (_extraCount == _extraRegions.Length)
            throw new InvalidOperationException($"at most {_extraRegions.Length} extra regions per run");
        _extraRegions[_extraCount++] = region;
    }

    /// <summary>
    /// Calls a function of the running program (a callback for bpf_loop, bpf_for_each_map_elem...) given its address
    /// as the program passed it (<c>ld_imm64 src=4</c>), with r1–r5; returns its r0. It runs in a new stack frame.
    /// </summary>
    public ulong InvokeCallback(ulong function, ulong r1, ulong r2 = 0, ulong r3 = 0, ulong r4 = 0, ulong r5 = 0)
    {
        if (!VmHandles.IsFunction(function) || VmHandles.FunctionPc(function) >= CurrentCode.Source.Length)
            throw Fault($"0x{function:x} is not a function address of this program");
        return Interpreter.InvokeFunction(this, VmHandles.FunctionPc(function), r1, r2, r3, r4, r5);
    }

    /// <summary>1 while the program holds a bpf_spin_lock (the kernel allows one at a time).</summary>
    internal int SpinLockHeld;
    internal ulong SpinLockAddress;

    /// <summary>Takes <paramref name="size"/> bytes from <paramref name="ring"/> as a sample only this run may write, until it
    /// submits or discards it; null when the ring is full.</summary>
    internal byte* ReserveRecord(IVmRingBuffer ring, ulong size, ulong flags) => _reservations.Reserve(ring, size, flags);

    /// <summary>Submits or discards a sample: only a pointer <see cref="ReserveRecord"/> returned in this run, unmodified, once.</summary>
    internal void CommitRecord(ulong record, ulong flags, bool discard)
    {
        if (!_reservations.Commit(record, flags, discard))
            throw Fault($"0x{record:x} is not a pointer bpf_ringbuf_reserve returned in this run (or it was already submitted or discarded)");
    }

    /// <summary>
    /// Releases what a faulting (or misbehaving) program left held: a bpf_spin_lock, so other runs do not spin forever,
    /// and ring buffer samples it reserved but never submitted (discarded, so the consumer does not wait on them forever).
    /// </summary>
    internal void ReleaseLocks()
    {
        _reservations.DiscardAll();
        if (SpinLockHeld == 0)
            return;
        SpinLockHeld = 0;
        byte* p = TryResolve(SpinLockAddress, 4, write: true, out _);
        if (p != null)
            Volatile.Write(ref *(int*)p, 0);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        NativeMemory.AlignedFree(Stack);
        NativeMemory.AlignedFree(CtxBuffer);
        NativeMemory.AlignedFree(Scratch);
        if (RawBuffer != null)
            NativeMemory.AlignedFree(RawBuffer);
        if (PacketBuffer != null)
            NativeMemory.AlignedFree(PacketBuffer);
    }

    // ---- buffers ------------------------------------------------------------------------------------------------

    /// <summary>Copies <paramref name="memory"/> into the raw-context buffer (grown when needed, reused across runs).</summary>
    internal void SetRawMemory(ReadOnlySpan<byte> memory)
    {
        if (memory.Length > RawCapacity)
        {
            if (RawBuffer != null)
                NativeMemory.AlignedFree(RawBuffer);
            RawCapacity = Math.Max(memory.Length, 256);
            RawBuffer = (byte*)NativeMemory.AlignedAlloc((nuint)RawCapacity, 64);
        }
        memory.CopyTo(new Span<byte>(RawBuffer, RawCapacity));
        RawLength = memory.Length;
    }

    /// <summary>
    /// Sets up a packet buffer of <paramref name="bufferSize"/> bytes (reused across runs) with <paramref name="data"/> copied at
    /// <paramref name="headroom"/>; its first <paramref name="metaLength"/> bytes are metadata (data_meta..data). Tail growth may
    /// reach <paramref name="usableEnd"/> bytes from the start (the kernel keeps room for skb_shared_info after it).
    /// </summary>
    internal void SetPacket(ReadOnlySpan<byte> data, int headroom, int bufferSize, int usableEnd, int metaLength, bool writable)
    {
        if (bufferSize > PacketCapacity)
        {
            if (PacketBuffer != null)
                NativeMemory.AlignedFree(PacketBuffer);
            PacketCapacity = Math.Max(bufferSize, 4096);
            PacketBuffer = (byte*)NativeMemory.AlignedAlloc((nuint)PacketCapacity, 64);
        }
        // Zero around the data (the kernel's buffer is kzalloc'ed): headroom and room to grow are readable after adjustments.
        NativeMemory.Clear(PacketBuffer, (nuint)headroom);
        NativeMemory.Clear(PacketBuffer + headroom + data.Length, (nuint)(bufferSize - headroom - data.Length));
        data.CopyTo(new Span<byte>(PacketBuffer + headroom, data.Length));
        HardStart = (nint)PacketBuffer;
        DataMeta = (nint)(PacketBuffer + headroom);
        Data = DataMeta + metaLength;
        DataEnd = DataMeta + data.Length;
        HardEnd = (nint)(PacketBuffer + usableEnd);
        HasPacket = true;
        PacketWritable = writable;
    }

    /// <summary>LD_ABS/LD_IND: a big-endian read at <paramref name="offset"/> from the packet's data (the memory for raw contexts).</summary>
    internal bool TryLoadPacket(long offset, int size, out ulong value)
    {
        byte* start = HasPacket ? (byte*)Data : RawBuffer;
        long length = HasPacket ? DataEnd - Data : RawLength;
        if (offset < 0 || offset > length - size)
        {
            value = 0;
            return false;
        }
        byte* p = start + offset;
        value = size switch
        {
            1 => *p,
            2 => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p, 2)),
            _ => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p, 4)),
        };
        return true;
    }

    /// <summary>bpf_tail_call's lookup: the code to continue with, or null when the tail call fails (and falls through).</summary>
    internal VmCode? ResolveTailCall(ulong mapPointer, ulong index)
    {
        if (!VmHandles.IsMap(mapPointer) || Engine.MapById(VmHandles.MapId(mapPointer)) is not IVmProgramArray array)
            throw Fault($"bpf_tail_call: r2 (0x{mapPointer:x}) is not a PROG_ARRAY map pointer");
        if ((uint)index >= (uint)array.MaxEntries || TailCalls >= MaxTailCalls)
            return null;
        if (array.GetProgram((uint)index) is not VmProgram target || !ReferenceEquals(target.Engine, Engine))
            return null;
        // As the kernel: a program array only holds programs of its owner's type, so a tail call never changes the context.
        if (target.Type != Program.Type)
            return null;
        TailCalls++;
        Charge((ulong)target.Code.Source.Length); // its straight-line code is free inside the run, so pay for it on entry
        return target.Code;
    }
}

/// <summary>A redirect a program asked for with bpf_redirect (Map null) or bpf_redirect_map.</summary>
public readonly record struct VmRedirect(uint Target, ulong Flags, string? Map);
