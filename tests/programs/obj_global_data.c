// Objects test: global data in .data, .rodata, .bss, a custom .data.counters section, string literals
// (.rodata.str1.1), __kconfig externs and a static (hidden) variable.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 5;
__u64 big_table[4] = { 1, 2, 3, 4 };
const volatile int threshold = 42;
const char greeting[] = "hello";
__u32 zeroed;
static __u64 hidden_total;
__u64 custom_counter SEC(".data.counters") = 9;

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig __weak;

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
    counter++;
    zeroed += threshold;
    hidden_total += big_table[counter & 3];
    custom_counter += LINUX_KERNEL_VERSION + CONFIG_HZ;
    bpf_printk("pid %d %s", counter, greeting);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
