// SPDX-License-Identifier: GPL-2.0
// Attach types this machine's kernel lacks and the test VMs have: a kprobe and an fentry
// program, each printing the path it saw so the test can match its own trigger.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(vm_kprobe_unlinkat, int dfd, struct filename *name)
{
	char path[64];
	const char *kernel_path = BPF_CORE_READ(name, name);

	// struct filename holds a kernel copy of the user's path.
	if (bpf_probe_read_kernel_str(path, sizeof(path), kernel_path) < 0)
		return 0;
	bpf_printk("bpfdev-vm kprobe do_unlinkat %s", path);
	return 0;
}

SEC("fentry/do_sys_openat2")
int BPF_PROG(vm_fentry_openat2, int dfd, const char *filename, struct open_how *how)
{
	char path[64];

	// At entry the path is still the caller's user-space pointer.
	if (bpf_probe_read_user_str(path, sizeof(path), filename) < 0)
		return 0;
	bpf_printk("bpfdev-vm fentry do_sys_openat2 %s", path);
	return 0;
}
