// Sixth to eighth arguments. On x86-64 the seventh and eighth are on the stack, read from
// kernel memory for kprobes and from user memory for uprobes.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/dummy_eight_args")
int BPF_KPROBE(kernel_eight, long a1, long a2, long a3, long a4, long a5, long a6, long a7, long a8)
{
	bpf_printk("%ld %ld %ld", a1 + a2 + a3, a4 + a5 + a6, a7 + a8);
	return 0;
}

SEC("kprobe/dummy_eight_args")
int core_stack_args(struct pt_regs *ctx)
{
	bpf_printk("%ld %ld %ld", PT_REGS_PARM6(ctx), PT_REGS_PARM7_CORE(ctx), PT_REGS_PARM8(ctx));
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(user_eight, const char *text, long a2, long a3, long a4, long a5, long a6, long a7, long a8)
{
	char buf[32];

	bpf_probe_read_user_str(buf, sizeof(buf), text);
	bpf_printk("uprobe %s %ld %ld", buf, a2 + a3 + a4 + a5 + a6, a7 + a8);
	return 0;
}
