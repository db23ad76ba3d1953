namespace SharpBpf.Cbpf;

/// <summary>One classic BPF instruction (<c>struct sock_filter</c> / <c>struct bpf_insn</c>).</summary>
public readonly record struct CbpfInstruction(ushort Code, byte Jt, byte Jf, uint K)
{
    public override string ToString() => CbpfText.Image(this, 0);
}

/// <summary>Classic BPF opcode fields (linux/filter.h, pcap/bpf.h) and the kernel's ancillary-data offsets.</summary>
public static class Cbpf
{
    public const int Ld = 0x00, Ldx = 0x01, St = 0x02, Stx = 0x03, Alu = 0x04, Jmp = 0x05, Ret = 0x06, Misc = 0x07;
    public const int W = 0x00, H = 0x08, B = 0x10;
    public const int Imm = 0x00, Abs = 0x20, Ind = 0x40, Mem = 0x60, Len = 0x80, Msh = 0xa0;
    public const int Add = 0x00, Sub = 0x10, Mul = 0x20, Div = 0x30, Or = 0x40, And = 0x50, Lsh = 0x60, Rsh = 0x70, Neg = 0x80, Mod = 0x90, Xor = 0xa0;
    public const int Ja = 0x00, Jeq = 0x10, Jgt = 0x20, Jge = 0x30, Jset = 0x40;
    public const int K = 0x00, X = 0x08, A = 0x10;
    public const int Tax = 0x00, Txa = 0x80;
    public const int MemWords = 16;

    public static int Class(int code) => code & 0x07;
    public static int Size(int code) => code & 0x18;
    public static int Mode(int code) => code & 0xe0;
    public static int Op(int code) => code & 0xf0;
    public static int Src(int code) => code & 0x08;
    public static int RVal(int code) => code & 0x18;
    public static int MiscOp(int code) => code & 0xf8;

    /// <summary>SKF_AD_OFF: absolute loads at or above this offset read ancillary data, not packet bytes.</summary>
    public const uint AncillaryBase = unchecked((uint)-0x1000);
    public const uint AdProtocol = 0, AdPktType = 4, AdIfIndex = 8, AdNlAttr = 12, AdNlAttrNest = 16, AdMark = 20, AdQueue = 24,
        AdHaType = 28, AdRxHash = 32, AdCpu = 36, AdAluXorX = 40, AdVlanTag = 44, AdVlanTagPresent = 48, AdPayOffset = 52,
        AdRandom = 56, AdVlanTpid = 60, AdMax = 64;
}
