// Rich BTF for the BTF parser/printer tests: bitfields, unions, anonymous members, enums (signed, 64-bit),
// function pointers, typedef chains, arrays of arrays, const/volatile, packed structs, flexible arrays.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned int u32_t;
typedef u32_t id_t;
typedef id_t chained_id_t;

enum color { RED, GREEN = 5, BLUE = 0x7fffffff };
enum signed_enum { NEG_ONE = -1, NEG_BIG = -100000, POS = 3 };
enum wide_enum : unsigned long long { WIDE_SMALL = 1, WIDE_BIG = 0xfedcba9876543210ULL };
enum swide_enum : long long { SWIDE_NEG = -5000000000LL, SWIDE_POS = 5000000000LL };

struct bits {
    unsigned int a : 3;
    unsigned int b : 5;
    int c : 7;
    unsigned long long d : 40;
    unsigned char e;
    unsigned short f : 4;
};

struct __attribute__((packed)) packed_thing {
    char tag;
    int value;
    long long big;
};

struct with_anon {
    int kind;
    union {
        int i;
        float f;
        struct {
            short lo;
            short hi;
        };
    };
    struct {
        char x, y;
    } point;
    union named_u {
        long l;
        void *p;
    } u;
};

typedef int (*callback_t)(void *ctx, const char *name, unsigned long n);

struct ops {
    callback_t cb;
    void (*notify)(struct ops *self, int event);
    int (*table[4])(int);
    const volatile int *cv_ptr;
    char *const const_ptr;
};

struct matrix {
    int cells[3][4];
    chained_id_t ids[2];
    enum color colors[2];
};

struct flex {
    unsigned int len;
    unsigned char data[];
};

struct everything {
    struct bits bits;
    struct packed_thing packed;
    struct with_anon anon;
    struct ops ops;
    struct matrix matrix;
    enum signed_enum se;
    enum wide_enum we;
    enum swide_enum swe;
    struct forward_only *fwd;
    union forward_union *fwd_u;
    double d;
    _Bool flag;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, chained_id_t);
    __type(value, struct everything);
} rich_map SEC(".maps");

volatile const int rich_config = 7;
struct flex *rich_flex_ptr;
int rich_counter;

static __attribute__((noinline)) int helper(struct everything *e, int n)
{
    return e->bits.b + n + e->matrix.cells[1][2];
}

SEC("xdp")
int rich(struct xdp_md *ctx)
{
    chained_id_t key = ctx->ingress_ifindex;
    struct everything *e = bpf_map_lookup_elem(&rich_map, &key);
    if (!e)
        return XDP_PASS;
    rich_counter += helper(e, rich_config) + e->se + (int)e->we + (int)e->swe;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
