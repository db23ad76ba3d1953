using SharpBpf.Isa;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// Finds packet loads that need no bounds check: the classic <c>if (data + N &gt; data_end) return;</c> followed by loads
/// at data + [0, N). A forward analysis over all pcs, iterated to a fixpoint, tracks per register a small unsigned scalar
/// range, "cx.Data + [lo, hi]" or "cx.DataEnd", and per state the proven packet length (Data + len &lt;= DataEnd).
/// <para>
/// Which registers hold Data or DataEnd is only a hypothesis (a 4-byte load at the context's data/data_end offset, from
/// whatever base): it becomes a fact at a guard, the comparison of a pointer with data_end, where compiled code checks
/// every hypothesised register against cx.Data/cx.DataEnd (and that the run has a packet) and hands the run to the
/// interpreter at that pc when any differs. Only validated pointers, inside a proven length, skip the check. Anything the
/// analysis does not model makes the register unknown; calls, stores other than through r10, atomics and legacy packet
/// loads forget everything (helpers may move the packet); entries start knowing nothing. Ranges are exact until a pc has
/// been visited many times (a loop counter converges), then widened to unknown; too many visits give up entirely.
/// </para>
/// </summary>
internal sealed class JitPacketProofs
{
    private const long Limit = 1L << 31;
    private const int WidenAfterVisits = 200, MaxVisitsPerPc = 600;

    private enum Kind : byte { Unknown, Scalar, Packet, End }

    private record struct Reg
    {
        public Kind Kind;
        public bool Valid; // Packet/End: validated by a guard since the last time the facts were forgotten
        public long Lo, Hi; // Scalar: the unsigned range; Packet: the offset range from cx.Data

        public static Reg Scalar(long lo, long hi) =>
            lo >= 0 && hi <= Limit && lo <= hi ? new Reg { Kind = Kind.Scalar, Lo = lo, Hi = hi } : default;
        public static Reg Packet(bool valid, long lo, long hi) =>
            lo >= -Limit && hi <= Limit && lo <= hi ? new Reg { Kind = Kind.Packet, Valid = valid, Lo = lo, Hi = hi } : default;
        public bool Exact => Lo == Hi;
    }

    private sealed class State
    {
        public readonly Reg[] R = new Reg[11];
        public long Length; // Data + Length <= DataEnd is proven

        public State Clone()
        {
            var s = new State { Length = Length };
            Array.Copy(R, s.R, 11);
            return s;
        }

        /// <summary>Widens this state to cover <paramref name="o"/> (with <paramref name="widen"/>, a register that would
        /// change becomes unknown, so loops converge); true when it changed.</summary>
        public bool Join(State o, bool widen)
        {
            bool changed = false;
            for (int i = 0; i < 11; i++)
            {
                var a = R[i];
                var b = o.R[i];
                Reg j = a.Kind != b.Kind ? default : a.Kind switch
                {
                    Kind.Scalar => Reg.Scalar(Math.Min(a.Lo, b.Lo), Math.Max(a.Hi, b.Hi)),
                    Kind.Packet => Reg.Packet(a.Valid && b.Valid, Math.Min(a.Lo, b.Lo), Math.Max(a.Hi, b.Hi)),
                    Kind.End => new Reg { Kind = Kind.End, Valid = a.Valid && b.Valid },
                    _ => default,
                };
                if (!j.Equals(a))
                {
                    R[i] = widen ? default : j;
                    changed = true;
                }
            }
            long len = Math.Min(Length, o.Length);
            changed |= len != Length;
            Length = len;
            return changed;
        }
    }

    private readonly VmCode _code;
    private readonly Contexts.VmContext _context;
    private readonly State?[] _in;
    private readonly bool[] _unchecked;
    private readonly (int Reg, bool End, long Offset)[]?[] _guards;

    /// <summary>True when the load at <paramref name="pc"/> is proven inside the packet.</summary>
    public bool IsUnchecked(int pc) => _unchecked[pc];

    /// <summary>At a guard pc: the registers to check before the jump (End: against cx.DataEnd, else cx.Data + Offset).</summary>
    public (int Reg, bool End, long Offset)[]? GuardAt(int pc) => _guards[pc];

    public JitPacketProofs(VmCode code, JitBlocks blocks, Contexts.VmContext context)
    {
        _code = code;
        _context = context;
        int n = code.Source.Length;
        _in = new State?[n];
        _unchecked = new bool[n];
        _guards = new (int, bool, long)[]?[n];
        if (!HasHypotheses() || !Solve(blocks))
            return;
        for (int pc = 0; pc < n; pc++)
        {
            var s = _in[pc];
            if (s is null)
                continue;
            var insn = code.Source[pc];
            ref readonly var i = ref code.Insns[pc];
            if (insn.Info.Shape == InstructionShape.Load && (i.Op & 0xe0) == (int)OpMode.Mem
                && s.R[i.Src] is { Kind: Kind.Packet, Valid: true } p
                && p.Lo + i.Aux >= 0 && p.Hi + i.Aux + insn.Info.Width <= s.Length)
                _unchecked[pc] = true;
            if (IsGuard(pc, s, out _))
                _guards[pc] = [.. Enumerable.Range(0, 11)
                    .Where(r => s.R[r].Kind == Kind.End || s.R[r] is { Kind: Kind.Packet, Exact: true })
                    .Select(r => (r, s.R[r].Kind == Kind.End, s.R[r].Lo))];
        }
        if (!_unchecked.Any(u => u))
            Array.Clear(_guards);
    }

    /// <summary>Worth analysing: some load reads data or data_end, and some other load, not through r10, might read the packet.</summary>
    private bool HasHypotheses()
    {
        bool field = false, other = false;
        for (int pc = 0; pc < _code.Source.Length; pc++)
        {
            if (_code.Source[pc].Info.Shape != InstructionShape.Load)
                continue;
            if (IsPacketFieldLoad(pc) != Contexts.VmPacketField.None)
                field = true;
            else if (_code.Insns[pc].Src != 10)
                other = true;
        }
        return field && other;
    }

    private Contexts.VmPacketField IsPacketFieldLoad(int pc)
    {
        ref readonly var i = ref _code.Insns[pc];
        return _code.Source[pc].Info.Shape == InstructionShape.Load && i.Op == 0x61
            ? _context.PacketPointerAt(i.Aux) : Contexts.VmPacketField.None;
    }

    private bool Solve(JitBlocks blocks)
    {
        int n = _code.Source.Length;
        var visits = new int[n];
        var work = new Stack<int>();
        foreach (int e in blocks.Entries)
        {
            _in[e] = new State();
            work.Push(e);
        }
        foreach (int r in blocks.ReturnSites)
            if (r < n)
            {
                _in[r] = new State();
                work.Push(r);
            }
        var isEntry = new bool[n + 1];
        foreach (int e in blocks.Entries.Concat(blocks.ReturnSites))
            isEntry[e] = true;

        void Flow(int target, State s)
        {
            if (target < 0 || target >= n || isEntry[target])
                return; // entries stay at "nothing known"; off the end faults
            if (_in[target] is null)
                _in[target] = s.Clone();
            else if (!_in[target]!.Join(s, widen: visits[target] >= WidenAfterVisits))
                return;
            work.Push(target);
        }

        while (work.Count > 0)
        {
            int pc = work.Pop();
            if (++visits[pc] > MaxVisitsPerPc)
                return false;
            var s = _in[pc]!.Clone();
            var insn = _code.Source[pc];
            ref readonly var i = ref _code.Insns[pc];
            if (i.Op == VmInsn.Poisoned)
                continue;
            switch (insn.Info.Shape)
            {
                case InstructionShape.Alu:
                    s.R[i.Dst] = Alu(s, in i);
                    Flow(pc + 1, s);
                    break;
                case InstructionShape.Neg:
                case InstructionShape.Endian:
                    s.R[i.Dst] = default;
                    Flow(pc + 1, s);
                    break;
                case InstructionShape.LoadImm64:
                    s.R[i.Dst] = default;
                    Flow(pc + 2, s);
                    break;
                case InstructionShape.Load:
                    s.R[i.Dst] = IsPacketFieldLoad(pc) switch
                    {
                        Contexts.VmPacketField.Data => Reg.Packet(false, 0, 0),
                        Contexts.VmPacketField.DataEnd => new Reg { Kind = Kind.End },
                        _ => default,
                    };
                    Flow(pc + 1, s);
                    break;
                case InstructionShape.StoreImm:
                case InstructionShape.StoreReg:
                    Flow(pc + 1, i.Dst == 10 ? s : new State());
                    break;
                case InstructionShape.Ja:
                    Flow(pc + i.Aux, s);
                    break;
                case InstructionShape.CondJump:
                    CondJump(pc, s, in i, out var taken, out var notTaken);
                    Flow(pc + i.Aux, taken);
                    Flow(pc + 1, notTaken);
                    break;
                case InstructionShape.Exit:
                    break;
                default: // calls, callx, atomics, legacy packet loads, anything else
                    Flow(pc + 1, new State());
                    break;
            }
        }
        return true;
    }

    private static Reg Alu(State s, in VmInsn i)
    {
        var d = s.R[i.Dst];
        switch (i.Op)
        {
            case 0xb7: // mov64 imm
                return Reg.Scalar(i.Imm, i.Imm);
            case 0xb4 when i.Aux == 0: // mov32 imm
                return Reg.Scalar((uint)i.Imm, (uint)i.Imm);
            case 0xbf when i.Aux == 0: // mov64 reg
                return s.R[i.Src];
            case 0x07: // add64 imm
                return Add(d, Reg.Scalar(i.Imm, i.Imm), i.Imm);
            case 0x17: // sub64 imm
                return Add(d, Reg.Scalar(-i.Imm, -i.Imm), -i.Imm);
            case 0x0f: // add64 reg
            {
                var src = s.R[i.Src];
                return src.Kind == Kind.Packet ? Add(src, d, null) : Add(d, src, null);
            }
            default:
                return default;
        }
    }

    /// <summary>a + b, b a scalar (or, with <paramref name="imm"/>, a constant that may be negative).</summary>
    private static Reg Add(Reg a, Reg b, long? imm)
    {
        long lo, hi;
        if (imm is { } k)
            (lo, hi) = (k, k);
        else if (b.Kind == Kind.Scalar)
            (lo, hi) = (b.Lo, b.Hi);
        else
            return default;
        return a.Kind switch
        {
            Kind.Scalar => Reg.Scalar(a.Lo + lo, a.Hi + hi),
            Kind.Packet => Reg.Packet(a.Valid, a.Lo + lo, a.Hi + hi),
            _ => default,
        };
    }

    /// <summary>A 64-bit unsigned comparison of an exact packet pointer with data_end (either way round).</summary>
    private bool IsGuard(int pc, State s, out (long Offset, bool ProvenWhenTaken) g) => IsGuard(s, in _code.Insns[pc], out g);

    private static bool IsGuard(State s, in VmInsn i, out (long Offset, bool ProvenWhenTaken) g)
    {
        g = default;
        if ((i.Op & 0x0f) != 0x0d) // JMP class (64-bit), register source
            return false;
        var a = s.R[i.Dst];
        var b = s.R[i.Src];
        var op = (JmpOp)(i.Op & 0xf0);
        if (a is { Kind: Kind.Packet, Exact: true } && b.Kind == Kind.End)
        {
            // ptr > end, ptr >= end: proven when not taken; ptr <= end, ptr < end: when taken
            if (op is JmpOp.Jgt or JmpOp.Jge) { g = (a.Lo, false); return true; }
            if (op is JmpOp.Jle or JmpOp.Jlt) { g = (a.Lo, true); return true; }
        }
        else if (a.Kind == Kind.End && b is { Kind: Kind.Packet, Exact: true })
        {
            // end < ptr, end <= ptr: proven when not taken; end >= ptr, end > ptr: when taken
            if (op is JmpOp.Jlt or JmpOp.Jle) { g = (b.Lo, false); return true; }
            if (op is JmpOp.Jge or JmpOp.Jgt) { g = (b.Lo, true); return true; }
        }
        return false;
    }

    private void CondJump(int pc, State s, in VmInsn i, out State taken, out State notTaken)
    {
        if (IsGuard(pc, s, out (long Offset, bool ProvenWhenTaken) g))
        {
            // past the guard every hypothesis it checked holds; the inexact ones it could not check are dropped
            for (int r = 0; r < 11; r++)
            {
                ref var reg = ref s.R[r];
                if (reg.Kind == Kind.End || reg is { Kind: Kind.Packet, Exact: true })
                    reg.Valid = true;
                else if (reg is { Kind: Kind.Packet, Valid: false })
                    reg = default;
            }
            taken = s.Clone();
            notTaken = s.Clone();
            var proven = g.ProvenWhenTaken ? taken : notTaken;
            proven.Length = Math.Max(proven.Length, g.Offset);
            return;
        }
        taken = s.Clone();
        notTaken = s.Clone();
        if ((i.Op & 0x0f) != 0x05) // only 64-bit comparisons with an immediate refine ranges
            return;
        var d = s.R[i.Dst];
        long k = i.Imm;
        if (d.Kind != Kind.Scalar || k < 0)
            return;
        (long lo, long hi) t = (d.Lo, d.Hi), f = (d.Lo, d.Hi);
        switch ((JmpOp)(i.Op & 0xf0))
        {
            case JmpOp.Jeq: t = (k, k); f = NotEqual(d, k); break;
            case JmpOp.Jne: f = (k, k); t = NotEqual(d, k); break;
            case JmpOp.Jgt: t.lo = Math.Max(d.Lo, k + 1); f.hi = Math.Min(d.Hi, k); break;
            case JmpOp.Jge: t.lo = Math.Max(d.Lo, k); f.hi = Math.Min(d.Hi, k - 1); break;
            case JmpOp.Jlt: t.hi = Math.Min(d.Hi, k - 1); f.lo = Math.Max(d.Lo, k); break;
            case JmpOp.Jle: t.hi = Math.Min(d.Hi, k); f.lo = Math.Max(d.Lo, k + 1); break;
            default: return;
        }
        // an empty range means the edge cannot be taken: keeping the unrefined range there is merely imprecise
        if (t.lo <= t.hi)
            taken.R[i.Dst] = Reg.Scalar(t.lo, t.hi);
        if (f.lo <= f.hi)
            notTaken.R[i.Dst] = Reg.Scalar(f.lo, f.hi);
    }

    private static (long, long) NotEqual(Reg d, long k) =>
        d.Lo == k ? (d.Lo + 1, d.Hi) : d.Hi == k ? (d.Lo, d.Hi - 1) : (d.Lo, d.Hi);
}
