using SharpBpf.Linux;
using SharpBpf.Text;
using System.Buffers.Binary;
using System.Globalization;
using SharpBpf.Btf;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// Map keys and values as bpftool's BTF dumper prints them: integers in decimal, enums by name, char arrays as
/// strings, structs as objects, bitfields in hex. <paramref name="plainText"/> is bpftool's plain mode (bitfields
/// unquoted, pointers as %p), otherwise its JSON "formatted" mode.
/// </summary>
public sealed class BtfValueFormatter(BtfSpec btf, bool plainText)
{
    public void Write(BpftoolJsonWriter j, uint typeId, ReadOnlySpan<byte> data) => Write(j, typeId, data, 0, 0);

    private void Write(BpftoolJsonWriter j, uint typeId, ReadOnlySpan<byte> data, int bitOffset, int depth)
    {
        if (depth > 64 || typeId == 0)
        {
            j.Null();
            return;
        }
        var t = btf[typeId];
        switch (t)
        {
            case BtfTypedef td: Write(j, td.Type, data, bitOffset, depth + 1); return;
            case BtfModifier m: Write(j, m.Type, data, bitOffset, depth + 1); return;
            case BtfInt i: Int(j, i, data, bitOffset); return;
            case BtfPtr:
            {
                ulong v = Read(data, 8);
                j.Raw(plainText ? (v == 0 ? "(nil)" : "0x" + v.ToString("x")) : v.ToString(CultureInfo.InvariantCulture));
                return;
            }
            case BtfEnumBase e:
            {
                long raw = e.Size == 8 ? (long)Read(data, 8) : e.Signed || e.Size == 4 ? SignExtend(Read(data, (int)e.Size), (int)e.Size) : (long)Read(data, (int)e.Size);
                var match = e.Values.FirstOrDefault(v => v.Value == raw || (e.Size < 8 && (v.Value & Mask((int)e.Size)) == (raw & Mask((int)e.Size))));
                if (match is not null)
                    j.String(match.Name);
                else
                    j.Number(raw);
                return;
            }
            case BtfArray a:
                Array(j, a, data, depth);
                return;
            case BtfComposite c:
                j.StartObject();
                foreach (var m in c.Members)
                {
                    j.Name(m.Name);
                    int offset = (int)m.BitOffset;
                    if (m.BitfieldSize != 0)
                        Bitfield(j, data, offset, (int)m.BitfieldSize);
                    else if (offset % 8 == 0 && offset / 8 <= data.Length)
                        Write(j, m.Type, data[(offset / 8)..], 0, depth + 1);
                    else
                        Write(j, m.Type, data[(offset / 8)..], offset % 8, depth + 1);
                }
                j.EndObject();
                return;
            case BtfVar v:
                j.StartObject();
                j.Name(v.Name);
                Write(j, v.Type, data, bitOffset, depth + 1);
                j.EndObject();
                return;
            case BtfDatasec ds:
                j.StartObject();
                j.Name(ds.Name);
                j.StartArray();
                foreach (var v in ds.Vars)
                    if (v.Offset + v.Size <= data.Length)
                        Write(j, v.Type, data.Slice((int)v.Offset, (int)v.Size), 0, depth + 1);
                j.EndArray();
                j.EndObject();
                return;
            default:
                j.Null();
                return;
        }
    }

    private void Int(BpftoolJsonWriter j, BtfInt t, ReadOnlySpan<byte> data, int bitOffset)
    {
        int totalOffset = bitOffset + t.BitOffset;
        if (totalOffset != 0 || t.Bits is not (8 or 16 or 32 or 64))
        {
            Bitfield(j, data, totalOffset, t.Bits);
            return;
        }
        ulong raw = Read(data, t.Bits / 8);
        if ((t.Encoding & BtfIntEncoding.Bool) != 0)
            j.Bool(raw != 0);
        else if ((t.Encoding & BtfIntEncoding.Char) != 0)
        {
            var c = (byte)raw;
            j.Raw(c >= 0x20 && c < 0x7f ? "\"" + (char)c + "\"" : plainText ? $"0x{c:x}" : $"\"\\u00{c:x2}\"");
        }
        else if ((t.Encoding & BtfIntEncoding.Signed) != 0)
            j.Number(SignExtend(raw, t.Bits / 8));
        else
            j.Number(raw);
    }

    private void Bitfield(BpftoolJsonWriter j, ReadOnlySpan<byte> data, int bitOffset, int bits)
    {
        int firstByte = bitOffset / 8;
        int shift = bitOffset % 8;
        ulong value = 0;
        int bytes = Math.Min(8, (shift + bits + 7) / 8);
        for (int i = 0; i < bytes && firstByte + i < data.Length; i++)
            value |= (ulong)data[firstByte + i] << (8 * i);
        value >>= shift;
        if (bits < 64)
            value &= (1UL << bits) - 1;
        var hex = "0x" + value.ToString("x", CultureInfo.InvariantCulture);
        j.Raw(plainText ? hex : "\"" + hex + "\"");
    }

    private void Array(BpftoolJsonWriter j, BtfArray a, ReadOnlySpan<byte> data, int depth)
    {
        long elementSize = btf.SizeOf(a.ElementType);
        if (IsString(a, data))
        {
            int end = data[..(int)a.Count].IndexOf((byte)0);
            j.String(System.Text.Encoding.ASCII.GetString(data[..end]));
            return;
        }
        j.StartArray();
        for (int i = 0; i < a.Count && (i + 1) * elementSize <= data.Length; i++)
            Write(j, a.ElementType, data.Slice((int)(i * elementSize), (int)elementSize), 0, depth + 1);
        j.EndArray();
    }

    /// <summary>bpftool prints a char array as a string when it holds printable characters up to a NUL.</summary>
    private bool IsString(BtfArray a, ReadOnlySpan<byte> data)
    {
        if (a.Count == 0)
            return false;
        uint id = a.ElementType;
        while (btf[id] is BtfModifier m)
            id = m.Type;
        if (btf[id] is not BtfInt e || e.Size != 1 || ((e.Encoding & BtfIntEncoding.Char) == 0 && e.Name != "char"))
            return false;
        for (int i = 0; i < a.Count && i < data.Length; i++)
        {
            if (data[i] == 0)
                return true;
            if (data[i] <= 0x1f || data[i] >= 0x7f)
                return false;
        }
        return false;
    }

    private static ulong Read(ReadOnlySpan<byte> data, int size)
    {
        Span<byte> buffer = stackalloc byte[8];
        buffer.Clear();
        data[..Math.Min(size, data.Length)].CopyTo(buffer);
        return BinaryPrimitives.ReadUInt64LittleEndian(buffer);
    }

    private static long Mask(int size) => size >= 8 ? -1L : (1L << (size * 8)) - 1;

    private static long SignExtend(ulong raw, int size) => size switch
    {
        1 => (sbyte)raw,
        2 => (short)raw,
        4 => (int)raw,
        _ => (long)raw,
    };
}
