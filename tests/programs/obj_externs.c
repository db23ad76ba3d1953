// Objects test: extern kernel functions (kfuncs) and kernel variables (__ksym), and kconfig values of
// several sizes and alignments (bool, char, u64) laid out like libbpf.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern const int bpf_prog_active __ksym;
extern unsigned long long CONFIG_BASE_SMALL __kconfig __weak;
extern _Bool CONFIG_BPF_SYSCALL __kconfig;
extern char CONFIG_X86_64 __kconfig __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("tp_btf/sched_switch")
int on_switch(void *ctx)
{
    bpf_rcu_read_lock();
    int active = *(volatile const int *)&bpf_prog_active;
    bpf_rcu_read_unlock();
    if (CONFIG_BPF_SYSCALL && CONFIG_X86_64 == 'y')
        return active + (int)CONFIG_BASE_SMALL + (int)LINUX_KERNEL_VERSION;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
