// XDP packet parsing with byte order conversions, one of them in a case label. The verdict
// depends on them, so a test run with known packets checks the conversions:
// IPv4 to 10.0.0.1 is dropped, any IPv6 packet is bounced (XDP_TX), the rest passes.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define BLOCKED_ADDRESS 0x0a000001 /* 10.0.0.1 in host order */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} per_family SEC(".maps");

SEC("xdp")
int filter_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	int verdict = XDP_PASS;
	__u32 slot;
	__u64 *count;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_IP): {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || bpf_ntohs(ip->tot_len) < sizeof(*ip))
			return XDP_PASS;
		if (bpf_ntohl(ip->daddr) == BLOCKED_ADDRESS)
			verdict = XDP_DROP;
		slot = 0;
		break;
	}
	case bpf_htons(ETH_P_IPV6):
		verdict = XDP_TX;
		slot = 1;
		break;
	default:
		return XDP_PASS;
	}
	count = bpf_map_lookup_elem(&per_family, &slot);
	if (count)
		*count += bpf_be64_to_cpu(bpf_cpu_to_be64(1));
	return verdict;
}
