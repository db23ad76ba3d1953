using System.Text.RegularExpressions;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm;

/// <summary>
/// The same clang-built object run in the VM and in the kernel (bpftool prog loadall + prog run, i.e. BPF_PROG_TEST_RUN):
/// return value, data_out and ctx_out must agree. The kernel is the authority.
/// </summary>
public partial class VmKernelDifferentialTests
{
    [GeneratedRegex(@"Return value: (\d+)")]
    private static partial Regex ReturnValue();

    private sealed class Pinned : IDisposable
    {
        public Pinned(string obj)
        {
            Dir = $"/sys/fs/bpf/sharpbpf_vmtest_{Environment.ProcessId}_{Guid.NewGuid():N}"[..60];
            // Maps are pinned too: a PROG_ARRAY loses its entries when its last user reference goes (bpftool exiting).
            var (code, _, err) = TestPrograms.Run("bpftool", ["prog", "loadall", obj, Dir, "pinmaps", Dir + "_maps"]);
            Assert.True(code == 0, $"bpftool prog loadall failed: {err}");
        }

        public string Dir { get; }

        public (ulong Retval, byte[] DataOut, byte[]? CtxOut) Run(string program, byte[] data, byte[]? ctxIn)
        {
            var temp = Path.Combine(Path.GetTempPath(), $"sharpbpf_vmtest_{Guid.NewGuid():N}");
            Directory.CreateDirectory(temp);
            try
            {
                File.WriteAllBytes(Path.Combine(temp, "in"), data);
                var args = new List<string> { "prog", "run", "pinned", Path.Combine(Dir, program), "data_in", Path.Combine(temp, "in"), "data_out", Path.Combine(temp, "out") };
                if (ctxIn is not null)
                {
                    File.WriteAllBytes(Path.Combine(temp, "ctx"), ctxIn);
                    args.AddRange(["ctx_in", Path.Combine(temp, "ctx"), "ctx_out", Path.Combine(temp, "ctxout")]);
                }
                var (code, stdout, stderr) = TestPrograms.Run("bpftool", args);
                Assert.True(code == 0, $"bpftool prog run failed: {stderr}");
                var retval = ulong.Parse(ReturnValue().Match(stdout).Groups[1].Value);
                var ctxOut = ctxIn is null ? null : File.ReadAllBytes(Path.Combine(temp, "ctxout"));
                return (retval, File.ReadAllBytes(Path.Combine(temp, "out")), ctxOut);
            }
            finally
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        public void Dispose()
        {
            Directory.Delete(Dir, recursive: true);
            if (Directory.Exists(Dir + "_maps"))
                Directory.Delete(Dir + "_maps", recursive: true);
        }
    }

    public static TheoryData<byte, ushort, ushort, int> Packets() => new()
    {
        { 17, 53, 0x0800, 64 },
        { 17, 9, 0x0800, 64 },
        { 6, 80, 0x0800, 100 },
        { 1, 0, 0x0800, 42 },
        { 0, 0, 0x86dd, 80 },
        { 17, 9, 0x0800, 30 }, // UDP header cut off: XDP_ABORTED
    };

    [SkippableTheory]
    [MemberData(nameof(Packets))]
    public void XdpAgreesWithTheKernel(byte protocol, ushort port, ushort etherType, int length)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile("vm_xdp_count.c");
        var packet = VmObjectTests.Packet(protocol, port, etherType, length);
        using var pinned = new Pinned(obj);
        var kernel = pinned.Run("xdp_count", packet, null);
        using var engine = new VmEngine();
        var vm = engine.Load(ObjectSpec.Load(obj)).Program("xdp_count").Run(packet);
        Assert.Equal(kernel.Retval, vm.ReturnValue);
        Assert.Equal(kernel.DataOut, vm.DataOut);
    }

    [SkippableTheory]
    [MemberData(nameof(Packets))]
    public void TcAndSocketFiltersAgreeWithTheKernel(byte protocol, ushort port, ushort etherType, int length)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile("vm_tc.c");
        var packet = VmObjectTests.Packet(protocol, port, etherType, length);
        var ctxIn = new byte[192];
        ctxIn[8] = 5;   // mark
        ctxIn[32] = 3;  // priority
        ctxIn[52] = 9;  // cb[1]
        using var pinned = new Pinned(obj);
        using var engine = new VmEngine();
        var collection = engine.Load(ObjectSpec.Load(obj));
        if (etherType == 0x0800 && length < 34)
        {
            // Too short for its IPv4 header: the kernel's test_run refuses it, and so does the VM.
            Assert.Throws<BpfException>(() => collection.Program("tc_mark").Run(new RunInput { Data = packet, Context = ctxIn }));
            return;
        }
        foreach (var name in new[] { "tc_mark", "socket_len", "socket_ldabs" })
        {
            var kernel = pinned.Run(name, packet, ctxIn);
            var vm = collection.Program(name).Run(new RunInput { Data = packet, Context = ctxIn });
            Assert.Equal(kernel.Retval, vm.ReturnValue);
            Assert.Equal(kernel.DataOut, vm.DataOut);
            Assert.Equal(kernel.CtxOut, vm.ContextOut);
        }
    }

    [SkippableTheory]
    [InlineData("loop_squares", 2)]
    [InlineData("tail_caller", 1)]
    [InlineData("tail_caller_init", 3)]
    [InlineData("map_in_map", 2)]
    public void CallbacksTailCallsAndMapsOfMapsAgreeWithTheKernel(string name, ulong expected)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile("vm_features.c");
        var packet = VmObjectTests.Packet(17, 53);
        using var pinned = new Pinned(obj);
        var kernel = pinned.Run(name, packet, null);
        using var engine = new VmEngine();
        var vm = engine.Load(ObjectSpec.Load(obj)).Program(name).Run(packet);
        Assert.Equal(expected, kernel.Retval);
        Assert.Equal(kernel.Retval, vm.ReturnValue);
        Assert.Equal(kernel.DataOut, vm.DataOut);
    }

    [SkippableTheory]
    [InlineData(0, 0, 0, 64)]
    [InlineData(-8, 0, 0, 64)]
    [InlineData(-32, 0, 0, 64)]
    [InlineData(-36, 0, 0, 64)]      // more than 32 bytes of metadata (allowed since the limit became meta_len's 255)
    [InlineData(-216, 0, 0, 64)]
    [InlineData(-220, 0, 0, 64)]     // into struct xdp_frame: -EINVAL
    [InlineData(-6, 0, 0, 64)]       // not a multiple of 4: -EACCES
    [InlineData(0, -216, 0, 64)]     // headroom down to sizeof(struct xdp_frame)
    [InlineData(0, -217, 0, 64)]
    [InlineData(-8, -208, 0, 64)]
    [InlineData(-8, -209, 0, 64)]
    [InlineData(0, 14, 0, 64)]
    [InlineData(0, 50, 0, 64)]       // leaves less than an Ethernet header
    [InlineData(0, 51, 0, 64)]
    [InlineData(0, 0, 100, 64)]
    [InlineData(0, 0, 3456, 64)]     // up to the frame end minus skb_shared_info
    [InlineData(0, 0, 3457, 64)]
    [InlineData(0, 0, -50, 64)]
    [InlineData(0, 0, -51, 64)]
    [InlineData(-4, -100, 200, 300)]
    public void XdpAdjustHelpersAgreeWithTheKernel(int meta, int head, int tail, int length)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile("vm_xdp_adjust.c");
        var packet = new byte[length];
        for (int i = 12; i < length; i++) packet[i] = (byte)i;
        BitConverter.TryWriteBytes(packet.AsSpan(0), meta);
        BitConverter.TryWriteBytes(packet.AsSpan(4), head);
        BitConverter.TryWriteBytes(packet.AsSpan(8), tail);
        using var pinned = new Pinned(obj);
        var kernel = pinned.Run("xdp_adjust", packet, null);
        using var engine = new VmEngine();
        var vm = engine.Load(ObjectSpec.Load(obj)).Program("xdp_adjust").Run(packet);
        Assert.Equal(kernel.Retval.ToString("x6"), vm.ReturnValue.ToString("x6"));
        Assert.Equal(kernel.DataOut, vm.DataOut);
    }

    [SkippableTheory]
    [InlineData(64, 0)]
    [InlineData(100, 0x1234)]
    [InlineData(64, 0xffff)]
    public void ChecksumHelpersAgreeWithTheKernel(int length, int udpChecksum)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile("vm_tc_csum.c");
        var packet = VmObjectTests.Packet(17, 53, 0x0800, length);
        packet[24] = 0xb1; packet[25] = 0x7c;                                 // some IP checksum
        packet[40] = (byte)(udpChecksum >> 8); packet[41] = (byte)udpChecksum;  // UDP checksum
        using var pinned = new Pinned(obj);
        var kernel = pinned.Run("tc_rewrite", packet, new byte[192]);
        using var engine = new VmEngine();
        var vm = engine.Load(ObjectSpec.Load(obj)).Program("tc_rewrite").Run(new RunInput { Data = packet, Context = new byte[192] });
        Assert.Equal(kernel.Retval.ToString("x6"), vm.ReturnValue.ToString("x6"));
        Assert.Equal(Convert.ToHexString(kernel.DataOut), Convert.ToHexString(vm.DataOut));
    }
}
