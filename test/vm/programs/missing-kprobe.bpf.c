// SPDX-License-Identifier: GPL-2.0
// A kprobe on a function no kernel has: loads fine (kprobes name no BTF target), fails to attach.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/bpfdev_no_such_function")
int BPF_KPROBE(vm_kprobe_missing)
{
	bpf_printk("bpfdev-vm kprobe on a function that does not exist");
	return 0;
}
