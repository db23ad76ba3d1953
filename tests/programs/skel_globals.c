// Skeleton test: rich global data in .data, .bss and const volatile .rodata (structs, arrays of primitives and of
// structs, unions, anonymous members, enums of several sizes, signed and unsigned bitfields, bools, padding), a
// hidden static variable and a hash map with struct key and value. Each run on a packet updates all of it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum mode { MODE_OFF = 0, MODE_ON = 1, MODE_AUTO = 7 };
enum __attribute__((packed)) tiny { TINY_A = 1, TINY_B = 200 };
enum wide { WIDE_BIG = 0x100000000ULL };

struct stats {
    __u64 packets;
    __u64 bytes;
};

struct point {
    __s16 x;
    __s16 y;
};

union number {
    __u32 u;
    __u8 b[4];
    float f;
};

struct flags {
    unsigned int a : 3;
    unsigned int b : 5;
    int c : 4;
    unsigned int d : 20;
    __u8 tail;          // padding follows up to 8 bytes
};

struct mixed {
    __u8 kind;          // 3 bytes of padding
    union {
        __u32 as_u32;
        __s16 as_s16[2];
    };                  // anonymous union: members reached directly
    struct {
        __u16 lo;
        __u16 hi;
    } half;             // named member of an anonymous struct type
    _Bool on;
    __u64 words[2][2];  // two-dimensional array
};

struct flow_key {
    __u8 proto;
    __u16 port;
};

struct flow_value {
    __u64 count;
    __u32 last_len;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, struct flow_key);
    __type(value, struct flow_value);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} totals SEC(".maps");

// .bss
struct stats counters;
__u32 histogram[8];
struct point points[3];
union number number;
struct flags flags;
struct mixed mixed;
enum mode mode;
enum tiny tiny;
enum wide wide;
_Bool seen;
static __u64 hidden;

// .data
__u64 magic = 0x1122334455667788ULL;
char name[8] = "skel";
__s32 delta = -5;

// A section whose only variable is hidden: not a static (BTF says global, as libbpf reads it), so exposed.
__attribute__((visibility("hidden"))) __u32 hidden_global SEC(".data.hidden") = 1;

// .rodata
const volatile __u32 threshold = 10;
const volatile struct {
    __u8 enabled;
    __u64 multiplier;
} config = { 1, 3 };

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;

    counters.packets++;
    counters.bytes += len;
    histogram[len & 7]++;
    hidden += len;
    for (int i = 0; i < 3; i++) {
        points[i].x = i + 1;
        points[i].y = -(i + 1);
    }
    number.u = 0x40490fdb;
    flags.a = 5;
    flags.b = 17;
    flags.c = -3;
    flags.d = 0xABCDE;
    flags.tail = 0x5a;
    mixed.kind = 9;
    mixed.as_s16[0] = -2;
    mixed.as_s16[1] = 3;
    mixed.half.lo = 0x1234;
    mixed.half.hi = 0x5678;
    mixed.on = 1;
    mixed.words[1][0] = 77;
    mode = counters.packets > threshold ? MODE_AUTO : MODE_ON;
    tiny = TINY_B;
    wide = WIDE_BIG;
    seen = 1;
    magic += delta;
    hidden_global *= 2;
    if (config.enabled)
        counters.bytes += config.multiplier;

    struct flow_key key = { .proto = 6, .port = 80 };
    struct flow_value *v = bpf_map_lookup_elem(&flows, &key);
    if (v) {
        v->count++;
        v->last_len = len;
    } else {
        struct flow_value init;
        __builtin_memset(&init, 0, sizeof(init)); /* the padding too: the map copies all of it */
        init.count = 1;
        init.last_len = len;
        bpf_map_update_elem(&flows, &key, &init, BPF_ANY);
    }
    __u32 slot = 1;
    __u64 *total = bpf_map_lookup_elem(&totals, &slot);
    if (total)
        *total += len;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
