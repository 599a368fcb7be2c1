// A task iterator printing with BPF_SEQ_PRINTF; reading the pinned iterator shows the output.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task")
int list_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	BPF_SEQ_PRINTF(seq, "pid=%d tgid=%d comm=%s marks=%d,%d\n", task->pid, task->tgid, task->comm, 7, -7);
	return 0;
}
