// sharpbpf-test: libbpf-cannot-load
// A CO-RE read of a field the kernel's task_struct lacks, reachable: the loader poisons the instruction
// (call 0xbad2310) and the verifier rejects the program ("invalid func unknown#195896080").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___poison {
    int pid;
    int no_such_field_in_kernel;
} __attribute__((preserve_access_index));

SEC("raw_tp/sys_enter")
int core_task_poison(void *ctx)
{
    struct task_struct___poison *t = (void *)bpf_get_current_task_btf();
    return t->no_such_field_in_kernel;
}

char LICENSE[] SEC("license") = "GPL";
