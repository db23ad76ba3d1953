namespace SharpBpf.Packets;

/// <summary>Magic numbers and limits shared by the capture reader and writer.</summary>
internal static class PcapFormat
{
    public const uint MicrosecondMagic = 0xA1B2C3D4;
    public const uint NanosecondMagic = 0xA1B23C4D;
    public const uint NgSectionHeader = 0x0A0D0D0A;
    public const uint NgByteOrderMagic = 0x1A2B3C4D;

    public const int ClassicHeaderSize = 24;
    public const int ClassicRecordHeaderSize = 16;

    /// <summary>
    /// The largest frame we accept. libpcap caps snapshots at 256 KiB; we allow more for odd link types but
    /// still refuse lengths that can only come from corruption.
    /// </summary>
    public const int MaxPacketLength = 16 << 20;

    /// <summary>The largest pcapng block we accept (same reasoning).</summary>
    public const int MaxBlockLength = MaxPacketLength + (1 << 16);
}
