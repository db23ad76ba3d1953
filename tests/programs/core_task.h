/* Local view of kernel types for core_task.c: deliberately NOT the kernel's layout (other member order, fewer
 * members, a member the kernel lacks, enumerator values the kernel does not use), so that only CO-RE relocations
 * applied against the running kernel's BTF make the program read the right fields. */
#ifndef CORE_TASK_H
#define CORE_TASK_H

struct task_struct___mine {
    int tgid;
    struct task_struct___mine *real_parent;
    unsigned int no_such_field_in_kernel;
    char comm[16];
    int pid;
} __attribute__((preserve_access_index));

enum pid_type___mine {
    PIDTYPE_TGID___mine = 7,
    PIDTYPE_NOT_IN_KERNEL___mine = 9,
};

struct task_result {
    __u64 pid;
    __u64 tgid;
    __u64 pid_direct;
    __u64 tgid_direct;
    __u64 parent_tgid;
    __u64 missing_exists;
    __u64 type_exists;
    __u64 enum_tgid;
    __u64 enum_missing_exists;
    __u64 task_size;
    __u64 comm_size;
    __u64 pid_offset;
    char comm[16];
};

#endif
