// BTF-defined maps (__uint/__type/__array), a map of maps, a ring buffer record.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct event {
	__u32 pid;
	__u64 count;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_NONE);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, typeof(inner));
} outer SEC(".maps") = {
	.values = { &inner },
};

const volatile __u32 filter_pid = 0;

static __noinline __u64 bump(__u32 pid)
{
	__u64 one = 1, *value = bpf_map_lookup_elem(&counts, &pid);

	if (value) {
		__sync_fetch_and_add(value, 1);
		return *value;
	}
	bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	return 1;
}

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *event;

	if (filter_pid && pid != filter_pid)
		return 0;
	event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event)
		return 0;
	event->pid = pid;
	event->count = bump(pid);
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	barrier();
	bpf_ringbuf_submit(event, 0);
	return 0;
}
