// CO-RE: relocated reads through pointer chains, field/type/enum queries, bitfields.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* A field no kernel has: the loader must patch bpf_core_field_exists() to 0. */
struct task_struct___missing {
	int no_such_field_anywhere;
} __attribute__((preserve_access_index));

struct result {
	int ppid;
	int leader_pid;
	unsigned int pid_size;
	int has_pid;
	int has_missing;
	int has_type;
	int ringbuf_type;
	__u64 start_time;
	char comm[16];
	char leader_comm[16];
	unsigned long long in_execve;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct result);
} results SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int core_reads(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	struct result *out = bpf_map_lookup_elem(&results, &zero);

	if (!out)
		return 0;
	out->ppid = BPF_CORE_READ(task, real_parent, tgid);
	out->leader_pid = BPF_PROBE_READ(task, group_leader, pid);
	BPF_CORE_READ_INTO(&out->start_time, task, start_time);
	BPF_CORE_READ_STR_INTO(&out->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&out->leader_comm, task, group_leader, comm);
	out->pid_size = bpf_core_field_size(task->pid);
	out->has_pid = bpf_core_field_exists(struct task_struct, pid);
	out->has_missing = bpf_core_field_exists(((struct task_struct___missing *)task)->no_such_field_anywhere);
	out->has_type = bpf_core_type_exists(struct task_struct);
	out->ringbuf_type = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	out->in_execve = BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
	bpf_core_read(&out->start_time, sizeof(out->start_time), &task->start_time);
	return 0;
}
