// Edge cases for the BTF C printer: typedefs of anonymous types,
// packed enums, empty structs, padding gaps, unions of bitfields, functions returning function pointers,
// pointers to arrays, restrict pointers, variadic function pointer types, self-referencing structs,
// block-scope struct types.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef struct {
    int x;
    int y;
} point_t;

typedef union {
    unsigned int raw;
    struct {
        unsigned int lo : 16;
        unsigned int hi : 16;
    } parts;
} word_t;

typedef enum { MODE_A, MODE_B = 10 } mode_t2;

enum __attribute__((packed)) small_enum { SMALL_A, SMALL_B = 200 };

struct empty { };

struct gaps {
    char c;
    long l;
    char tail;
    int : 0;
    short s;
    char arr[3];
};

struct late_bits {
    long first;
    unsigned int a : 2;
    unsigned int : 6;
    unsigned int b : 20;
    unsigned char after;
};

struct list_node {
    struct list_node *next;
    struct list_node **prev;
    void (*free_fn)(struct list_node *);
};

typedef int (*binop_t)(int, int);
typedef binop_t (*binop_factory_t)(const char *name);
typedef int (*variadic_t)(const char *fmt, ...);
typedef int (*no_args_t)(void);

struct pointers {
    int (*row)[4];
    char *restrict rp;
    const char *const *names;
    binop_factory_t factory;
    variadic_t logger;
    no_args_t getter;
    int *(*ptr_returning)(long);
    void *opaque;
    const void *copaque;
    volatile unsigned long long counter;
};

struct edge_holder {
    point_t pt;
    word_t word;
    mode_t2 mode;
    enum small_enum small;
    struct empty nothing;
    struct gaps gaps;
    struct late_bits late;
    struct list_node node;
    struct pointers ptrs;
    enum { ANON_X = 1, ANON_Y = 2 } inline_enum;
    struct { int inner; } inline_struct;
    long long matrix[2][3][4];
};

struct edge_holder edge_global;

static __attribute__((noinline)) int first_scope(int v)
{
    struct dup { int a; } d = { .a = v };
    volatile struct dup *p = &d;
    return p->a;
}

static __attribute__((noinline)) long second_scope(long v)
{
    struct dup { long b; char c; } d = { .b = v, .c = 1 };
    volatile struct dup *p = &d;
    return p->b + p->c;
}

SEC("socket")
int edges(struct __sk_buff *skb)
{
    return first_scope(skb->len) + (int)second_scope(skb->mark) + edge_global.pt.x;
}

char LICENSE[] SEC("license") = "GPL";
