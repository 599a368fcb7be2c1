// SPDX-License-Identifier: GPL-2.0
// An XDP program: runs for every packet a network interface receives, before the kernel's
// network stack, and decides its fate (XDP_PASS, XDP_DROP, XDP_TX). This one counts packets
// per IP protocol and passes them all. XDP programs attach to an interface, which the program
// cannot name itself: verify it here, then attach it with
//   ip link set dev IFACE xdp obj FILE.o sec xdp      (and "ip link set dev IFACE xdp off")
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define ETH_P_IP 0x0800

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} bpfdev_example_by_protocol SEC(".maps");

SEC("xdp")
int bpfdev_example(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	u32 protocol;
	u64 *count;

	// Every access must be proven inside the packet, or the verifier refuses the program.
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	protocol = ip->protocol;
	count = bpf_map_lookup_elem(&bpfdev_example_by_protocol, &protocol);
	if (count)
		*count += 1;
	return XDP_PASS;
}
