// BPF_PROG on fentry/fexit, and BPF_PROG2 with a struct passed by value.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_fentry, int dfd, struct filename *name)
{
	bpf_printk("fentry unlinkat dfd=%d name=%s", dfd, name->name);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_fexit, int dfd, struct filename *name, long ret)
{
	return ret != 0;
}

struct two_words {
	long first;
	long second;
};

SEC("fentry/bpf_fentry_test_struct")
int BPF_PROG2(by_value, struct two_words, pair, int, small, char, tiny)
{
	return pair.first + pair.second + small + tiny;
}
