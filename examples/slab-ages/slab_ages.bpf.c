// Slab object ages (the kernel sample tracex4, on tracepoints): when a slab object is allocated, remember when and
// from where in the `objects` hash map (key: the object's address); when it is freed, forget it. The host walks the
// map and reports the objects that have lived longer than a second.
//
// Two ways in, the host loads one pair: the kmem tracepoints (kmem_cache_alloc / kmem_cache_free, always there with
// CONFIG_TRACEPOINTS) or, when the kernel offers kprobes, tracex4's kretprobe on kmem_cache_alloc_node and kprobe on
// kmem_cache_free.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct allocation {
    __u64 time_ns;   // bpf_ktime_get_ns (CLOCK_MONOTONIC) at allocation
    __u64 call_site; // kernel address that asked for the object
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 200000);
    __type(key, __u64);   // object address
    __type(value, struct allocation);
} objects SEC(".maps");

// The tracepoints' records, as /sys/kernel/tracing/events/kmem/kmem_cache_{alloc,free}/format lay them out
// (the first 8 bytes are the common fields).
struct kmem_cache_alloc_record {
    __u64 common;
    unsigned long call_site;
    const void *ptr;
    __u32 name;         // __data_loc char[]
    __u32 padding;
    __u64 bytes_req;
    __u64 bytes_alloc;
    unsigned long gfp_flags;
    int node;
    _Bool accounted;
};

struct kmem_cache_free_record {
    __u64 common;
    unsigned long call_site;
    const void *ptr;
    __u32 name;
};

static __always_inline void remember(__u64 object, __u64 call_site)
{
    if (!object)
        return;
    struct allocation a = { .time_ns = bpf_ktime_get_ns(), .call_site = call_site };
    bpf_map_update_elem(&objects, &object, &a, BPF_ANY); // fails quietly when the map is full
}

static __always_inline void forget(__u64 object)
{
    bpf_map_delete_elem(&objects, &object);
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int tp_alloc(struct kmem_cache_alloc_record *ctx)
{
    remember((__u64)ctx->ptr, ctx->call_site);
    return 0;
}

SEC("tracepoint/kmem/kmem_cache_free")
int tp_free(struct kmem_cache_free_record *ctx)
{
    forget((__u64)ctx->ptr);
    return 0;
}

// The kprobe pair. The host attaches them to the function the running kernel has (kmem_cache_alloc_node or, since
// 6.10, kmem_cache_alloc_node_noprof); on x86 a kretprobe sees the caller's return address as the ip.
SEC("kretprobe/kmem_cache_alloc_node")
int kp_alloc(struct pt_regs *ctx)
{
    remember(PT_REGS_RC(ctx), PT_REGS_IP(ctx));
    return 0;
}

SEC("kprobe/kmem_cache_free")
int kp_free(struct pt_regs *ctx)
{
    forget(PT_REGS_PARM2(ctx));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
