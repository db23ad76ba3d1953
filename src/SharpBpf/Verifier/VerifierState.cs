namespace SharpBpf.Verifier;

/// <summary>What each byte of a stack slot holds (the kernel's STACK_INVALID, STACK_MISC, STACK_ZERO, STACK_SPILL).</summary>
public enum StackByte : byte
{
    Invalid,
    Misc,
    Zero,
    Spill,
}

/// <summary>One call frame: registers and the 512-byte stack with its spilled registers.</summary>
public sealed class FrameState
{
    public const int StackSize = 512;
    public const int Slots = StackSize / 8;
    public const ushort AllRegisters = 0x7ff;

    public RegState[] Regs = new RegState[11];
    /// <summary>Byte i describes fp-512+i.</summary>
    public StackByte[] Stack = new StackByte[StackSize];
    /// <summary>Slot s (fp-8*(s+1)) holds this register when its 8 bytes are <see cref="StackByte.Spill"/>.</summary>
    public RegState[] Spilled = new RegState[Slots];
    /// <summary>The instruction the caller continues at when this frame returns (-1 for the main frame).</summary>
    public int ReturnTo = -1;
    /// <summary>The first instruction of this frame's function.</summary>
    public int FunctionStart;
    /// <summary>For callback frames: the helper call that runs them (bpf_loop, bpf_for_each_map_elem), else -1.</summary>
    public int CallbackSite = -1;
    /// <summary>Callback frames: true for the widened re-run that stands for every later run.</summary>
    public bool Iterated;
    /// <summary>Callback frames: the frame as the callback was entered, to run it again.</summary>
    public FrameState? EntryCopy;

    public FrameState WithIteratedFlag()
    {
        var copy = Clone();
        copy.Iterated = true;
        return copy;
    }

    public FrameState Clone() => new()
    {
        Iterated = Iterated,
        EntryCopy = EntryCopy,
        Regs = (RegState[])Regs.Clone(),
        Stack = (StackByte[])Stack.Clone(),
        Spilled = (RegState[])Spilled.Clone(),
        ReturnTo = ReturnTo,
        FunctionStart = FunctionStart,
        CallbackSite = CallbackSite,
    };

    public static int SlotOf(int stackOffset) => (-stackOffset - 1) / 8;

    /// <summary>This (old) frame covers <paramref name="cur"/>; registers whose bit in <paramref name="live"/> is clear are dead
    /// (no path reads them before writing them) and may hold anything.</summary>
    public bool Covers(FrameState cur, Dictionary<int, int> idMap, ushort live = AllRegisters)
    {
        if (ReturnTo != cur.ReturnTo || FunctionStart != cur.FunctionStart || CallbackSite != cur.CallbackSite)
            return false;
        for (int r = 0; r < Regs.Length; r++)
            if ((live & (1 << r)) != 0 && !Regs[r].Covers(cur.Regs[r], idMap))
                return false;
        var oldSlots = System.Runtime.InteropServices.MemoryMarshal.Cast<StackByte, ulong>(Stack.AsSpan());
        var curSlots = System.Runtime.InteropServices.MemoryMarshal.Cast<StackByte, ulong>(cur.Stack.AsSpan());
        for (int s = 0; s < Slots; s++)
        {
            int at = StackSize - 8 * (s + 1);
            // eight bytes at a time first: all Invalid/Misc in the old state, or the same bytes and none a spill
            ulong o = oldSlots[at / 8];
            if ((o & 0xfefe_fefe_fefe_fefe) == 0 || (o == curSlots[at / 8] && (o & (o >> 1) & 0x0101_0101_0101_0101) == 0))
                continue;
            for (int b = 0; b < 8; b++)
            {
                var old = Stack[at + b];
                var now = cur.Stack[at + b];
                // Reading uninitialised or misc stack yields an unknown scalar (root may read uninitialised stack).
                if (old is StackByte.Invalid or StackByte.Misc)
                    continue;
                if (old == StackByte.Zero && now == StackByte.Zero)
                    continue;
                if (old == StackByte.Zero && now == StackByte.Spill && cur.Spilled[s] is { Kind: RegKind.Scalar, IsConst: true, Var.Value: 0 })
                    continue;
                if (old == StackByte.Spill && now == StackByte.Spill)
                {
                    if (!Spilled[s].Covers(cur.Spilled[s], idMap))
                        return false;
                    break;
                }
                return false;
            }
        }
        return true;
    }
}

/// <summary>The state on one path: the call frames and the references it holds.</summary>
public sealed class VerifierState
{
    public List<FrameState> Frames = [];
    /// <summary>Ring buffer reservations not yet submitted: reference id → the instruction that made it.</summary>
    public Dictionary<int, int> References = [];
    public int Insn;
    /// <summary>The latest checkpoint on this path (for counting unexplored branches below it).</summary>
    public Checkpoint? Parent;

    public FrameState Current => Frames[^1];
    public RegState[] Regs => Frames[^1].Regs;

    public VerifierState Clone() => new()
    {
        Frames = Frames.Select(f => f.Clone()).ToList(),
        References = new Dictionary<int, int>(References),
        Insn = Insn,
        Parent = Parent,
    };

    /// <summary>Every register and spilled slot of every frame, for updates by id.</summary>
    public IEnumerable<(FrameState Frame, int Index, bool Spilled)> AllValues()
    {
        foreach (var f in Frames)
        {
            for (int r = 0; r < f.Regs.Length; r++)
                yield return (f, r, false);
            for (int s = 0; s < FrameState.Slots; s++)
                if (f.Stack[FrameState.StackSize - 8 * (s + 1)] == StackByte.Spill)
                    yield return (f, s, true);
        }
    }

    public static ref RegState At((FrameState Frame, int Index, bool Spilled) v) =>
        ref v.Spilled ? ref v.Frame.Spilled[v.Index] : ref v.Frame.Regs[v.Index];

    /// <summary>This (old) state covers <paramref name="cur"/>: every value <paramref name="cur"/> may hold, this one allowed
    /// for; <paramref name="live"/> masks the current frame's registers (callers' frames are compared whole).</summary>
    public bool Covers(VerifierState cur, ushort live = FrameState.AllRegisters)
    {
        if (Frames.Count != cur.Frames.Count || References.Count != cur.References.Count)
            return false;
        var idMap = IdMap;
        idMap.Clear();
        for (int i = 0; i < Frames.Count; i++)
            if (!Frames[i].Covers(cur.Frames[i], idMap, i == Frames.Count - 1 ? live : FrameState.AllRegisters))
                return false;
        return true;
    }

    [ThreadStatic]
    private static Dictionary<int, int>? _idMap;
    private static Dictionary<int, int> IdMap => _idMap ??= [];
}

/// <summary>A state saved at a pruning point; it may prune later paths once every branch below it has been explored.</summary>
public sealed class Checkpoint(VerifierState state, Checkpoint? parent)
{
    public VerifierState State { get; } = state;
    public Checkpoint? Parent { get; } = parent;
    /// <summary>Paths below this checkpoint still being explored (the kernel's branches count).</summary>
    public int Branches { get; set; } = 1;
}
