// Run with BPF_PROG_TEST_RUN: BPF_PROG/BPF_PROG2 take their arguments from the context the
// test supplies, and the CO-RE reads see the task that runs the test (bpftool).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct___missing {
	int no_such_field_anywhere;
} __attribute__((preserve_access_index));

struct observed {
	long first;
	long second;
	int third;
	long pair_sum;
	int after_pair;
	int tgid;
	int ppid;
	int pid_size;
	int has_pid;
	int has_missing;
	int has_task_type;
	int ringbuf_type;
	int formatted_len;
	char comm[16];
	char leader_comm[16];
	char formatted[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct observed);
} observed SEC(".maps");

static struct observed *slot(__u32 index)
{
	return bpf_map_lookup_elem(&observed, &index);
}

SEC("raw_tp/bpfdev_test")
int BPF_PROG(three_args, long first, long second, int third)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct observed *out = slot(0);

	if (!out)
		return 1;
	out->first = first;
	out->second = second;
	out->third = third;
	out->tgid = BPF_CORE_READ(task, tgid);
	out->ppid = BPF_CORE_READ(task, real_parent, tgid);
	out->pid_size = bpf_core_field_size(task->pid);
	out->has_pid = bpf_core_field_exists(struct task_struct, pid);
	out->has_missing = bpf_core_field_exists(((struct task_struct___missing *)task)->no_such_field_anywhere);
	out->has_task_type = bpf_core_type_exists(struct task_struct);
	out->ringbuf_type = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	BPF_CORE_READ_STR_INTO(&out->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&out->leader_comm, task, group_leader, comm);
	out->formatted_len = BPF_SNPRINTF(out->formatted, sizeof(out->formatted),
					  "%ld/%ld/%d/%s/%d", first, second, third, out->comm, out->tgid);
	return 0;
}

struct two_words {
	long low;
	long high;
};

SEC("raw_tp/bpfdev_test")
int BPF_PROG2(struct_by_value, int, before, struct two_words, pair, int, after)
{
	struct observed *out = slot(1);

	if (!out)
		return 1;
	out->third = before;
	out->pair_sum = pair.low + pair.high;
	out->after_pair = after;
	return 0;
}
