// SPDX-License-Identifier: GPL-2.0
// Counts exec() calls per process name in a hash map, and prints each new exec.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[16]);
	__type(value, u64);
} exec_counts SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int count_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	char comm[16] = {};
	u64 one = 1, *count;

	bpf_get_current_comm(comm, sizeof(comm));
	count = bpf_map_lookup_elem(&exec_counts, comm);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&exec_counts, comm, &one, BPF_NOEXIST);
	bpf_printk("exec: %s (pid %d)", comm, ctx->pid);
	return 0;
}
