// Skeleton test: C names that collide with C# keywords, with each other after PascalCase, with the skeleton's own
// members (Maps, Programs, Load, Spec, Dispose) and with object members (ToString, Equals); a legacy map without BTF
// types, per-CPU and ring buffer maps; a typedef'd anonymous struct; a struct member named like its struct.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct maps {
    __u32 maps;          // member named like its struct
    __u32 to_string;
    __u32 equals;
    __u32 get_hash_code;
    __u32 class_;
    __u32 rx_bytes;
    __u32 rxBytes;       // same PascalCase as rx_bytes
};

typedef struct {
    __u64 load;
    __u64 spec;
} programs_t;

struct maps maps;
programs_t programs;
__u32 dispose;
__u32 spec;
int _static;

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct maps);
} per_cpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(key_size, 6);
    __uint(value_size, 12);
    __uint(max_entries, 8);
} sized SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, programs_t);
} Maps SEC(".maps");

SEC("xdp")
int ToString(struct xdp_md *ctx)
{
    maps.maps++;
    maps.rx_bytes += 2;
    maps.rxBytes += 3;
    programs.load = 7;
    dispose = 1;
    spec = 2;
    _static = 3;
    __u32 k = 0;
    struct maps *v = bpf_map_lookup_elem(&per_cpu, &k);
    if (v)
        v->equals++;
    char key[6] = {1, 2, 3, 4, 5, 6};
    char value[12] = {0};
    bpf_map_update_elem(&sized, key, value, BPF_ANY);
    programs_t p = { .load = 1, .spec = 2 };
    bpf_map_update_elem(&Maps, &k, &p, BPF_ANY);
    return XDP_PASS;
}

SEC("xdp")
int to_string(struct xdp_md *ctx)
{
    return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
