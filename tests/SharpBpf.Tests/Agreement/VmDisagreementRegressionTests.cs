using SharpBpf.Running;
using SharpBpf.Tests.Packets;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Agreement;

/// <summary>
/// Disagreements the agreement tests found between the VM and the kernel (Linux 6.18), pinned down without the kernel
/// so they stay fixed on machines where the kernel side cannot run.
/// </summary>
public sealed class VmDisagreementRegressionTests
{
    private static ProgramRunReport RunVm(string file, string program, params byte[][] packets) => EngineAgreement.RunVm(new ProgramRunRequest
    {
        Target = TestPrograms.Compile(file),
        ProgramName = program,
        Inputs = packets.Select(p => (ReadOnlyMemory<byte>)p).ToList(),
    });

    [Theory]
    [InlineData("socket_filter.c", "socket_filter")]
    [InlineData("tc_rewrite.c", "tc_rewrite")]
    public void SkbTestRunRefusesIpv4FramesShorterThanTheIpHeader(string file, string program)
    {
        var udp = TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9);
        var result = RunVm(file, program, udp[..(14 + 19)], udp[..(14 + 20)], udp);
        Assert.Contains("EINVAL", result.Runs[0].Error);   // 19 bytes after the Ethernet header: the kernel says EINVAL
        Assert.Null(result.Runs[1].Error);                   // a bare IPv4 header is enough
        Assert.Null(result.Runs[2].Error);
    }

    [Fact]
    public void SkbTestRunRefusesIpv6FramesShorterThanTheIpv6Header()
    {
        byte[] frame = [.. new byte[12], 0x86, 0xdd, .. new byte[39]];
        var result = RunVm("socket_filter.c", "socket_filter", frame, [.. frame, 0]);
        Assert.Contains("EINVAL", result.Runs[0].Error);
        Assert.Null(result.Runs[1].Error);
    }

    [Fact]
    public void RingBufferNeverFillsCompletely()
    {
        // 32-byte records (24-byte event + 8-byte header) in a 4096-byte ring: the kernel takes 127, not 128.
        var frames = Enumerable.Range(0, 130).Select(_ => (byte[])[1, .. new byte[63]]).ToArray(); // odd first byte: one record each
        var bss = RunVm("ringbuf_output.c", "ringbuf_output", frames).Maps.Single(m => m.Name.EndsWith(".bss", StringComparison.Ordinal));
        var value = bss.Entries.Single().Value!;
        var counters = new[] { BitConverter.ToUInt64(value, 0), BitConverter.ToUInt64(value, 8) };
        Assert.Equal([3UL, 127UL], counters.Order()); // failed, emitted (clang lays out the two .bss counters)
    }

    [Fact]
    public void XdpContextRefusesARxQueueTheLoopbackDeviceDoesNotHave()
    {
        var packet = TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9);
        byte[] Md(uint rxQueue) => [.. new[] { 0u, (uint)packet.Length, 0u, 1u, rxQueue, 0u }.SelectMany(BitConverter.GetBytes)];
        ProgramRunReport Run(uint rxQueue) => EngineAgreement.RunVm(new ProgramRunRequest
        {
            Target = TestPrograms.Compile("xdp_pass.c"),
            Inputs = [packet],
            ContextIn = Md(rxQueue),
        });
        Assert.Null(Run(0).Runs[0].Error);                 // ingress_ifindex 1 (lo), queue 0: the kernel runs it
        Assert.Contains("EINVAL", Run(1).Runs[0].Error);   // queue 1: lo has one rx queue, the kernel says EINVAL
    }

    [Fact]
    public void XdpContextWithAShortDataEndIsAKnownGap()
    {
        // Linux 6.18 runs it as a multi-buffer packet; the VM has no frags and says so (not EINVAL: the input is valid).
        var packet = TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9);
        var result = EngineAgreement.RunVm(new ProgramRunRequest
        {
            Target = TestPrograms.Compile("xdp_pass.c"),
            Inputs = [packet],
            ContextIn = [.. new[] { 0u, (uint)packet.Length - 1, 0u, 0u, 0u, 0u }.SelectMany(BitConverter.GetBytes)],
        });
        Assert.Contains("multi-buffer", result.Runs[0].Error);
        Assert.Contains("EOPNOTSUPP", result.Runs[0].Error);
    }

    [Fact]
    public void XdpProgramsSeeTheLoopbackDeviceAsIngressByDefault()
    {
        // obj_btf_maps.c counts packets by ctx->ingress_ifindex: the kernel's test_run says 1 (lo), not 0.
        var result = RunVm("obj_btf_maps.c", "xdp_main", TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9));
        var counts = result.Maps.Single(m => m.Name == "counts");
        Assert.Equal("01000000", Convert.ToHexStringLower(counts.Entries.Single().Key));
    }
}
