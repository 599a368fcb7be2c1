// SPDX-License-Identifier: GPL-2.0
// Prints every file opened on the machine: process, pid and path.
// Run it: npx bpfdev run examples/hello-openat.bpf.c --duration 5
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_openat")
int hello_openat(struct trace_event_raw_sys_enter *ctx)
{
	char path[64];
	const char *user_path = (const char *)ctx->args[1];

	// The path lives in user memory: read it with the helper, never by dereferencing.
	if (bpf_probe_read_user_str(path, sizeof(path), user_path) < 0)
		return 0;
	bpf_printk("hello-openat: pid %d opened %s", bpf_get_current_pid_tgid() >> 32, path);
	return 0;
}
