namespace SharpBpf.Tests.Linux.Attach;

public class LoadProbeTests
{
    [Theory]
    [InlineData("hook_tracepoint_getpid.c")]
    [InlineData("hook_raw_tp.c")]
    [InlineData("hook_uprobe.c")]
    [InlineData("hook_xdp_drop_udp.c")]
    [InlineData("hook_tc_drop_udp.c")]
    [InlineData("hook_socket_filter.c")]
    [InlineData("hook_cgroup_skb.c")]
    [InlineData("hook_perf_output.c")]
    public void Loads(string file)
    {
        using var o = new LoadedObject(file);
    }
}
