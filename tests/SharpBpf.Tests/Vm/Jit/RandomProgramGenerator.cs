using SharpBpf.Isa;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm.Jit;

/// <summary>
/// Seeded generator of valid eBPF programs for differential testing: mixed ALU (both widths, immediate and register,
/// signed division), byte swaps, loads, stores and atomics over the stack and a 64-byte memory buffer (r6 = r1), forward
/// conditional jumps, bounded loops (r9 counts down), local calls to a small subprogram. Some accesses are
/// deliberately out of bounds, misaligned or through garbage pointers, so some programs fault.
/// Registers: r0, r2–r5, r8 hold values; r6 points into the memory, r7 into the stack, r9 is the loop counter.
/// Map lookups (the JIT inlines those on arrays) go to the maps of <see cref="CreateMaps"/> (fd_array indexes), with keys in
/// and out of range, constant or from a value register, then read, write or add through the result when it is not null.
/// </summary>
internal sealed class RandomProgramGenerator
{
    public const int MemorySize = 64;

    private static readonly byte[] ValueRegs = [0, 2, 3, 4, 5, 8];
    private static readonly AluOp[] AluOps =
        [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Div, AluOp.Or, AluOp.And, AluOp.Lsh, AluOp.Rsh, AluOp.Neg, AluOp.Mod, AluOp.Xor, AluOp.Mov, AluOp.Arsh];
    private static readonly JmpOp[] CondOps =
        [JmpOp.Jeq, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jset, JmpOp.Jne, JmpOp.Jsgt, JmpOp.Jsge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jslt, JmpOp.Jsle];
    private static readonly OpSize[] Sizes = [OpSize.B, OpSize.H, OpSize.W, OpSize.DW];
    private static readonly int[] AtomicOps =
        [AtomicOp.Add, AtomicOp.Or, AtomicOp.And, AtomicOp.Xor, AtomicOp.Add | AtomicOp.Fetch, AtomicOp.Or | AtomicOp.Fetch,
         AtomicOp.And | AtomicOp.Fetch, AtomicOp.Xor | AtomicOp.Fetch, AtomicOp.Xchg, AtomicOp.CmpXchg];

    private readonly Random _rnd;
    /// <summary>Items: each one instruction or an ld_imm64 pair; jumps are fixed up once the layout is known.</summary>
    private readonly List<Instruction[]> _items = [];
    private readonly List<(int Item, int TargetItem)> _jumps = [];
    private readonly List<int> _calls = [];

    private RandomProgramGenerator(Random rnd) => _rnd = rnd;

    /// <summary>The maps the programs refer to (by fd_array index): an ARRAY, a PERCPU_ARRAY, a HASH (of 4 entries each).</summary>
    public static IVmMap[] CreateMaps(VmEngine engine) =>
    [
        engine.CreateMap(new MapSpec { Name = "array", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = MapEntries }),
        engine.CreateMap(new MapSpec { Name = "percpu", Type = BpfMapType.PercpuArray, KeySize = 4, ValueSize = 12, MaxEntries = MapEntries }),
        engine.CreateMap(new MapSpec { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = MapEntries }),
    ];

    public const int MapEntries = 4;

    /// <summary>A program for <paramref name="seed"/>: the same seed always gives the same program.</summary>
    public static Instruction[] Generate(int seed) => new RandomProgramGenerator(new Random(seed)).Build();

    private Instruction[] Build()
    {
        Add(Mov64Reg(6, 1));
        Add(Mov64Reg(7, 10));
        Add(Alu64Imm(AluOp.Add, 7, -_rnd.Next(1, 9) * 64));
        foreach (byte r in ValueRegs)
            AddConstant(r);
        int bodyItems = _rnd.Next(3, 20);
        int bodyStart = _items.Count;
        while (_items.Count - bodyStart < bodyItems)
            AddStatement(allowControl: true);
        int exitItem = _items.Count;
        Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));
        int subprogram = _items.Count;
        if (_calls.Count > 0)
        {
            for (int k = _rnd.Next(1, 5); k > 0; k--)
                AddStatement(allowControl: false, subprogram: true);
            Add(new Instruction(Opcodes.Exit, 0, 0, 0, 0));
        }

        var slotOf = new int[_items.Count + 1];
        for (int k = 0; k < _items.Count; k++)
            slotOf[k + 1] = slotOf[k] + _items[k].Length;
        foreach (var (item, target) in _jumps)
        {
            int t = Math.Min(target, exitItem);
            var j = _items[item][0];
            _items[item][0] = j.WithOffset((short)(slotOf[t] - slotOf[item] - 1));
        }
        foreach (int item in _calls)
            _items[item][0] = _items[item][0].WithImm(slotOf[subprogram] - slotOf[item] - 1);
        return [.. _items.SelectMany(i => i)];
    }

    private void Add(params Instruction[] slots) => _items.Add(slots);

    private static Instruction Mov64Reg(byte dst, byte src) => new((byte)((int)OpClass.Alu64 | (int)AluOp.Mov | (int)OpSource.X), dst, src, 0, 0);
    private static Instruction Alu64Imm(AluOp op, byte dst, int imm) => new((byte)((int)OpClass.Alu64 | (int)op | (int)OpSource.K), dst, 0, 0, imm);

    private int Imm() => _rnd.Next(6) switch
    {
        0 => _rnd.Next(),
        1 => -_rnd.Next(),
        2 => _rnd.Next(-2, 3),
        3 => int.MinValue,
        _ => _rnd.Next(-300, 300),
    };

    private byte ValueReg() => ValueRegs[_rnd.Next(ValueRegs.Length)];

    private void AddConstant(byte reg)
    {
        if (_rnd.Next(3) == 0)
        {
            ulong v = (ulong)_rnd.NextInt64() ^ ((ulong)_rnd.Next(2) << 63);
            Add(new Instruction(Opcodes.LdDw, reg, 0, 0, (int)v), new Instruction(0, 0, 0, 0, (int)(v >> 32)));
        }
        else
        {
            Add(Alu64Imm(AluOp.Mov, reg, Imm()));
        }
    }

    private void AddStatement(bool allowControl, bool subprogram = false)
    {
        int kind = _rnd.Next(allowControl ? 100 : 70);
        if (kind < 30) AddAlu(subprogram);
        else if (kind < 33) AddEndian();
        else if (kind < 48) AddLoad(subprogram);
        else if (kind < 63) AddStore(subprogram);
        else if (kind < 70) AddAtomic(subprogram);
        else if (kind < 85) AddForwardJump();
        else if (kind < 93) AddLoop();
        else if (kind < 97) AddCall();
        else if (kind < 99 && !subprogram) AddMapLookup();
        else AddConstant(ValueReg());
    }

    private void AddAlu(bool subprogram = false)
    {
        var op = AluOps[_rnd.Next(AluOps.Length)];
        bool is64 = _rnd.Next(3) != 0;
        bool reg = _rnd.Next(2) == 0 && op != AluOp.Neg;
        byte dst = ValueReg();
        // now and then move the memory pointer a little, which later accesses through it may push out of bounds
        if (!subprogram && _rnd.Next(12) == 0 && op is AluOp.Add or AluOp.Sub)
        {
            Add(Alu64Imm(op, 6, _rnd.Next(-8, 9)));
            return;
        }
        byte src = _rnd.Next(8) == 0 ? (byte)_rnd.Next(11) : ValueReg();
        short off = 0;
        if (op is AluOp.Div or AluOp.Mod)
            off = (short)_rnd.Next(2);
        else if (op == AluOp.Mov && reg && _rnd.Next(3) == 0)
            off = (short)(is64 ? new[] { 8, 16, 32 }[_rnd.Next(3)] : new[] { 8, 16 }[_rnd.Next(2)]);
        int imm = op is AluOp.Lsh or AluOp.Rsh or AluOp.Arsh && _rnd.Next(4) != 0 ? _rnd.Next(64) : Imm();
        var cls = is64 ? OpClass.Alu64 : OpClass.Alu;
        byte opcode = (byte)((int)cls | (int)op | (int)(reg ? OpSource.X : OpSource.K));
        Add(new Instruction(opcode, dst, reg ? src : (byte)0, off, reg ? 0 : imm));
    }

    /// <summary>r2 = r10 - 4 holding a key, r1 = a map, call bpf_map_lookup_elem, then a use of r0 guarded by a null check.</summary>
    private void AddMapLookup()
    {
        if (_rnd.Next(2) == 0)
            Add(new Instruction((byte)((int)OpClass.St | (int)OpMode.Mem | (int)OpSize.W), 10, 0, -4, _rnd.Next(-1, MapEntries + 2)));
        else
            Add(new Instruction((byte)((int)OpClass.Stx | (int)OpMode.Mem | (int)OpSize.W), 10, ValueReg(), -4, 0));
        Add(Mov64Reg(2, 10));
        Add(Alu64Imm(AluOp.Add, 2, -4));
        Add(new Instruction(Opcodes.LdDw, 1, PseudoSource.MapIdx, 0, _rnd.Next(3)), default);
        Add(new Instruction(Opcodes.Call, 0, 0, 0, 1));
        Add(new Instruction((byte)((int)OpClass.Jmp | (int)JmpOp.Jeq | (int)OpSource.K), 0, 0, 1, 0));
        short off = (short)(_rnd.Next(3) * 4); // 8 may reach past the last element of the map
        switch (_rnd.Next(3))
        {
            case 0: Add(new Instruction((byte)((int)OpClass.Ldx | (int)OpMode.Mem | (int)OpSize.W), ValueReg(), 0, off, 0)); break;
            case 1: Add(new Instruction((byte)((int)OpClass.Stx | (int)OpMode.Mem | (int)OpSize.W), 0, ValueReg(), off, 0)); break;
            default: Add(new Instruction((byte)((int)OpClass.Stx | (int)OpMode.Atomic | (int)OpSize.W), 0, ValueReg(), off, AtomicOp.Add)); break;
        }
    }

    private void AddEndian()
    {
        byte opcode = new byte[] { 0xd4, 0xdc, 0xd7 }[_rnd.Next(3)];
        Add(new Instruction(opcode, ValueReg(), 0, 0, 16 << _rnd.Next(3)));
    }

    /// <summary>A base register and offset: mostly valid memory or stack, sometimes just outside, rarely a garbage pointer.</summary>
    private (byte Base, short Off) Address(int size, bool subprogram)
    {
        int pick = _rnd.Next(20);
        if (pick < 8 && !subprogram)
            return (6, (short)(_rnd.Next(12) == 0 ? _rnd.Next(-8, MemorySize + 8) : _rnd.Next(0, MemorySize - size + 1)));
        if (pick < 15)
            return (10, (short)(_rnd.Next(16) == 0 ? _rnd.Next(-8, 8) : -_rnd.Next(size, 65)));
        if (pick < 19 && !subprogram)
            return (7, (short)_rnd.Next(-64, 64));
        return (ValueReg(), (short)_rnd.Next(-8, 8));
    }

    private void AddLoad(bool subprogram)
    {
        var size = Sizes[_rnd.Next(4)];
        int bytes = OpcodeTable.BytesOf(size);
        var (b, off) = Address(bytes, subprogram);
        var mode = size != OpSize.DW && _rnd.Next(4) == 0 ? OpMode.MemSx : OpMode.Mem;
        Add(new Instruction((byte)((int)OpClass.Ldx | (int)mode | (int)size), ValueReg(), b, off, 0));
    }

    private void AddStore(bool subprogram)
    {
        var size = Sizes[_rnd.Next(4)];
        var (b, off) = Address(OpcodeTable.BytesOf(size), subprogram);
        if (_rnd.Next(3) == 0)
            Add(new Instruction((byte)((int)OpClass.St | (int)OpMode.Mem | (int)size), b, 0, off, Imm()));
        else
            Add(new Instruction((byte)((int)OpClass.Stx | (int)OpMode.Mem | (int)size), b, ValueReg(), off, 0));
    }

    private void AddAtomic(bool subprogram)
    {
        bool dw = _rnd.Next(2) == 0;
        int bytes = dw ? 8 : 4;
        var (b, off) = Address(bytes, subprogram);
        if (_rnd.Next(8) != 0)
            off = (short)(off & ~(bytes - 1));
        byte src = ValueReg();
        Add(new Instruction((byte)((int)OpClass.Stx | (int)OpMode.Atomic | (int)(dw ? OpSize.DW : OpSize.W)), b, src, off, AtomicOps[_rnd.Next(AtomicOps.Length)]));
    }

    private void AddForwardJump()
    {
        bool is64 = _rnd.Next(3) != 0;
        bool reg = _rnd.Next(2) == 0;
        var op = _rnd.Next(12) == 0 ? JmpOp.Ja : CondOps[_rnd.Next(CondOps.Length)];
        var cls = is64 || op == JmpOp.Ja ? OpClass.Jmp : OpClass.Jmp32;
        byte opcode = op == JmpOp.Ja ? Opcodes.Ja : (byte)((int)cls | (int)op | (int)(reg ? OpSource.X : OpSource.K));
        _jumps.Add((_items.Count, _items.Count + 1 + _rnd.Next(1, 8)));
        Add(new Instruction(opcode, op == JmpOp.Ja ? (byte)0 : ValueReg(), reg && op != JmpOp.Ja ? ValueReg() : (byte)0, 0,
            reg || op == JmpOp.Ja ? 0 : _rnd.Next(4) == 0 ? Imm() : _rnd.Next(-4, 5)));
    }

    /// <summary>r9 = K; body (no jumps, r9 untouched); r9 -= 1; if r9 != 0 goto body.</summary>
    private void AddLoop()
    {
        Add(Alu64Imm(AluOp.Mov, 9, _rnd.Next(1, 40)));
        int first = _items.Count;
        for (int k = _rnd.Next(1, 6); k > 0; k--)
        {
            switch (_rnd.Next(4))
            {
                case 0: AddLoad(false); break;
                case 1: AddStore(false); break;
                default: AddAlu(); break;
            }
        }
        int slots = _items.Skip(first).Sum(i => i.Length);
        Add(Alu64Imm(AluOp.Sub, 9, 1));
        Add(new Instruction((byte)((int)OpClass.Jmp | (int)JmpOp.Jne | (int)OpSource.K), 9, 0, (short)-(slots + 2), 0));
    }

    private void AddCall()
    {
        _calls.Add(_items.Count);
        Add(new Instruction(Opcodes.Call, 0, PseudoSource.Call, 0, 0));
    }
}
