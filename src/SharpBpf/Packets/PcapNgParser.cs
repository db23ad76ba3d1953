namespace SharpBpf.Packets;

/// <summary>
/// pcapng: a sequence of blocks (type, total length, body, total length again) in sections, each
/// opened by a section header block that fixes the byte order. Interface description blocks give
/// link type, snapshot length and timestamp resolution; enhanced, simple and (obsolete) packet
/// blocks carry frames; every other block is skipped.
/// </summary>
internal static class PcapNgParser
{
    private const uint InterfaceDescription = 1;
    private const uint ObsoletePacket = 2;
    private const uint SimplePacket = 3;
    private const uint EnhancedPacket = 6;
    private const ushort OptEndOfOptions = 0;
    private const ushort OptTimestampResolution = 9;
    private const ushort OptTimestampOffset = 14;

    private sealed record Interface(int LinkType, uint SnapLength, ulong UnitsPerSecond, long OffsetSeconds);

    public static IEnumerable<CapturedPacket> Parse(CaptureInput input, byte[] first4)
    {
        var interfaces = new List<Interface>();
        var head = new byte[8];
        var magic = new byte[4];
        var trailer = new byte[4];
        first4.CopyTo(head, 0);
        var typeAlreadyRead = true; // PcapReader consumed the first block's type while sniffing the format
        while (true)
        {
            var at = input.Offset - (typeAlreadyRead ? 4 : 0);
            if (!typeAlreadyRead)
            {
                if (!input.TryReadExactly(head.AsSpan(0, 4), "pcapng block header"))
                    yield break;
            }
            typeAlreadyRead = false;
            input.ReadExactly(head.AsSpan(4, 4), "pcapng block header", at);
            // 0x0A0D0D0A reads the same in both byte orders, so it is recognised before the order is known.
            var isSection = input.U32(head) == PcapFormat.NgSectionHeader;
            if (isSection)
            {
                // The section header's byte-order magic decides how to read its own length.
                input.ReadExactly(magic, "pcapng section header");
                input.BigEndian = magic[0] == 0x1A && magic[1] == 0x2B && magic[2] == 0x3C && magic[3] == 0x4D;
                if (input.U32(magic) != PcapFormat.NgByteOrderMagic)
                    throw input.Error($"pcapng section header has byte-order magic {Convert.ToHexString(magic)} (expected 1A2B3C4D in either order)", at + 8);
                interfaces.Clear();
            }
            var blockType = input.U32(head);
            var total = input.U32(head.AsSpan(4));
            if (total < 12 || total % 4 != 0 || total > PcapFormat.MaxBlockLength || (isSection && total < 28))
                throw input.Error($"pcapng block of type 0x{blockType:x} has invalid total length {total}", at + 4);
            var bodyLength = (int)total - 12 - (isSection ? 4 : 0);
            var known = isSection || blockType is InterfaceDescription or EnhancedPacket or SimplePacket or ObsoletePacket;
            byte[] body = [];
            if (known)
                body = input.ReadBytes(bodyLength, $"pcapng block of type 0x{blockType:x}");
            else
                input.Skip(bodyLength, $"pcapng block of type 0x{blockType:x}");
            input.ReadExactly(trailer, "pcapng block trailer");
            if (input.U32(trailer) != total)
                throw input.Error($"pcapng block of type 0x{blockType:x} ends with length {input.U32(trailer)}, not the {total} it started with", input.Offset - 4);
            var bodyAt = at + 8 + (isSection ? 4 : 0);

            if (isSection)
            {
                var major = input.U16(body);
                if (major != 1)
                    throw input.Error($"unsupported pcapng version {major} (expected 1.x)", bodyAt);
                continue;
            }
            switch (blockType)
            {
                case InterfaceDescription:
                    interfaces.Add(ReadInterface(input, body, bodyAt));
                    break;
                case EnhancedPacket:
                    yield return ReadEnhanced(input, body, bodyAt, interfaces);
                    break;
                case SimplePacket:
                    yield return ReadSimple(input, body, bodyAt, interfaces);
                    break;
                case ObsoletePacket:
                    yield return ReadObsolete(input, body, bodyAt, interfaces);
                    break;
            }
        }
    }

    private static Interface ReadInterface(CaptureInput input, byte[] body, long at)
    {
        if (body.Length < 8)
            throw input.Error("pcapng interface description block is too short", at);
        var linkType = input.U16(body);
        var snapLength = input.U32(body.AsSpan(4));
        ulong unitsPerSecond = 1_000_000;
        long offsetSeconds = 0;
        foreach (var (code, value, valueAt) in Options(input, body, 8, at))
        {
            if (code == OptTimestampResolution && value.Length >= 1)
            {
                var exponent = value[0] & 0x7F;
                var binary = (value[0] & 0x80) != 0;
                if ((binary && exponent > 63) || (!binary && exponent > 19))
                    throw input.Error($"pcapng if_tsresol 0x{value[0]:x2} is beyond 64-bit timestamps", valueAt);
                unitsPerSecond = binary ? 1UL << exponent : Pow10(exponent);
            }
            else if (code == OptTimestampOffset && value.Length >= 8)
            {
                offsetSeconds = (long)input.U64(value);
            }
        }
        return new Interface(linkType, snapLength, unitsPerSecond, offsetSeconds);
    }

    private static CapturedPacket ReadEnhanced(CaptureInput input, byte[] body, long at, List<Interface> interfaces)
    {
        if (body.Length < 20)
            throw input.Error("pcapng enhanced packet block is too short", at);
        var iface = Lookup(input, interfaces, input.U32(body), at);
        var units = ((ulong)input.U32(body.AsSpan(4)) << 32) | input.U32(body.AsSpan(8));
        var captured = input.U32(body.AsSpan(12));
        var original = input.U32(body.AsSpan(16));
        if (captured > body.Length - 20)
            throw input.Error($"pcapng enhanced packet block claims {captured} captured bytes but holds {body.Length - 20}", at + 12);
        return Packet(input, iface, units, body.AsSpan(20, (int)captured), original, at);
    }

    private static CapturedPacket ReadObsolete(CaptureInput input, byte[] body, long at, List<Interface> interfaces)
    {
        if (body.Length < 20)
            throw input.Error("pcapng packet block is too short", at);
        var iface = Lookup(input, interfaces, input.U16(body), at);
        var units = ((ulong)input.U32(body.AsSpan(4)) << 32) | input.U32(body.AsSpan(8));
        var captured = input.U32(body.AsSpan(12));
        var original = input.U32(body.AsSpan(16));
        if (captured > body.Length - 20)
            throw input.Error($"pcapng packet block claims {captured} captured bytes but holds {body.Length - 20}", at + 12);
        return Packet(input, iface, units, body.AsSpan(20, (int)captured), original, at);
    }

    private static CapturedPacket ReadSimple(CaptureInput input, byte[] body, long at, List<Interface> interfaces)
    {
        if (body.Length < 4)
            throw input.Error("pcapng simple packet block is too short", at);
        var iface = Lookup(input, interfaces, 0, at);
        var original = input.U32(body);
        // A simple packet block holds min(original length, snapshot length) bytes, padded.
        var captured = Math.Min(original, (ulong)(body.Length - 4));
        if (iface.SnapLength != 0)
            captured = Math.Min(captured, iface.SnapLength);
        if (original > int.MaxValue)
            throw input.Error($"pcapng simple packet block claims an original length of {original}", at);
        var data = body.AsSpan(4, (int)captured).ToArray();
        return new CapturedPacket(DateTimeOffset.UnixEpoch, data, (int)original, iface.LinkType);
    }

    private static CapturedPacket Packet(CaptureInput input, Interface iface, ulong units, ReadOnlySpan<byte> data, uint original, long at)
    {
        if (original > int.MaxValue)
            throw input.Error($"pcapng packet claims an original length of {original}", at + 16);
        var when = CaptureTime.FromUnits(units, iface.UnitsPerSecond, iface.OffsetSeconds)
            ?? throw input.Error($"pcapng packet timestamp {units} (1/{iface.UnitsPerSecond} s) is out of range", at + 4);
        return new CapturedPacket(when, data.ToArray(), (int)original, iface.LinkType);
    }

    private static Interface Lookup(CaptureInput input, List<Interface> interfaces, uint id, long at) =>
        id < interfaces.Count
            ? interfaces[(int)id]
            : throw input.Error($"pcapng packet refers to interface {id} but the section describes {interfaces.Count}", at);

    private static IEnumerable<(ushort Code, byte[] Value, long At)> Options(CaptureInput input, byte[] body, int start, long bodyAt)
    {
        var position = start;
        while (position + 4 <= body.Length)
        {
            var code = input.U16(body.AsSpan(position));
            var length = input.U16(body.AsSpan(position + 2));
            if (code == OptEndOfOptions)
                yield break;
            if (position + 4 + length > body.Length)
                throw input.Error($"pcapng option {code} of {length} bytes runs past its block", bodyAt + position);
            yield return (code, body.AsSpan(position + 4, length).ToArray(), bodyAt + position + 4);
            position += 4 + ((length + 3) & ~3);
        }
    }

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (var i = 0; i < exponent; i++)
            value *= 10;
        return value;
    }
}
