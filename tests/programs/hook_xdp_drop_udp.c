// XDP: drops IPv4 UDP datagrams to port 7777 and lets everything else through. counts[0] = packets seen, counts[1] = dropped.
#include "hook_counts.h"

SEC("xdp")
int xdp_drop_udp(struct xdp_md *ctx)
{
    bump(0);
    if (!is_udp_to_port((void *)(long)ctx->data, (void *)(long)ctx->data_end, 7777))
        return XDP_PASS;
    bump(1);
    return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
