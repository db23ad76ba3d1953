using SharpBpf.Tests.Packets;

namespace SharpBpf.Tests.Support;

/// <summary>A test program, the entry program to run and the packets to run it on (one run each, in order).</summary>
public sealed record TestProgramCase(string File, string Program, IReadOnlyList<byte[]> Packets)
{
    public override string ToString() => $"{File}:{Program}";
}

/// <summary>
/// Standard inputs for every program under tests/programs/, shared by the engines' differential tests
/// (VM vs kernel): every engine runs the same packets and must end with the same return values, output
/// packets and maps.
/// </summary>
public static class TestProgramCases
{
    /// <summary>A mix of frames: UDP (to port 9 and not, with a checksum, padded, VLAN-tagged), TCP (port 23 and 80), ICMP, ARP, IPv4 with TTL 1.</summary>
    public static IReadOnlyList<byte[]> MixedFrames { get; } =
    [
        TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9),
        TestFrames.Udp("10.0.0.1", "10.1.2.9", 1000, 53, payloadLength: 100, checksum: true),
        [.. TestFrames.Udp("10.0.0.2", "10.1.9.9", 1234, 5678, payloadLength: 2), .. new byte[12]],
        TestFrames.Udp("192.168.1.1", "10.9.0.1", 7, 7, vlan: 42),
        TestFrames.Tcp("10.0.0.3", "192.168.7.7", 40000, 23),
        TestFrames.Tcp("10.0.0.3", "172.16.0.1", 40000, 80),
        TestFrames.Icmp("10.0.0.4", "10.1.2.3"),
        TestFrames.Arp(),
        TestFrames.Udp("10.0.0.5", "10.1.0.1", 1, 2, ttl: 1),
    ];

    /// <summary>64-byte frames whose first byte is 0..4, 7 and 0xff (dispatch keys for tail calls and queue pops).</summary>
    public static IReadOnlyList<byte[]> FirstByteFrames { get; } =
        new byte[] { 0, 1, 2, 3, 4, 7, 0xff, 0xff, 0xff, 0xff }.Select(b => (byte[])[b, .. Enumerable.Range(1, 63).Select(i => (byte)i)]).ToList();

    /// <summary>A UDP frame sent to the broadcast, a multicast, another host's and the all-zero (loopback's own) address.</summary>
    public static IReadOnlyList<byte[]> DestinationFrames { get; } =
        new[] { "ffffffffffff", "01005e000001", "020000000009", "000000000000" }
            .Select(mac => (byte[])[.. Convert.FromHexString(mac), .. TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9).AsSpan(6)]).ToList();

    public static IReadOnlyList<TestProgramCase> All { get; } =
    [
        new("xdp_pass.c", "xdp_pass", MixedFrames),
        new("xdp_counters.c", "xdp_counters", MixedFrames),
        new("percpu_stats.c", "percpu_stats", MixedFrames),
        new("lpm_routing.c", "lpm_routing", MixedFrames),
        new("queue_stack.c", "queue_stack", [.. MixedFrames, .. FirstByteFrames]),
        new("tail_calls.c", "tail_entry", FirstByteFrames),
        new("global_data.c", "global_data", MixedFrames),
        new("bpf_calls.c", "bpf_calls", [.. MixedFrames, .. FirstByteFrames]),
        new("loops.c", "loops", [.. MixedFrames, .. FirstByteFrames]),
        new("atomics.c", "atomics", MixedFrames),
        new("xdp_rewrite.c", "xdp_rewrite", MixedFrames),
        new("tc_rewrite.c", "tc_rewrite", MixedFrames),
        new("socket_filter.c", "socket_filter", MixedFrames),
        new("ringbuf_output.c", "ringbuf_output", [.. MixedFrames, .. FirstByteFrames]),
        new("hook_socket_filter.c", "drop_d", MixedFrames),
        new("hook_tc_drop_udp.c", "tc_drop_udp", MixedFrames),
        new("hook_xdp_drop_udp.c", "xdp_drop_udp", MixedFrames),
        new("kernel_btf_values.c", "touch", MixedFrames),
        new("kernel_counter.c", "count_packets", MixedFrames),
        new("vm_features.c", "loop_squares", MixedFrames),
        new("vm_features.c", "tail_caller", FirstByteFrames),
        new("vm_features.c", "map_in_map", MixedFrames),
        new("vm_tc.c", "tc_mark", MixedFrames),
        new("vm_tc.c", "socket_len", MixedFrames),
        new("vm_tc.c", "socket_ldabs", MixedFrames),
        new("vm_tc_csum.c", "tc_rewrite", MixedFrames),
        new("vm_xdp_adjust.c", "xdp_adjust", MixedFrames),
        new("vm_xdp_count.c", "xdp_count", MixedFrames),
        new("skel_globals.c", "count_packets", MixedFrames),
        new("jit_calls.c", "tail_in_subprogram", FirstByteFrames),
        new("jit_calls.c", "loop_callbacks", MixedFrames),
        new("jit_calls.c", "subprogram_chain", MixedFrames),
        new("skel_kernel_types.c", "keep", MixedFrames),
        new("skel_names.c", "to_string", MixedFrames),
        new("vm_redirect.c", "xdp_redirect_ways", [.. MixedFrames, .. FirstByteFrames]),
        new("vm_xdp_bytes.c", "xdp_bytes", MixedFrames),
        new("vm_skb_helpers.c", "tc_helpers", [.. MixedFrames, .. DestinationFrames]),
        new("vm_fib.c", "xdp_router", MixedFrames),
        new("vm_huge_array.c", "xdp_huge", MixedFrames),
    ];
}
