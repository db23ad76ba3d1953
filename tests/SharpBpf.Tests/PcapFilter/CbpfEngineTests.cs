using SharpBpf.Cbpf;
using SharpBpf.Linux;
using SharpBpf.Packets;
using SharpBpf.PcapFilter;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.PcapFilter;

/// <summary>
/// Classic filters converted to eBPF socket filters give the classic interpreter's verdict in the VM (interpreted
/// and JIT-compiled) and in the kernel (BPF_PROG_TEST_RUN). A socket filter's test run starts at the network
/// header, so the filters are compiled for raw IP and the interpreter sees the frame without its Ethernet header.
/// </summary>
public class CbpfEngineTests
{
    private static readonly List<byte[]> Frames = ProtocolMixCapture.Build(600, seed: 51)
        .Where(p => !p.IsTruncated && p.Data.Length > 14 && (p.Data[12] << 8 | p.Data[13]) is 0x0800 or 0x86dd)
        .Select(p => p.Data).ToList();

    public static TheoryData<string> Expressions => new(FilterCorpus.Entries
        .Where(e => e.LinkTypeName == "RAW" && !FilterCorpus.Ours(e, "-d").StartsWith("error: ", StringComparison.Ordinal))
        .Select(e => e.Expression)
        .Concat(["ip[9] = 17 and ip[2:2] - ((ip[0] & 0xf) << 2) > 20", "ip[0] / ip[9] > 1", "len % 7 = 3", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "ip6 and udp port 53"]));

    private static uint Interpret(CbpfInstruction[] program, byte[] frame) => CbpfInterpreter.Run(program, frame.AsSpan(14), (uint)frame.Length - 14);

    [Theory]
    [MemberData(nameof(Expressions))]
    public void Vm_interpreter_and_jit_agree_with_the_classic_interpreter(string expression)
    {
        var program = PcapFilterCompiler.Compile(expression, LinkTypes.Raw);
        var ebpf = CbpfToEbpf.Convert(program);
        foreach (var jit in new[] { false, true })
        {
            using var vm = new VmEngine(new VmOptions { UseJit = jit });
            var loaded = vm.LoadProgram(ebpf, BpfProgramType.SocketFilter, "cbpf");
            foreach (var frame in Frames)
                Assert.Equal(Interpret(program, frame), (uint)loaded.Run(frame).ReturnValue);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Expressions))]
    public void Kernel_loads_the_conversion_as_a_socket_filter_and_agrees(string expression)
    {
        Requirements.Kernel();
        var program = PcapFilterCompiler.Compile(expression, LinkTypes.Raw);
        using var loaded = KernelProgram.Load(new ProgramLoadOptions
        {
            Type = BpfProgramType.SocketFilter,
            Instructions = CbpfToEbpf.Convert(program),
            Name = "i15_cbpf",
        });
        foreach (var frame in Frames)
            Assert.Equal(Interpret(program, frame), loaded.Run(frame).ReturnValue);
    }

    [Fact]
    public void Ancillary_loads_read_the_socket_buffer_metadata()
    {
        CbpfInstruction Ld(uint ad) => new(Cbpf.Cbpf.Ld | Cbpf.Cbpf.W | Cbpf.Cbpf.Abs, 0, 0, Cbpf.Cbpf.AncillaryBase + ad);
        var retA = new CbpfInstruction(Cbpf.Cbpf.Ret | Cbpf.Cbpf.A, 0, 0, 0);
        var packet = new CbpfPacket(new byte[60]) { Protocol = 0x0008, PacketType = 3, IfIndex = 7, VlanTci = 100, VlanPresent = true, Mark = 9, RxHash = 0xabcd, Random = () => 42 };
        Assert.Equal(0x0800u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdProtocol), retA], packet));
        Assert.Equal(3u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdPktType), retA], packet));
        Assert.Equal(7u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdIfIndex), retA], packet));
        Assert.Equal(100u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdVlanTag), retA], packet));
        Assert.Equal(1u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdVlanTagPresent), retA], packet));
        Assert.Equal(9u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdMark), retA], packet));
        Assert.Equal(0xabcdu, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdRxHash), retA], packet));
        Assert.Equal(42u, CbpfInterpreter.Run([Ld(Cbpf.Cbpf.AdRandom), retA], packet));
        Assert.Equal(60u, CbpfInterpreter.Run([new(Cbpf.Cbpf.Ld | Cbpf.Cbpf.W | Cbpf.Cbpf.Len, 0, 0, 0), retA], packet));
        // unknown ancillary offset, a load past the end, and division by X = 0 all drop the packet
        Assert.Equal(0u, CbpfInterpreter.Run([Ld(0x400), retA], packet));
        Assert.Equal(0u, CbpfInterpreter.Run([new(Cbpf.Cbpf.Ld | Cbpf.Cbpf.W | Cbpf.Cbpf.Abs, 0, 0, 58), retA], packet));
        Assert.Equal(0u, CbpfInterpreter.Run([new(Cbpf.Cbpf.Ld | Cbpf.Cbpf.Imm, 0, 0, 5), new(Cbpf.Cbpf.Alu | Cbpf.Cbpf.Div | Cbpf.Cbpf.X, 0, 0, 0), retA], packet));
    }

    [Fact]
    public void Validator_refuses_what_the_kernel_refuses()
    {
        var ret = new CbpfInstruction(Cbpf.Cbpf.Ret | Cbpf.Cbpf.K, 0, 0, 0);
        Assert.Throws<CbpfException>(() => CbpfValidator.Validate([]));
        Assert.Throws<CbpfException>(() => CbpfValidator.Validate([new(Cbpf.Cbpf.Jmp | Cbpf.Cbpf.Jeq | Cbpf.Cbpf.K, 5, 0, 1), ret]));
        Assert.Throws<CbpfException>(() => CbpfValidator.Validate([new(Cbpf.Cbpf.St, 0, 0, 16), ret]));
        Assert.Throws<CbpfException>(() => CbpfValidator.Validate([new(Cbpf.Cbpf.Alu | Cbpf.Cbpf.Div | Cbpf.Cbpf.K, 0, 0, 0), ret]));
        Assert.Throws<CbpfException>(() => CbpfValidator.Validate([new(Cbpf.Cbpf.Ld | Cbpf.Cbpf.Imm, 0, 0, 0)]));
        Assert.Throws<CbpfException>(() => CbpfValidator.Validate([new(0xff, 0, 0, 0), ret]));
    }
}
