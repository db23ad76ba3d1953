using System.Diagnostics;
using System.Text;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Objects;

namespace SharpBpf.Verifier;

/// <summary>
/// Proves a program safe before it runs, by abstract interpretation in the style of the kernel's verifier: every path
/// is walked with the types and bounds of registers and stack, pruned where an explored state already covers it.
/// Diagnostics use the kernel's words. Needs no kernel and no root.
/// </summary>
public static class StaticVerifier
{
    /// <summary>Verifies one program of an object (linked with its subprograms).</summary>
    public static VerificationResult Verify(ObjectSpec obj, ProgramSpec program, VerifierOptions? options = null) =>
        Verify(VerifierInput.From(obj, program), options);

    public static VerificationResult Verify(VerifierInput input, VerifierOptions? options = null) => Verify(input, options, out _);

    /// <summary>Verifies and, when the program is accepted, hands back what was proven about each instruction.</summary>
    internal static VerificationResult Verify(VerifierInput input, VerifierOptions? options, out VerifiedFacts? facts)
    {
        options ??= new VerifierOptions();
        var clock = Stopwatch.StartNew();
        var run = new VerifierRun(input, options);
        string? error = run.Run(out int at);
        clock.Stop();
        facts = error is null ? run.Facts : null;
        var log = new StringBuilder();
        if (error is not null && options.LogLevel >= 1)
            run.WriteTrail(log);
        else if (options.LogLevel >= 2)
            log.Append(run.FullLog);
        string? source = error is null ? null : SourceLines.At(input.LineInfos, at);
        string? hint = error is null ? null : FixHints.For(error);
        if (error is not null)
        {
            log.Append(error).Append('\n');
            if (hint is not null)
                log.Append("hint: ").Append(hint).Append('\n');
        }
        log.Append($"processed {run.Processed} insns (limit {options.ComplexityLimit}) max_states_per_insn {run.MaxStatesPerInsn} " +
            $"total_states {run.TotalStates} peak_states {run.PeakStates} mark_read 0\n");
        return new VerificationResult
        {
            Program = input.Name,
            Error = error?.Split('\n')[0],
            ErrorInstruction = error is null ? -1 : at,
            SourceLine = source,
            Hint = hint,
            Log = log.ToString(),
            ProcessedInstructions = run.Processed,
            TotalStates = run.TotalStates,
            PeakStates = run.PeakStates,
            MaxStatesPerInstruction = run.MaxStatesPerInsn,
            Elapsed = clock.Elapsed,
        };
    }
}

/// <summary>Source text for instructions from .BTF.ext line info.</summary>
internal static class SourceLines
{
    public static BtfLineFor? Find(IReadOnlyList<Btf.BtfLineInfo> lines, int insn)
    {
        Btf.BtfLineInfo? best = null;
        foreach (var line in lines)
            if (line.InstructionOffset <= insn && (best is null || line.InstructionOffset >= best.InstructionOffset))
                best = line;
        return best is null ? null : new BtfLineFor(best.FileName, best.LineNumber, best.Line.Trim(), (int)best.InstructionOffset);
    }

    public static string? At(IReadOnlyList<Btf.BtfLineInfo> lines, int insn) =>
        Find(lines, insn) is { } l ? $"{Path.GetFileName(l.File)}:{l.Number}: {l.Text}" : null;
}

internal sealed record BtfLineFor(string File, uint Number, string Text, int Start);

/// <summary>One sentence on the usual fix for a verifier message.</summary>
internal static class FixHints
{
    private static readonly (string Contains, string Hint)[] Table =
    [
        ("invalid access to packet", "check the packet is long enough first: `if (data + OFFSET + SIZE > data_end) return ...;` before this access"),
        ("outside of the packet", "compare the pointer against data_end after the last change to it and before this access"),
        ("_or_null", "check the pointer a lookup or reservation returned against NULL before using it"),
        ("invalid mem access 'scalar'", "this register holds a number, not a pointer: load pointers from the context, a map lookup or the stack"),
        ("!read_ok", "the register is used before anything was written to it (or a call clobbered r1-r5)"),
        ("invalid access to map value", "keep the offset within the map's value size: bound the index with `if (i >= N) return ...;`"),
        ("min value is negative", "use an unsigned index or check `if (i < 0)` before adding it to a pointer"),
        ("max value is outside", "bound the index from above (`if (i >= N) return ...;` or `i &= MASK`) before the access"),
        ("unbounded memory access", "bound the variable (`if (i >= N)` or `i &= MASK`) so the verifier knows its range"),
        ("Unreleased reference", "submit or discard every ring buffer reservation on every path"),
        ("invalid bpf_context access", "this program type cannot access that context field (or not with that size)"),
        ("stack", "keep stack accesses within the 512-byte frame and aligned to their size"),
        ("unreachable insn", "remove code no path reaches (often a hand-written jump offset is wrong)"),
        ("infinite loop", "make the loop's exit condition depend on something that changes every iteration"),
        ("too large", "split the program (tail calls, bpf_loop) or reduce unrolling so fewer paths need exploring"),
        ("GPL", "declare a GPL-compatible license: `char LICENSE[] SEC(\"license\") = \"GPL\";`"),
        ("expected=", "pass the argument type the helper's prototype asks for"),
    ];

    public static string? For(string error)
    {
        foreach (var (contains, hint) in Table)
            if (error.Contains(contains, StringComparison.Ordinal))
                return hint;
        return null;
    }
}

/// <summary>A persistent list of the instructions a path went through, newest first (cheap to share between forks).</summary>
internal sealed record Trail(int Insn, Trail? Previous);

/// <summary>One verification: the worklist of paths, the checkpoints, the counters and the log.</summary>
internal sealed partial class VerifierRun(VerifierInput input, VerifierOptions options)
{
    private readonly Instruction[] _insns = input.Instructions;
    private ControlFlow _cfg = null!;
    private readonly Stack<(VerifierState State, Trail? Trail)> _pending = new();
    private List<Checkpoint>?[] _checkpoints = [];
    private int[] _stackDepth = [];
    private ushort[] _live = [];
    private int _nextId;
    private VerifierState _state = null!;
    private Trail? _trail;
    private Trail? _failedTrail;
    private readonly StringBuilder _full = new();

    /// <summary>The pointer kinds each load and store went through (meaningful once the run accepted the program).</summary>
    public VerifiedFacts Facts { get; } = new(input.Instructions.Length);
    public int Processed { get; private set; }
    public int TotalStates { get; private set; }
    public int PeakStates { get; private set; }
    public int MaxStatesPerInsn { get; private set; }
    public string FullLog => _full.ToString();

    /// <summary>States kept per instruction (the kernel evicts the ones that never prune instead).</summary>
    private const int MaxCheckpointsPerInsn = 64;

    private sealed class VerifyError(string message) : Exception(message);

    private static VerifyError Fail(string message) => new(message);

    public string? Run(out int at)
    {
        var (cfg, cfgError, cfgAt) = ControlFlow.Build(_insns);
        if (cfg is null)
        {
            at = cfgAt;
            return cfgError;
        }
        _cfg = cfg;
        _live = RegisterLiveness.LiveIn(_insns);
        _checkpoints = new List<Checkpoint>?[_insns.Length];
        _stackDepth = new int[_insns.Length];
        var initial = new VerifierState();
        var main = new FrameState();
        main.Regs[1] = RegState.Pointer(RegKind.Ctx);
        main.Regs[10] = RegState.Pointer(RegKind.Stack);
        initial.Frames.Add(main);
        _pending.Push((initial, null));
        at = 0;
        try
        {
            while (_pending.Count > 0)
            {
                (_state, _trail) = _pending.Pop();
                RunPath();
            }
            CheckCombinedStack();
            return null;
        }
        catch (VerifyError e)
        {
            at = _state.Insn;
            _failedTrail = _trail;
            return e.Message;
        }
    }

    /// <summary>Follows one path until it exits, is pruned, or fails.</summary>
    private void RunPath()
    {
        while (true)
        {
            int i = _state.Insn;
            if (_cfg.PrunePoint[i] && Prune(i))
            {
                Finish();
                return;
            }
            if (++Processed > options.ComplexityLimit)
                throw Fail($"BPF program is too large. Processed {Processed} insn");
            _trail = new Trail(i, _trail);
            bool goesOn = Step(i);
            if (options.LogLevel >= 2)
                _full.Append(i).Append(": ").Append(Text(i)).Append(" ; ").Append(DescribeRegs()).Append('\n');
            if (!goesOn)
            {
                Finish();
                return;
            }
        }
    }

    /// <summary>The path ended: its checkpoints lose a live branch, and those left with none can prune.</summary>
    private void Finish()
    {
        var c = _state.Parent;
        while (c is not null && --c.Branches == 0)
            c = c.Parent;
    }

    /// <summary>Queues the other side of a branch, starting at <paramref name="insn"/>.</summary>
    private void Fork(VerifierState other, int insn)
    {
        other.Insn = insn;
        if (other.Parent is not null)
            other.Parent.Branches++;
        _pending.Push((other, _trail));
        PeakStates = Math.Max(PeakStates, _pending.Count);
    }

    /// <summary>is_state_visited: prune when a fully explored state covers this one; detect loops that make no progress.</summary>
    private bool Prune(int i)
    {
        var list = _checkpoints[i] ??= [];
        int inProgressSeen = 0;
        for (int k = list.Count - 1; k >= Math.Max(0, list.Count - MaxCheckpointsPerInsn); k--)
        {
            var old = list[k];
            if (old.Branches == 0)
            {
                if (old.State.Covers(_state, _live[i]))
                    return true;
            }
            else if (inProgressSeen++ < 4 && old.State.Covers(_state) && _state.Covers(old.State))
            {
                throw Fail($"infinite loop detected at insn {i}");
            }
        }
        if (list.Count >= MaxCheckpointsPerInsn)
            return false; // enough states kept here: only pruning efficiency suffers, not soundness
        var checkpoint = new Checkpoint(_state.Clone(), _state.Parent);
        _state.Parent = checkpoint;
        list.Add(checkpoint);
        TotalStates++;
        MaxStatesPerInsn = Math.Max(MaxStatesPerInsn, list.Count);
        return false;
    }

    private string Text(int i) => KernelDisassembler.Format(_insns[i], i + 1 < _insns.Length ? _insns[i + 1] : default);

    private string DescribeRegs()
    {
        var sb = new StringBuilder();
        var regs = _state.Regs;
        for (int r = 0; r < regs.Length; r++)
            if (regs[r].Kind != RegKind.NotInit)
                sb.Append(sb.Length == 0 ? "" : " ").Append('R').Append(r).Append('=').Append(regs[r]);
        return sb.ToString();
    }

    /// <summary>The failing path in the kernel's level-1 format: source lines as comments, then each instruction.</summary>
    public void WriteTrail(StringBuilder log)
    {
        var path = new List<int>();
        for (var t = _failedTrail; t is not null; t = t.Previous)
            path.Add(t.Insn);
        path.Reverse();
        int lastLine = -1;
        foreach (int i in path)
        {
            if (SourceLines.Find(input.LineInfos, i) is { } line && line.Start != lastLine && line.Start == i)
            {
                log.Append("; ").Append(line.Text).Append(" @ ").Append(Path.GetFileName(line.File)).Append(':').Append(line.Number).Append('\n');
                lastLine = line.Start;
            }
            log.Append(i).Append(": ").Append(Text(i)).Append('\n');
        }
    }

    /// <summary>check_max_stack_depth: the stack of every call chain, each frame rounded up to 32 bytes, fits in 512.</summary>
    private void CheckCombinedStack()
    {
        var depthOf = new Dictionary<int, int>();
        foreach (int f in _cfg.FunctionStarts)
            depthOf[f] = 0;
        for (int i = 0; i < _insns.Length; i++)
        {
            int f = _cfg.FunctionOf(i);
            depthOf[f] = Math.Max(depthOf[f], _stackDepth[i]);
        }
        int Rounded(int f) => (Math.Max(depthOf[f], 1) + 31) / 32 * 32;
        var onPath = new HashSet<int>();
        void Walk(int f, int total, int frames)
        {
            total += Rounded(f);
            if (total > FrameState.StackSize)
                throw Fail($"combined stack size of {frames} calls is {total}. Too large");
            if (!onPath.Add(f))
                return;
            foreach (int callee in _cfg.Callees[f])
                Walk(callee, total, frames + 1);
            onPath.Remove(f);
        }
        Walk(0, 0, 1);
    }

    private int NewId() => ++_nextId;
}
