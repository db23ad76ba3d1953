// One function, several helpers, maps and branch kinds: its verifier log lines map 1:1 onto the ELF section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("socket")
int helpers(struct __sk_buff *skb)
{
	__u32 key = skb->protocol ^ skb->len;
	__u64 one = 1, *v;
	__u64 now = bpf_ktime_get_ns();
	__u32 rnd = bpf_get_prandom_u32();

	v = bpf_map_lookup_elem(&seen, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&seen, &key, &one, BPF_NOEXIST);
	if ((__s64)now < 0 || rnd > 0xfffff000u)
		bpf_map_delete_elem(&seen, &key);
	if (skb->len > 1500 && (skb->mark & 0x10))
		return 0;
	return skb->len < 60 ? 0 : (int)skb->len;
}

char LICENSE[] SEC("license") = "GPL";
