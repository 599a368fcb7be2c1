// BPF_UPROBE / BPF_URETPROBE on a user-space function.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int BPF_UPROBE(user_entry, const char *text, long a2, long a3, long a4, long a5, long a6)
{
	char buf[32];

	bpf_probe_read_user_str(buf, sizeof(buf), text);
	bpf_printk("uprobe %s %ld", buf, a2 + a3 + a4 + a5 + a6);
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(user_exit, int ret)
{
	bpf_printk("uretprobe returned %d", ret);
	return 0;
}
