using System.Buffers.Binary;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Tests.Events;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Tests.Vm;

/// <summary>clang-built objects loaded into the VM: maps, global data, subprograms, callbacks, tail calls, contexts.</summary>
public class VmObjectTests
{
    internal static byte[] Packet(byte protocol, ushort destPort = 0, ushort etherType = 0x0800, int length = 64)
    {
        var p = new byte[Math.Max(length, 64)];
        for (int i = 0; i < 6; i++) p[i] = (byte)(0x02 + i);      // destination
        for (int i = 6; i < 12; i++) p[i] = (byte)(0x10 + i);     // source
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(12), etherType);
        p[14] = 0x45; p[22] = 64; p[23] = protocol;               // version/IHL, TTL, protocol
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), (ushort)(length - 14));
        p[26] = 10; p[29] = 1; p[30] = 10; p[33] = 2;             // 10.0.0.1 -> 10.0.0.2
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), destPort);
        return p[..length];
    }

    private static ObjectSpec Object(string file) => ObjectSpec.Load(TestPrograms.Compile(file));

    [Fact]
    public void XdpProgramCountsPerProtocolInAHashMapAndGlobalData()
    {
        using var engine = new VmEngine();
        var collection = engine.Load(Object("vm_xdp_count.c"));
        var program = collection.Program("xdp_count");
        Assert.Equal(2UL, program.Run(Packet(17, destPort: 53)).ReturnValue);   // XDP_PASS
        Assert.Equal(1UL, program.Run(Packet(17, destPort: 9)).ReturnValue);    // XDP_DROP
        Assert.Equal(2UL, program.Run(Packet(6)).ReturnValue);
        Assert.Equal(2UL, program.Run(Packet(0, etherType: 0x86dd)).ReturnValue);
        Assert.Equal(2UL, program.Run(new byte[14]).ReturnValue); // not IPv4: passes

        var counts = new BpfMap<uint, ulong>(collection.Map("counts"));
        Assert.Equal(2UL, counts[17]);
        Assert.Equal(1UL, counts[6]);
        var bss = collection.Maps.Values.Single(m => m.Name.EndsWith(".bss", StringComparison.Ordinal));
        var value = new byte[bss.ValueSize];
        Assert.True(bss.TryLookup(new byte[4], value));
        Assert.Equal(5UL, BinaryPrimitives.ReadUInt64LittleEndian(value));
    }

    [Fact]
    public void XdpWritesThePacketAndAdjustHeadShortensDataOut()
    {
        var obj = Object("vm_xdp_count.c");
        var rodata = obj.Maps.Single(m => m.IsReadOnlyData);
        rodata.InitialValue = [1, 0, 0, 0]; // strip_ethernet = 1
        using var engine = new VmEngine();
        var program = engine.Load(obj).Program("xdp_count");
        var packet = Packet(1);
        var result = program.Run(packet);
        Assert.Equal(2UL, result.ReturnValue);
        Assert.Equal(packet.Length - 14, result.DataOut.Length);
        Assert.Equal(63, result.DataOut[8]); // TTL decremented, offset 22 - 14
        Assert.Equal(packet.AsSpan(14, 8).ToArray(), result.DataOut.AsSpan(0, 8).ToArray());
        Assert.Equal(24, result.ContextOut!.Length);
        Assert.Equal((uint)(packet.Length - 14), BinaryPrimitives.ReadUInt32LittleEndian(result.ContextOut.AsSpan(4)));
    }

    [Fact]
    public void SubprogramsLoopCallbacksTracePrintkAndRingBuffer()
    {
        var lines = new List<string>();
        using var engine = new VmEngine(new VmOptions { TraceSink = lines.Add });
        var collection = engine.Load(Object("vm_features.c"));
        var result = collection.Program("loop_squares").Run(new byte[64]);
        Assert.Equal(2UL, result.ReturnValue);
        Assert.Equal(["sum=285 n=10", "1 2 3 64", "sum-285"], lines);
        Assert.Equal(285UL, new BpfMap<uint, ulong>(collection.Map("results"))[0]);

        using var reader = new VmRingBufferReader((IVmRingBuffer)collection.Maps["events"]);
        var records = reader.Drain();
        Assert.Single(records);
        Assert.Equal(285UL, BinaryPrimitives.ReadUInt64LittleEndian(records[0]));
    }

    [Fact]
    public void TailCallsGoThroughProgramArraysFilledByIdOrByValues()
    {
        using var engine = new VmEngine();
        var collection = engine.Load(Object("vm_features.c"));
        var caller = collection.Program("tail_caller");
        Assert.Equal(1UL, caller.Run(new byte[64]).ReturnValue); // empty array: both tail calls fall through

        var jump = collection.Map("jump");
        jump.Update(BitConverter.GetBytes(0), BitConverter.GetBytes(collection.Program("tail_target").Id));
        Assert.Equal(3UL, caller.Run(new byte[64]).ReturnValue); // XDP_TX from the target

        Assert.Equal(3UL, collection.Program("tail_caller_init").Run(new byte[64]).ReturnValue);
    }

    [Fact]
    public void BigEndianObjectsAreRefused()
    {
        using var engine = new VmEngine();
        var e = Assert.Throws<VmLoadException>(() => engine.Load(ObjectSpec.Load(TestPrograms.Compile("xdp_pass.c", bigEndian: true))));
        Assert.Contains("big-endian", e.Message);
    }

    [Fact]
    public void SeededRandomnessIsReproducible()
    {
        ulong Draw()
        {
            using var engine = new VmEngine(new VmOptions { RandomSeed = 42 });
            return engine.LoadProgram(SharpBpf.Isa.Assembly.Assembler.Assemble("call 7\nmov %r6, %r0\ncall 7\nlsh %r0, 32\nor %r0, %r6\nexit")).RunOnMemory([]);
        }
        Assert.Equal(Draw(), Draw());
    }

    [Fact]
    public void MapInMapLookupsReachTheInnerMap()
    {
        using var engine = new VmEngine();
        var collection = engine.Load(Object("vm_features.c"));
        var program = collection.Program("map_in_map");
        Assert.Equal(2UL, program.Run(new byte[64]).ReturnValue);
        Assert.Equal(2UL, program.Run(new byte[64]).ReturnValue);
        Assert.Equal(10UL, new BpfMap<uint, ulong>(collection.Map("inner_a"))[0]);
    }

    [Fact]
    public void TcProgramSeesSkbFieldsAndReturnsContextOut()
    {
        using var engine = new VmEngine();
        var program = engine.Load(Object("vm_tc.c")).Program("tc_mark");
        var packet = Packet(6, length: 60);
        var ctxIn = new byte[192];
        BinaryPrimitives.WriteUInt32LittleEndian(ctxIn.AsSpan(40), 7); // ifindex
        var result = program.Run(new RunInput { Data = packet, Context = ctxIn });
        Assert.Equal(0UL, result.ReturnValue); // TC_ACT_OK
        var ctxOut = result.ContextOut!;
        Assert.Equal(60u + (0x0008u << 16), BinaryPrimitives.ReadUInt32LittleEndian(ctxOut.AsSpan(8)));  // mark
        Assert.Equal((uint)packet[0], BinaryPrimitives.ReadUInt32LittleEndian(ctxOut.AsSpan(48)));    // cb[0]
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(ctxOut.AsSpan(64)));                 // cb[4]
        Assert.Equal(packet, result.DataOut);
    }

    [Fact]
    public void SocketFiltersSeeThePacketFromTheNetworkHeader()
    {
        using var engine = new VmEngine();
        var program = engine.Load(Object("vm_tc.c")).Program("socket_len");
        var packet = Packet(6, length: 60);
        var result = program.Run(packet);
        Assert.Equal(46UL, result.ReturnValue);
        Assert.Equal(46u, BinaryPrimitives.ReadUInt32LittleEndian(result.ContextOut!.AsSpan(52)));
        Assert.Equal(new byte[14], result.DataOut[..14]); // the kernel zeroes the pushed-back Ethernet header
        Assert.Equal(packet[14..], result.DataOut[14..]);
    }

    [Fact]
    public void ContextInputTheKernelRefusesIsRefused()
    {
        using var engine = new VmEngine();
        var program = engine.Load(Object("vm_tc.c")).Program("tc_mark");
        var ctxIn = new byte[192];
        ctxIn[0] = 1; // len is not settable
        var e = Assert.Throws<BpfException>(() => program.Run(new RunInput { Data = Packet(6), Context = ctxIn }));
        Assert.Contains("EINVAL", e.Message);
        Assert.Throws<BpfException>(() => program.Run(new byte[10])); // shorter than an Ethernet header
    }
}
