// Objects test: legacy map definitions in the "maps" section (struct bpf_map_def, as iproute2 and old
// libbpf wrote them), a kernel version section and several programs in one section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct legacy_map_def SEC("maps") packets = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 16,
};

struct legacy_map_def SEC("maps") flows = {
    .type = BPF_MAP_TYPE_LRU_HASH,
    .key_size = 8,
    .value_size = 24,
    .max_entries = 1024,
    .map_flags = 2,
};

struct legacy_map_def SEC("maps") trie = {
    .type = BPF_MAP_TYPE_LPM_TRIE,
    .key_size = 8,
    .value_size = 4,
    .max_entries = 64,
    .map_flags = BPF_F_NO_PREALLOC,
};

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
    __u32 key = skb->protocol & 15;
    __u64 *value = bpf_map_lookup_elem(&packets, &key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return 0;
}

SEC("socket")
int track_flows(struct __sk_buff *skb)
{
    __u64 key = skb->hash;
    __u8 zero[24] = {};
    bpf_map_update_elem(&flows, &key, zero, BPF_ANY);
    __u64 prefix[1] = { 32 };
    return bpf_map_lookup_elem(&trie, prefix) ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x050a00;
