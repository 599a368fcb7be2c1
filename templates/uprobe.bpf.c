// SPDX-License-Identifier: GPL-2.0
// A uprobe program: runs when a user-space function returns, here bash's readline(), and
// prints every command line typed in any bash on the target. SEC("uretprobe/BINARY:FUNCTION")
// names the binary (an absolute path on the target) and the function to probe.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uretprobe//bin/bash:readline")
int BPF_URETPROBE(bpfdev_example, const void *line)
{
	char text[80];

	if (!line)
		return 0;
	// The returned string lives in bash's memory: read it with the user-memory helper.
	if (bpf_probe_read_user_str(text, sizeof(text), line) < 0)
		return 0;
	bpf_printk("bash %d: %s", bpf_get_current_pid_tgid() >> 32, text);
	return 0;
}
