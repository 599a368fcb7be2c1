// SPDX-License-Identifier: GPL-2.0
// A tracepoint program: runs on every execve() and counts them per process name.
// Tracepoints are stable kernel events (see /sys/kernel/tracing/events/); the record layout of
// this one is in its format file, and "eBPF: Insert Context Struct" can declare it for you.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[16]);
	__type(value, u64);
} bpfdev_example_counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int bpfdev_example(struct trace_event_raw_sys_enter *ctx)
{
	char comm[16] = {}, path[64];
	u64 one = 1, *count;

	bpf_get_current_comm(comm, sizeof(comm));
	count = bpf_map_lookup_elem(&bpfdev_example_counts, comm);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&bpfdev_example_counts, comm, &one, BPF_NOEXIST);

	// args[0] is the user-space pointer to the file name: read it with the helper.
	if (bpf_probe_read_user_str(path, sizeof(path), (const char *)ctx->args[0]) < 0)
		return 0;
	bpf_printk("%s execs %s", comm, path);
	return 0;
}
