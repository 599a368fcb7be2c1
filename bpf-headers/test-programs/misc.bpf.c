// The rest of bpf_helpers.h: static tail calls into a program array, Kconfig and weak kfunc
// externs, container_of/offsetof, hidden and weak global functions, kptr annotations.
// (Kernel variables as __ksym need CONFIG_KALLSYMS_ALL, which the test kernel lacks.)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern struct task_struct *bpfdev_no_such_kfunc(void) __ksym __weak;

struct holder {
	__u64 before;
	struct list_head node;
	__u32 value;
};

struct stored_task {
	struct task_struct __kptr *task;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stored_task);
} stored SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int tail_target(void *ctx)
{
	return 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

__hidden int scaled(int value)
{
	return value * 3;
}

__weak int overridable(int value)
{
	return value + 1;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int misc(void *ctx)
{
	struct holder holder = { .value = 5 };
	struct holder *back = container_of(&holder.node, struct holder, node);

	if (LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 2, 0) || !CONFIG_BPF_SYSCALL)
		return 0;
	if (bpf_ksym_exists(bpfdev_no_such_kfunc))
		return 0;
	if (offsetof(struct holder, node) != 8 || back->value != 5)
		return 0;
	bpf_tail_call_static(ctx, &jump_table, 1);
	return scaled(overridable(back->value));
}
