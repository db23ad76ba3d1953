using System.Buffers.Binary;
using SharpBpf.Linux.Netlink;

namespace SharpBpf.Tests.Linux.Attach;

public class NetlinkEncodingTests
{
    [Fact]
    public void BuildsHeaderFamilyHeaderAndAlignedNestedAttributes()
    {
        var msg = new NetlinkMessageBuilder(19, NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_ACK, new byte[16])
            .String(3, "eth0")
            .BeginNest(43).S32(1, -1).U32(3, 2).EndNest()
            .Build(sequence: 77);
        Assert.Equal(msg.Length, BinaryPrimitives.ReadInt32LittleEndian(msg));
        Assert.Equal(19, BinaryPrimitives.ReadUInt16LittleEndian(msg.AsSpan(4)));
        Assert.Equal(5, BinaryPrimitives.ReadUInt16LittleEndian(msg.AsSpan(6)));
        Assert.Equal(77u, BinaryPrimitives.ReadUInt32LittleEndian(msg.AsSpan(8)));
        Assert.Equal(0, msg.Length % 4);

        var attrs = NetlinkAttributes.Parse(msg.AsMemory(32));
        Assert.Equal(2, attrs.Count);
        Assert.Equal("eth0", attrs.Find(3)!.Value.String);
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(msg.AsSpan(32)));  // nla_len counts "eth0\0" unpadded
        var nested = attrs.Find(43)!.Value.Nested;
        Assert.Equal(uint.MaxValue, nested.Find(1)!.Value.U32);
        Assert.Equal(2u, nested.Find(3)!.Value.U32);
        Assert.Equal(0x8000 | 43, BinaryPrimitives.ReadUInt16LittleEndian(msg.AsSpan(32 + 12 + 2)));
    }

    [Fact]
    public void TruncatedAttributesAreFormatErrors()
    {
        var bad = new byte[] { 40, 0, 1, 0, 1, 2, 3, 4 };
        Assert.Throws<BpfFormatException>(() => NetlinkAttributes.Parse(bad));
    }
}
