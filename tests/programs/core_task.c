// CO-RE against the running kernel: reads the current task through a local task_struct___mine whose layout
// (core_task.h) differs from the kernel's, with probe reads (BPF_CORE_READ) and direct loads through
// bpf_get_current_task_btf() (one read in a subprogram), plus field/type/enum relocations. Run with BPF_PROG_TEST_RUN, "current" is the caller.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "core_task.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct task_result);
} task_results SEC(".maps");

/* A subprogram: its relocations must be applied where the linker placed it. */
static __attribute__((noinline)) __u64 read_tgid(struct task_struct___mine *t)
{
    return BPF_CORE_READ(t, tgid);
}

SEC("raw_tp/sys_enter")
int core_task(void *ctx)
{
    __u32 key = 0;
    struct task_result *r = bpf_map_lookup_elem(&task_results, &key);
    if (!r)
        return 1;
    struct task_struct___mine *t = (void *)bpf_get_current_task();
    struct task_struct___mine *direct = (void *)bpf_get_current_task_btf();

    r->pid = BPF_CORE_READ(t, pid);
    r->tgid = read_tgid(t);
    r->pid_direct = direct->pid;
    r->tgid_direct = direct->tgid;
    r->parent_tgid = BPF_CORE_READ(t, real_parent, tgid);
    r->missing_exists = bpf_core_field_exists(t->no_such_field_in_kernel);
    r->type_exists = bpf_core_type_exists(struct task_struct___mine);
    r->enum_tgid = bpf_core_enum_value(enum pid_type___mine, PIDTYPE_TGID___mine);
    r->enum_missing_exists = bpf_core_enum_value_exists(enum pid_type___mine, PIDTYPE_NOT_IN_KERNEL___mine);
    r->task_size = bpf_core_type_size(struct task_struct___mine);
    r->comm_size = bpf_core_field_size(t->comm);
    r->pid_offset = bpf_core_field_offset(t->pid);
    BPF_CORE_READ_STR_INTO(&r->comm, t, comm);
    if (bpf_core_field_exists(t->no_such_field_in_kernel))
        r->pid = BPF_CORE_READ(t, no_such_field_in_kernel); // dead code against the kernel: poisoned, then removed by the verifier
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
