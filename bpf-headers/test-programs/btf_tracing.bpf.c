// BPF_PROG on BTF-typed tracepoints (tp_btf) and raw tracepoints, where the arguments are
// pointers the verifier trusts, so BPF_CORE_READ_BITFIELD can load a bitfield directly.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned long long in_execve = BPF_CORE_READ_BITFIELD(prev, in_execve);

	if (prev->pid == next->pid)
		bpf_printk("same task %d execve=%llu", prev->pid, in_execve);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev)
{
	return BPF_CORE_READ_BITFIELD_PROBED(prev, in_execve) + preempt;
}
