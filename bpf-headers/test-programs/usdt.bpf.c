// BPF_USDT and the bpf_usdt_* functions libbpf 1.1 has: typed USDT arguments, their count, the cookie.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

SEC("usdt")
int BPF_USDT(request_start, int fd, const char *path, long size)
{
	char name[32];

	bpf_probe_read_user_str(name, sizeof(name), path);
	bpf_printk("request fd=%d path=%s size=%ld", fd, name, size);
	return 0;
}

SEC("usdt")
int every_argument(struct pt_regs *ctx)
{
	long value, sum = 0;
	int count = bpf_usdt_arg_cnt(ctx);

	for (int i = 0; i < BPF_USDT_MAX_ARG_CNT && i < count; i++) {
		if (bpf_usdt_arg(ctx, i, &value) == 0)
			sum += value;
	}
	bpf_printk("cookie %ld sum %ld", bpf_usdt_cookie(ctx), sum);
	return 0;
}
