// Objects test: one trivial program per common section name, so program type, expected attach type and attach
// target can be checked against libbpf's section table. "?xdp" is not auto-loaded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PROG(sec, name) SEC(sec) int name(void *ctx) { return 0; }

PROG("xdp.frags", p_xdp_frags)
PROG("xdp/devmap", p_xdp_devmap)
PROG("tc", p_tc)
PROG("classifier", p_classifier)
PROG("action", p_action)
PROG("socket", p_socket)
PROG("kprobe/do_unlinkat", p_kprobe)
PROG("kretprobe/do_unlinkat", p_kretprobe)
PROG("uprobe//proc/self/exe:main", p_uprobe)
PROG("tracepoint/syscalls/sys_enter_openat", p_tracepoint)
PROG("tp/sched/sched_switch", p_tp)
PROG("raw_tracepoint/sys_enter", p_raw_tracepoint)
PROG("raw_tp/sys_exit", p_raw_tp)
PROG("tp_btf/sched_switch", p_tp_btf)
PROG("fentry/do_unlinkat", p_fentry)
PROG("fexit/do_unlinkat", p_fexit)
PROG("fentry.s/do_unlinkat", p_fentry_sleepable)
PROG("lsm/file_open", p_lsm)
PROG("iter/task", p_iter)
PROG("cgroup_skb/ingress", p_cgroup_skb_ingress)
PROG("cgroup_skb/egress", p_cgroup_skb_egress)
PROG("cgroup/sock_create", p_cgroup_sock_create)
PROG("cgroup/connect4", p_cgroup_connect4)
PROG("cgroup/sysctl", p_cgroup_sysctl)
PROG("sockops", p_sockops)
PROG("sk_skb/stream_verdict", p_sk_skb_verdict)
PROG("sk_skb", p_sk_skb)
PROG("sk_msg", p_sk_msg)
PROG("flow_dissector", p_flow_dissector)
PROG("sk_lookup", p_sk_lookup)
PROG("perf_event", p_perf_event)
PROG("syscall", p_syscall)
PROG("lwt_in", p_lwt_in)
PROG("?xdp", p_xdp_manual)

char LICENSE[] SEC("license") = "GPL";
