// CO-RE relocations of every kind clang 14 emits: field offset/size/exists/signedness/bitfield shifts,
// type id/exists/size, enum value exists/value, and a ___flavour type. Local types mirror (a subset of)
// the kernel's, with preserve_access_index so that accesses become relocations.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct list_head___local {
    struct list_head___local *next;
} __attribute__((preserve_access_index));

struct task_struct {
    int pid;
    int tgid;
    unsigned int flags;
    char comm[16];
    struct task_struct *real_parent;
} __attribute__((preserve_access_index));

struct task_struct___flavour {
    int pid;
    int no_such_field_in_kernel;
} __attribute__((preserve_access_index));

struct sk_buff {
    unsigned int len;
    __u8 pkt_type : 3;
} __attribute__((preserve_access_index));

enum bpf_map_type___local {
    BPF_MAP_TYPE_HASH___local = 1,
    BPF_MAP_TYPE_NOT_A_REAL_MAP___local = 1000,
};

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID };

int results[16];

SEC("raw_tracepoint/sys_enter")
int core_reads(void *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct task_struct___flavour *flav = (void *)task;
    struct sk_buff *skb = (void *)ctx;

    results[0] = BPF_CORE_READ(task, real_parent, tgid);
    results[1] = bpf_core_field_exists(flav->no_such_field_in_kernel);
    results[2] = bpf_core_field_size(task->comm);
    results[3] = bpf_core_field_offset(task->flags);
    results[4] = bpf_core_type_exists(struct list_head___local);
    results[5] = bpf_core_type_size(struct task_struct);
    results[6] = bpf_core_enum_value_exists(enum bpf_map_type___local, BPF_MAP_TYPE_NOT_A_REAL_MAP___local);
    results[7] = bpf_core_enum_value(enum pid_type, PIDTYPE_TGID);
    results[8] = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
    results[9] = bpf_core_type_id_kernel(struct task_struct);
    results[10] = bpf_core_type_id_local(struct task_struct);
    results[11] = bpf_core_field_exists(flav->pid);
    results[12] = __builtin_preserve_field_info(task->pid, BPF_FIELD_SIGNED);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
