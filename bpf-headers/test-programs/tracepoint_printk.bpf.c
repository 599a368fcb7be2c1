// bpf_printk with one value (bpf_trace_printk) and with five (bpf_trace_vprintk).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	bpf_printk("openat by %d", (int)(pid_tgid >> 32));
	bpf_printk("openat dfd=%ld flags=%lx mode=%lo pid=%d cpu=%u", ctx->args[0], ctx->args[2],
		   ctx->args[3], (int)(pid_tgid >> 32), bpf_get_smp_processor_id());
	bpf_printk("no values");
	return 0;
}
