// BPF_KPROBE / BPF_KRETPROBE and the register PT_REGS accessors, plain and _CORE.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(unlink_entry, int dfd, struct filename *name)
{
	const char *path = BPF_CORE_READ(name, name);

	bpf_printk("unlinkat dfd=%d path=%s ip=%lx", dfd, path, PT_REGS_IP(ctx));
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(unlink_exit, long ret)
{
	bpf_printk("unlinkat returned %ld sp=%lx fp=%lx", ret, PT_REGS_SP(ctx), PT_REGS_FP(ctx));
	return 0;
}

SEC("kprobe/do_sys_openat2")
int core_regs(struct pt_regs *ctx)
{
	long parm1 = PT_REGS_PARM1_CORE(ctx);
	long rc = PT_REGS_RC_CORE(ctx);

	bpf_printk("%ld %ld %ld", parm1 + PT_REGS_PARM2(ctx), rc + PT_REGS_PARM3_CORE(ctx), PT_REGS_PARM5(ctx));
	return 0;
}
