// SPDX-License-Identifier: GPL-2.0
// A kprobe program: runs when the kernel enters do_unlinkat() (a file is deleted) and when it
// returns. Kprobes attach to almost any kernel function, but function names and arguments
// change between kernel versions: prefer a tracepoint when one exists. Needs CONFIG_KPROBES.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(bpfdev_example, int dfd, struct filename *name)
{
	// Kernel memory is read through CO-RE, so the field offset fits the running kernel.
	const char *path = BPF_CORE_READ(name, name);
	char text[64];

	bpf_probe_read_kernel_str(text, sizeof(text), path);
	bpf_printk("unlink %s (pid %d)", text, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(bpfdev_example_exit, long ret)
{
	bpf_printk("unlink returned %ld", ret);
	return 0;
}
