// Open-coded iterators: bpf_for, bpf_repeat, bpf_for_each (kfuncs, Linux 6.4+).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[16]);
} names SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int loops(void *ctx)
{
	__u32 zero = 0;
	char *name = bpf_map_lookup_elem(&names, &zero);
	int i, *value;

	if (unlikely(!name))
		return 0;
	bpf_get_current_comm(name, 16);
	/* The verifier accepts name[i] only because bpf_for bounds i to [0, 4). */
	bpf_for(i, 0, 4)
		name[i] ^= 0x20;
	bpf_repeat(2)
		name[15] = 0;
	bpf_for_each(num, value, 4, 8)
		if (*value == 6)
			name[0] = 0;
	return 0;
}
