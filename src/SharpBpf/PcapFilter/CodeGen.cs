using SharpBpf.Cbpf;
using static SharpBpf.Cbpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>Where a load's offset is measured from (libpcap's <c>enum e_offrel</c>).</summary>
internal enum OffRel { Packet, LinkHdr, Llc, PrevMplsHdr, LinkPl, LinkPlNoSnap, LinkType, TranIpv4, TranIpv6 }

/// <summary>The arithmetic value of a packet-data expression: statements that leave it in scratch register Reg.</summary>
internal sealed class ArthValue
{
    public Block? B;
    public Stmt S = null!;
    public int Reg;
}

/// <summary>
/// libpcap's code generator (gencode.c) for Ethernet, raw IP and Linux cooked captures: each primitive becomes a
/// small flow graph; <c>and</c>/<c>or</c>/<c>not</c> splice graphs by back-patching their open branches.
/// </summary>
internal sealed partial class CodeGen
{
    public const uint NotSet = 0xffffffffu;
    public const int EtherMtu = 1500;
    public const uint EtherTypeIp = 0x0800, EtherTypeIpv6 = 0x86dd, EtherTypeArp = 0x0806, EtherTypeRevArp = 0x8035,
        EtherType8021Q = 0x8100, EtherType8021AD = 0x88a8, EtherType8021QinQ = 0x9100, EtherTypeMpls = 0x8847,
        EtherTypeAtalk = 0x809b, EtherTypeAarp = 0x80f3, EtherTypeDn = 0x6003, EtherTypeSca = 0x6007, EtherTypeLat = 0x6004,
        EtherTypeMopDl = 0x6001, EtherTypeMopRc = 0x6002, EtherTypeIpx = 0x8137, EtherTypePppoeD = 0x8863, EtherTypePppoeS = 0x8864;
    public const uint LinuxSllP8022 = 0x0004, LinuxSllP8023 = 0x0001;
    public const uint IpProtoTcp = 6, IpProtoUdp = 17, IpProtoSctp = 132, IpProtoIcmp = 1, IpProtoIgmp = 2, IpProtoIgrp = 9,
        IpProtoPim = 103, IpProtoVrrp = 112, IpProtoIcmpv6 = 58, IpProtoAh = 51, IpProtoEsp = 50, IpProtoFragment = 44;
    public const int ProtoUndef = -1;

    private readonly bool[] _regUsed = new bool[MemWords];
    private int _curReg;

    public CodeGen(int linkType, uint snapLength)
    {
        LinkType = linkType;
        SnapLength = snapLength;
        switch (linkType)
        {
            case Packets.LinkTypes.Ethernet:
                OffLinkType = 12; OffLinkPl = 14; OffNl = 0; OffNlNoSnap = 3;
                break;
            case Packets.LinkTypes.Raw:
                OffLinkType = NotSet; OffLinkPl = 0; OffNl = 0; OffNlNoSnap = 0;
                break;
            case Packets.LinkTypes.LinuxSll:
                OffLinkType = 14; OffLinkPl = 16; OffNl = 0; OffNlNoSnap = 0;
                break;
            default:
                throw new PcapFilterException($"link type {linkType} is not supported: use EN10MB (1), RAW (101) or LINUX_SLL (113)");
        }
    }

    public int LinkType { get; }
    public uint SnapLength { get; }
    public uint OffLinkType, OffLinkPl, OffNl, OffNlNoSnap;
    public int LabelStackDepth, VlanStackDepth;
    private bool IsEthernet => LinkType == Packets.LinkTypes.Ethernet;

    // ---- graph splicing (gencode.c: backpatch, merge, gen_and, gen_or, gen_not) ----

    private static void Backpatch(Block? list, Block target)
    {
        while (list is not null)
        {
            Block? next;
            if (!list.Sense)
            {
                next = list.Jt;
                list.Jt = target;
            }
            else
            {
                next = list.Jf;
                list.Jf = target;
            }
            list = next;
        }
    }

    private static void Merge(Block b0, Block b1)
    {
        var p = b0;
        while (true)
        {
            var next = !p.Sense ? p.Jt : p.Jf;
            if (next is null)
                break;
            p = next;
        }
        if (!p.Sense)
            p.Jt = b1;
        else
            p.Jf = b1;
    }

    public static void And(Block b0, Block b1)
    {
        Backpatch(b0, b1.Head);
        b0.Sense = !b0.Sense;
        b1.Sense = !b1.Sense;
        Merge(b1, b0);
        b1.Sense = !b1.Sense;
        b1.Head = b0.Head;
    }

    public static void Or(Block b0, Block b1)
    {
        b0.Sense = !b0.Sense;
        Backpatch(b0, b1.Head);
        b0.Sense = !b0.Sense;
        Merge(b1, b0);
        b1.Head = b0.Head;
    }

    public static void Not(Block b) => b.Sense = !b.Sense;

    /// <summary>finish_parse: true exits return the snapshot length, false ones 0; returns the root.</summary>
    public Block Finish(Block p)
    {
        Backpatch(p, new Block(Ret | K, SnapLength));
        p.Sense = !p.Sense;
        Backpatch(p, new Block(Ret | K, 0));
        return p.Head;
    }

    // ---- loads and comparisons ----

    private static int JumpCode(int op) => Jmp | op | K;

    private Stmt LoadAbsRel(uint constant, uint offset, int size) => new(Ld | Abs | size, constant + offset);

    public Stmt LoadA(OffRel rel, uint offset, int size) => rel switch
    {
        OffRel.Packet => new Stmt(Ld | Abs | size, offset),
        OffRel.LinkHdr => LoadAbsRel(0, offset, size),
        OffRel.Llc => LoadAbsRel(OffLinkPl, offset, size),
        OffRel.PrevMplsHdr => LoadAbsRel(OffLinkPl, OffNl - 4 + offset, size),
        OffRel.LinkPl => LoadAbsRel(OffLinkPl, OffNl + offset, size),
        OffRel.LinkPlNoSnap => LoadAbsRel(OffLinkPl, OffNlNoSnap + offset, size),
        OffRel.LinkType => LoadAbsRel(OffLinkType, offset, size),
        OffRel.TranIpv4 => Stmt.Append(LoadXIpHeaderLength(), new Stmt(Ld | Ind | size, OffLinkPl + OffNl + offset)),
        OffRel.TranIpv6 => LoadAbsRel(OffLinkPl, OffNl + 40 + offset, size),
        _ => throw new ArgumentOutOfRangeException(nameof(rel)),
    };

    public Stmt LoadXIpHeaderLength() => new(Ldx | Msh | B, OffLinkPl + OffNl);

    public Block Ncmp(OffRel rel, uint offset, int size, uint mask, int jtype, bool reverse, uint v)
    {
        var s = LoadA(rel, offset, size);
        if (mask != 0xffffffff)
            Stmt.Append(s, new Stmt(Alu | Cbpf.Cbpf.And | K, mask));
        var b = new Block(JumpCode(jtype), v) { Stmts = s };
        if (reverse && jtype is Jgt or Jge)
            Not(b);
        return b;
    }

    public Block Cmp(OffRel rel, uint offset, int size, uint v) => Ncmp(rel, offset, size, 0xffffffff, Jeq, false, v);
    public Block CmpGt(OffRel rel, uint offset, int size, uint v) => Ncmp(rel, offset, size, 0xffffffff, Jgt, false, v);
    public Block CmpGe(OffRel rel, uint offset, int size, uint v) => Ncmp(rel, offset, size, 0xffffffff, Jge, false, v);
    public Block CmpLt(OffRel rel, uint offset, int size, uint v) => Ncmp(rel, offset, size, 0xffffffff, Jge, true, v);
    public Block CmpLe(OffRel rel, uint offset, int size, uint v) => Ncmp(rel, offset, size, 0xffffffff, Jgt, true, v);
    public Block Mcmp(OffRel rel, uint offset, int size, uint v, uint mask) => Ncmp(rel, offset, size, mask, Jeq, false, v);

    public Block Bcmp(OffRel rel, uint offset, ReadOnlySpan<byte> v)
    {
        Block? b = null;
        var size = (uint)v.Length;
        while (size >= 4)
        {
            var p = v[(int)(size - 4)..];
            var tmp = Cmp(rel, offset + size - 4, W, (uint)(p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]));
            if (b is not null)
                And(b, tmp);
            b = tmp;
            size -= 4;
        }
        while (size >= 2)
        {
            var p = v[(int)(size - 2)..];
            var tmp = Cmp(rel, offset + size - 2, H, (uint)(p[0] << 8 | p[1]));
            if (b is not null)
                And(b, tmp);
            b = tmp;
            size -= 2;
        }
        if (size > 0)
        {
            var tmp = Cmp(rel, offset, B, v[0]);
            if (b is not null)
                And(b, tmp);
            b = tmp;
        }
        return b!;
    }

    public Block Uncond(bool rsense) => new(JumpCode(Jeq)) { Stmts = new Stmt(Ld | Imm, rsense ? 0u : 1u) };
    public Block True() => Uncond(true);
    public Block False() => Uncond(false);

    // ---- link-layer types ----

    public Block LinkTypeTest(uint llProto)
    {
        if (LabelStackDepth > 0)
            return MplsLinkType(llProto);
        switch (LinkType)
        {
            case Packets.LinkTypes.Ethernet:
                return EtherLinkType(llProto);
            case Packets.LinkTypes.LinuxSll:
                return SllLinkType(llProto);
            default:
                return llProto switch
                {
                    EtherTypeIp => Mcmp(OffRel.LinkHdr, 0, B, 0x40, 0xf0),
                    EtherTypeIpv6 => Mcmp(OffRel.LinkHdr, 0, B, 0x60, 0xf0),
                    _ => False(),
                };
        }
    }

    private Block EtherLinkType(uint llProto)
    {
        if (llProto <= EtherMtu)
        {
            var b0 = CmpGt(OffRel.LinkType, 0, H, EtherMtu);
            Not(b0);
            var b1 = llProto is 0xfe or 0x06 or 0xf0
                ? Cmp(OffRel.Llc, 0, H, llProto << 8 | llProto)
                : Cmp(OffRel.LinkType, 2, B, llProto);
            And(b0, b1);
            return b1;
        }
        return Cmp(OffRel.LinkType, 0, H, llProto);
    }

    private Block SllLinkType(uint llProto)
    {
        if (llProto <= EtherMtu)
        {
            var b0 = Cmp(OffRel.LinkType, 0, H, LinuxSllP8022);
            var b1 = llProto is 0xfe or 0x06 or 0xf0
                ? Cmp(OffRel.Llc, 0, H, llProto << 8 | llProto)
                : Cmp(OffRel.LinkHdr, OffLinkPl, B, llProto);
            And(b0, b1);
            return b1;
        }
        return Cmp(OffRel.LinkType, 0, H, llProto);
    }

    private Block MplsLinkType(uint llProto)
    {
        var version = llProto switch
        {
            EtherTypeIp => 0x40u,
            EtherTypeIpv6 => 0x60u,
            _ => throw new PcapFilterException("unsupported protocol over mpls"),
        };
        var b0 = Mcmp(OffRel.LinkPl, unchecked((uint)-2), B, 0x01, 0x01);
        var b1 = Mcmp(OffRel.LinkPl, 0, B, version, 0xf0);
        And(b0, b1);
        return b1;
    }

    // ---- registers ----

    public int AllocReg()
    {
        for (var n = 0; n < MemWords; n++)
        {
            if (_regUsed[_curReg])
            {
                _curReg = (_curReg + 1) % MemWords;
            }
            else
            {
                _regUsed[_curReg] = true;
                return _curReg;
            }
        }
        throw new PcapFilterException("too many registers needed to evaluate expression");
    }

    public void FreeReg(int n) => _regUsed[n] = false;
}
