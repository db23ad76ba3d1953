using System.Buffers.Binary;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Events;

/// <summary>The fields of bpf_map_info the readers check (type and sizes) before mapping a map's memory.</summary>
internal readonly record struct MapInfo(BpfMapType Type, uint Id, int KeySize, int ValueSize, int MaxEntries, string Name)
{
    public static MapInfo Read(int fd)
    {
        Span<byte> info = stackalloc byte[80];
        info.Clear();
        BpfCalls.GetInfo(fd, info);
        var name = info.Slice(24, 16);
        var end = name.IndexOf((byte)0);
        return new MapInfo((BpfMapType)BinaryPrimitives.ReadUInt32LittleEndian(info),
            BinaryPrimitives.ReadUInt32LittleEndian(info[4..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(info[8..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(info[12..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(info[16..]),
            System.Text.Encoding.UTF8.GetString(end < 0 ? name : name[..end]));
    }
}
