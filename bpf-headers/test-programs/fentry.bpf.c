// BPF_PROG (fentry/fexit, tp_btf) and BPF_PROG2 with a struct passed by value.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_fentry, int dfd, struct filename *name)
{
	bpf_printk("fentry unlinkat dfd=%d name=%s", dfd, name->name);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_fexit, int dfd, struct filename *name, long ret)
{
	return ret != 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (prev->pid == next->pid)
		bpf_printk("same task %d", prev->pid);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev)
{
	return preempt;
}

struct two_words {
	long first;
	long second;
};

SEC("fentry/bpf_fentry_test_struct")
int BPF_PROG2(by_value, struct two_words, pair, int, small, char, tiny)
{
	return pair.first + pair.second + small + tiny;
}
