// Kernel test: maps whose BTF describes rich values, for bpftool-compatible formatted dumps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum color { RED = 1, GREEN = 2, BLUE = 4 };

struct rich {
    int a;
    unsigned short s;
    signed char c;
    char name[8];
    enum color color;
    _Bool flag;
    unsigned char bytes[3];
    unsigned int bits_lo : 3;
    unsigned int bits_hi : 5;
    union {
        __u32 word;
        __u16 halves[2];
    } u;
    struct {
        __s64 neg;
    } inner;
    long long ll;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct rich);
} riches SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 4);
    __type(key, __u64);
    __type(value, __s32);
} per_cpu SEC(".maps");

int counter = 5;
char label[6] = "hello";
const volatile __u16 limit = 7;

SEC("socket")
int touch(struct __sk_buff *skb)
{
    __u32 k = 0;
    struct rich *r = bpf_map_lookup_elem(&riches, &k);
    if (r)
        r->a += limit + counter + label[0];
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
