// BPF_KSYSCALL: syscall arguments through the syscall wrapper's saved registers.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("ksyscall/openat")
int BPF_KSYSCALL(openat_entry, int dfd, const char *pathname, int flags, unsigned int mode)
{
	char path[64];

	bpf_probe_read_user_str(path, sizeof(path), pathname);
	bpf_printk("openat(%d, %s, %x)", dfd, path, flags);
	return mode == 0;
}

SEC("kretsyscall/openat")
int BPF_KRETPROBE(openat_exit, long ret)
{
	return ret < 0;
}
