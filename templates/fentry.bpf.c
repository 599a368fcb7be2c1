// SPDX-License-Identifier: GPL-2.0
// An fentry/fexit program: like a kprobe, but typed from the kernel's BTF, so arguments are
// read directly (no BPF_CORE_READ) and fexit sees both the arguments and the return value.
// Needs a kernel with BPF trampolines (x86-64 or arm64, Linux 5.5+); the host report says.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_unlinkat")
int BPF_PROG(bpfdev_example, int dfd, struct filename *name)
{
	bpf_printk("unlink %s (pid %d)", name->name, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(bpfdev_example_exit, int dfd, struct filename *name, long ret)
{
	bpf_printk("unlink %s returned %ld", name->name, ret);
	return 0;
}
