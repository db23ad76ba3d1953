using SharpBpf.Isa;
using SharpBpf.Vm;

namespace SharpBpf.Fuzz;

/// <summary>The maps every generated program may use, created in this order (so with the same ids) in every engine.</summary>
internal enum FuzzMap { Ring = 1, Array, Hash, Jump, Queue }

/// <summary>
/// Random programs biased toward what has escaped the sandbox before: helpers with forged pointers and sizes, ring buffer
/// samples submitted twice or off by a few bytes, format strings with huge widths, bpf_loop and for_each callbacks,
/// tail calls (into programs of the same and of another type), huge loops and atomics. Not verifier-clean on purpose:
/// the VM must hold whatever it is given.
/// </summary>
internal sealed class ProgramGenerator(Random rng)
{
    private readonly List<Instruction> _code = [];
    private readonly List<int> _callbackFixups = []; // ld_imm64 src=4 slots to point at the callback

    private static readonly string[] Formats =
    [
        "%d %u %x\n", "%1999999999d", "%999999999d|%s", "%.999999999u", "%-8388607s", "%s%s%s", "%pK %px %p",
        "%lld %llx %hhd", "%c%c%c", "%0*d", "%%%5.3s", "%pI4", "%n", "\x01\x80bad", "%020lld", "%+ld % ld",
    ];

    private static readonly long[] Sizes = [0, 1, 4, 7, 8, 16, 64, 255, 256, 512, 513, 4096, 65536, int.MaxValue, uint.MaxValue, -1, -8, 1L << 40];

    private static readonly string[] Helpers =
    [
        "bpf_map_lookup_elem", "bpf_map_update_elem", "bpf_map_delete_elem", "bpf_probe_read_user", "bpf_probe_read_user_str",
        "bpf_probe_read_kernel", "bpf_ringbuf_output", "bpf_ringbuf_reserve", "bpf_ringbuf_submit", "bpf_ringbuf_discard",
        "bpf_ringbuf_query", "bpf_trace_printk", "bpf_trace_vprintk", "bpf_snprintf", "bpf_get_prandom_u32", "bpf_loop",
        "bpf_for_each_map_elem", "bpf_tail_call", "bpf_get_current_comm", "bpf_map_push_elem", "bpf_map_pop_elem",
        "bpf_map_peek_elem", "bpf_get_smp_processor_id", "bpf_spin_lock", "bpf_spin_unlock",
    ];

    public Instruction[] Generate()
    {
        // r6 = ctx or memory, r7 = &array[0], r8 = a ring sample (or null), r9 = somewhere in the stack
        Emit(0xbf, 6, 1, 0, 0);
        LoadWide(7, PseudoSource.MapValue, (int)FuzzMap.Array, rng.Next(4) == 0 ? rng.Next(-16, 300) : 0);
        for (int i = 0; i < 8; i++)
            Emit(0x7a, 10, 0, (short)(-8 * (i + 1)), rng.Next()); // *(u64 *)(r10 - 8(i+1)) = random
        Reserve(8);
        Emit(0xbf, 9, 10, 0, 0);
        Emit(0x07, 9, 0, 0, -rng.Next(1, 520));
        int snippets = rng.Next(1, 24);
        for (int i = 0; i < snippets; i++)
            Snippet(depth: 0);
        Emit(0xbf, 0, (byte)rng.Next(0, 10), 0, 0);
        Emit(0x95, 0, 0, 0, 0);

        int callback = _code.Count;
        for (int i = rng.Next(0, 4); i > 0; i--)
            Snippet(depth: 1);
        Emit(0xb7, 0, 0, 0, rng.Next(3) == 0 ? 1 : 0);
        Emit(0x95, 0, 0, 0, 0);
        foreach (int slot in _callbackFixups)
        {
            var i = _code[slot];
            _code[slot] = new Instruction(i.Opcode, i.Dst, PseudoSource.Func, 0, callback - (slot + 1));
        }
        return [.. _code];
    }

    private void Snippet(int depth)
    {
        switch (rng.Next(12))
        {
            case 0 or 1: Alu(); break;
            case 2: LoadOrStore(load: true); break;
            case 3: LoadOrStore(load: false); break;
            case 4 or 5: HelperCall(depth); break;
            case 6: FormatCall(); break;
            case 7: Loop(); break;
            case 8: AtomicOp(); break;
            case 9: RingSequence(); break;
            case 10: TailCall(); break;
            default:
                int skip = rng.Next(1, 4);
                int[] jumps = [0x05, 0x15, 0x25, 0x35, 0x45, 0x55, 0x65, 0x75, 0xa5, 0xb5, 0xc5, 0xd5, 0x16, 0x56, 0xa6];
                Emit((byte)jumps[rng.Next(jumps.Length)], (byte)rng.Next(10), 0, (short)skip, rng.Next(-4, 5)); // a forward jump
                for (int i = 0; i < skip; i++)
                    Alu();
                break;
        }
    }

    private byte AnyReg() => (byte)rng.Next(0, 10);
    private byte Scratch() => (byte)rng.Next(0, 6);
    private byte Base() => (byte)(rng.Next(10) switch { 0 or 1 => 6, 2 or 3 => 7, 4 => 8, 5 => 9, 6 or 7 or 8 => 10, _ => rng.Next(0, 10) });

    /// <summary>An offset from <paramref name="reg"/> that is usually inside what it points to (and sometimes just outside).</summary>
    private short Offset(byte reg, int size)
    {
        if (rng.Next(8) == 0)
            return (short)rng.Next(-600, 600);
        int at = reg switch { 10 => -rng.Next(1, 512 / size + 1) * size, 6 => rng.Next(0, 64 / size) * size, 7 => rng.Next(0, 256 / size) * size, _ => 0 };
        return (short)at;
    }

    private void Alu()
    {
        int[] ops = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
        byte op = (byte)ops[rng.Next(ops.Length)];
        byte cls = (byte)(rng.Next(2) == 0 ? 0x07 : 0x04);
        byte dst = rng.Next(4) == 0 ? (byte)rng.Next(6, 10) : Scratch();
        if (op == 0xd0)
            Emit((byte)(cls | 0xd0), dst, 0, 0, new[] { 16, 32, 64 }[rng.Next(3)]);
        else if (rng.Next(2) == 0)
            Emit((byte)(cls | op | 0x08), dst, AnyReg(), (short)(op is 0x30 or 0x90 && rng.Next(4) == 0 ? 1 : 0), 0);
        else
            Emit((byte)(cls | op), dst, 0, 0, (int)Interesting());
    }

    private long Interesting() => rng.Next(4) switch
    {
        0 => Sizes[rng.Next(Sizes.Length)],
        1 => rng.Next(-600, 600),
        2 => rng.Next(),
        _ => rng.Next(0, 64),
    };

    private void LoadOrStore(bool load)
    {
        int[] sizes = [0x00, 0x08, 0x10, 0x18]; // w, h, b, dw
        int pick = rng.Next(4);
        byte size = (byte)sizes[pick], based = Base();
        short offset = Offset(based, new[] { 4, 2, 1, 8 }[pick]);
        if (load)
            Emit((byte)(0x61 | size), Scratch(), based, offset, 0);
        else if (rng.Next(2) == 0)
            Emit((byte)(0x63 | size), based, AnyReg(), offset, 0);
        else
            Emit((byte)(0x62 | size), based, 0, offset, rng.Next());
    }

    /// <summary>r<paramref name="reg"/> = a pointer, often a forged one: into the stack, ctx, map value, ring sample, or anywhere.</summary>
    private void Pointer(byte reg)
    {
        switch (rng.Next(8))
        {
            case 0: LoadWide(reg, 0, (int)Interesting(), rng.Next(3) == 0 ? 0x7fff : 0); break;
            case 1: LoadWide(reg, PseudoSource.MapFd, rng.Next(1, 6), 0); break;
            default:
                byte based = Base();
                Emit(0xbf, reg, based, 0, 0);
                Emit(0x07, reg, 0, 0, rng.Next(4) == 0 ? (int)Interesting() : Offset(based, 8));
                break;
        }
    }

    private void Size(byte reg)
    {
        if (rng.Next(3) == 0)
            Emit(0xbf, reg, AnyReg(), 0, 0);
        else
            LoadWide(reg, 0, (int)Interesting(), rng.Next(8) == 0 ? 1 : 0);
    }

    private void Map(byte reg, FuzzMap? map = null) =>
        LoadWide(reg, PseudoSource.MapFd, (int)(map ?? (FuzzMap)rng.Next(1, 6)), 0);

    private void HelperCall(int depth)
    {
        string helper = Helpers[rng.Next(Helpers.Length)];
        if (depth > 0 && helper is "bpf_loop" or "bpf_for_each_map_elem" or "bpf_tail_call")
            helper = "bpf_get_prandom_u32";
        switch (helper)
        {
            case "bpf_loop":
                LoadWide(1, 0, rng.Next(3) == 0 ? 1 << 23 : rng.Next(0, 100), 0);
                Callback(2);
                Pointer(3);
                Emit(0xb7, 4, 0, 0, rng.Next(8) == 0 ? 1 : 0);
                break;
            case "bpf_for_each_map_elem":
                Map(1);
                Callback(2);
                Pointer(3);
                Emit(0xb7, 4, 0, 0, 0);
                break;
            case "bpf_tail_call":
                TailCall();
                return;
            case "bpf_map_lookup_elem" or "bpf_map_delete_elem" or "bpf_map_update_elem" or "bpf_map_push_elem"
                or "bpf_map_pop_elem" or "bpf_map_peek_elem" or "bpf_ringbuf_query" or "bpf_ringbuf_reserve" or "bpf_ringbuf_output":
                Map(1);
                Pointer(2);
                Pointer(3);
                Size(4);
                break;
            default:
                Pointer(1);
                Size(2);
                Pointer(3);
                Size(4);
                Pointer(5);
                break;
        }
        Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf(helper));
        if (rng.Next(2) == 0)
            Emit(0xbf, (byte)rng.Next(6, 10), 0, 0, 0); // keep a result (a pointer, maybe) for later snippets
    }

    private void Callback(byte reg)
    {
        _callbackFixups.Add(_code.Count);
        LoadWide(reg, PseudoSource.Func, 0, 0);
    }

    /// <summary>A format string written to the stack, then bpf_trace_printk, bpf_trace_vprintk or bpf_snprintf over it.</summary>
    private void FormatCall()
    {
        var text = System.Text.Encoding.Latin1.GetBytes(Formats[rng.Next(Formats.Length)] + "\0");
        int at = -8 * ((text.Length + 7) / 8) - 64;
        for (int i = 0; i < text.Length; i += 4)
        {
            int word = 0;
            for (int k = 0; k < 4 && i + k < text.Length; k++)
                word |= text[i + k] << (8 * k);
            Emit(0x62, 10, 0, (short)(at + i), word);
        }
        int fmtLen = rng.Next(4) == 0 ? (int)Interesting() : text.Length;
        switch (rng.Next(3))
        {
            case 0: // bpf_trace_printk(fmt, len, a1, a2, a3)
                Emit(0xbf, 1, 10, 0, 0);
                Emit(0x07, 1, 0, 0, at);
                Emit(0xb7, 2, 0, 0, fmtLen);
                Pointer(3);
                Size(4);
                Pointer(5);
                Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf("bpf_trace_printk"));
                break;
            case 1: // bpf_trace_vprintk(fmt, len, args, args_len)
                Emit(0xbf, 1, 10, 0, 0);
                Emit(0x07, 1, 0, 0, at);
                Emit(0xb7, 2, 0, 0, fmtLen);
                Pointer(3);
                Emit(0xb7, 4, 0, 0, 8 * rng.Next(0, 14));
                Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf("bpf_trace_vprintk"));
                break;
            default: // bpf_snprintf(out, size, fmt, args, args_len)
                Pointer(1);
                Size(2);
                Emit(0xbf, 3, 10, 0, 0);
                Emit(0x07, 3, 0, 0, at);
                Pointer(4);
                Emit(0xb7, 5, 0, 0, 8 * rng.Next(0, 14));
                Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf("bpf_snprintf"));
                break;
        }
    }

    /// <summary>A counted loop, sometimes far longer than the budget allows.</summary>
    private void Loop()
    {
        byte counter = (byte)rng.Next(6, 10);
        LoadWide(counter, 0, rng.Next(3) == 0 ? int.MaxValue : rng.Next(1, 2000), 0);
        int top = _code.Count;
        for (int i = rng.Next(1, 4); i > 0; i--)
        {
            if (rng.Next(3) == 0)
                LoadOrStore(load: false);
            else
                Alu();
        }
        Emit(0x07, counter, 0, 0, -1);
        Emit(0x55, counter, 0, (short)(top - (_code.Count + 1)), 0); // if counter != 0 goto top
    }

    private void AtomicOp()
    {
        int[] ops = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1, 0x100, 0x110];
        int op = ops[rng.Next(ops.Length)];
        byte size = (byte)(rng.Next(2) == 0 ? 0x18 : 0x00);
        byte pointer = Base();
        byte src = op == 0x100 ? pointer : Scratch();
        byte dst = op == 0x100 ? Scratch() : pointer;
        Emit((byte)(0xc3 | size), dst, src, Offset(pointer, 8), op);
    }

    private void Reserve(int size)
    {
        Map(1, FuzzMap.Ring);
        if (rng.Next(4) == 0) Size(2); else Emit(0xb7, 2, 0, 0, size);
        Emit(0xb7, 3, 0, 0, rng.Next(8) == 0 ? 1 : 0);
        Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf("bpf_ringbuf_reserve"));
        Emit(0xbf, 8, 0, 0, 0);
    }

    /// <summary>Reserve, write (in or around the sample), then submit or discard a pointer that may be off or already used.</summary>
    private void RingSequence()
    {
        Reserve(rng.Next(0, 64));
        Emit(0x15, 8, 0, 4, 0); // if r8 == 0 skip the rest
        Emit(0x7a, 8, 0, (short)(rng.Next(4) == 0 ? rng.Next(-16, 80) : 0), rng.Next());
        Emit(0xbf, 1, 8, 0, 0);
        Emit(0x07, 1, 0, 0, rng.Next(3) == 0 ? rng.Next(-16, 16) : 0);
        Emit(0xb7, 2, 0, 0, rng.Next(4));
        Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf(rng.Next(2) == 0 ? "bpf_ringbuf_submit" : "bpf_ringbuf_discard"));
    }

    private void TailCall()
    {
        Emit(0xbf, 1, 6, 0, 0);
        Map(2, rng.Next(6) == 0 ? null : FuzzMap.Jump);
        Emit(0xb7, 3, 0, 0, rng.Next(-1, 5));
        Emit(0x85, 0, 0, 0, BpfHelperNames.IdOf("bpf_tail_call"));
    }

    private void Emit(byte opcode, byte dst, byte src, short offset, int imm) => _code.Add(new Instruction(opcode, dst, src, offset, imm));

    private void LoadWide(byte dst, byte src, int low, int high)
    {
        Emit(0x18, dst, src, 0, low);
        _code.Add(new Instruction(0, 0, 0, 0, high));
    }
}
