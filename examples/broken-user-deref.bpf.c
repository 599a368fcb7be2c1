// SPDX-License-Identifier: GPL-2.0
// A classic mistake, on purpose: the openat path is a user-space pointer, and reading it
// directly is rejected by the verifier. `npx bpfdev verify` points at the line and explains.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_openat")
int first_char_of_path(struct trace_event_raw_sys_enter *ctx)
{
	const char *user_path = (const char *)ctx->args[1];
	char first = *user_path;

	bpf_printk("first char: %c", first);
	return 0;
}
