/* SPDX-License-Identifier: MIT */
/*
 * bpfdev's <bpf/bpf_endian.h>: host/network byte order conversions for BPF programs.
 *
 * Each conversion folds to a constant when its argument is one, so it can appear in a `case`
 * label or a static initializer (`case bpf_htons(ETH_P_IP):`); otherwise it is one byte-swap
 * instruction. The __bpf_constant_* forms always take the constant path.
 */
#ifndef BPFDEV_BPF_ENDIAN_H
#define BPFDEV_BPF_ENDIAN_H
/* libbpf's include guard too, so a project's own copy of libbpf's header steps aside. */
#define __BPF_ENDIAN__

/* Byte reversal written with shifts only, so the result is an integer constant expression. */
#define __bpf_swap16_const(x) ((__u16)((((__u16)(x) & 0x00ffU) << 8) | (((__u16)(x) & 0xff00U) >> 8)))
#define __bpf_swap32_const(x)							\
	((__u32)((((__u32)(x) & 0x000000ffUL) << 24) |				\
		 (((__u32)(x) & 0x0000ff00UL) << 8) |				\
		 (((__u32)(x) & 0x00ff0000UL) >> 8) |				\
		 (((__u32)(x) & 0xff000000UL) >> 24)))
#define __bpf_swap64_const(x)							\
	((__u64)((((__u64)(x) & 0x00000000000000ffULL) << 56) |		\
		 (((__u64)(x) & 0x000000000000ff00ULL) << 40) |			\
		 (((__u64)(x) & 0x0000000000ff0000ULL) << 24) |			\
		 (((__u64)(x) & 0x00000000ff000000ULL) << 8) |			\
		 (((__u64)(x) & 0x000000ff00000000ULL) >> 8) |			\
		 (((__u64)(x) & 0x0000ff0000000000ULL) >> 24) |			\
		 (((__u64)(x) & 0x00ff000000000000ULL) >> 40) |			\
		 (((__u64)(x) & 0xff00000000000000ULL) >> 56)))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* bpfel: network order is the reverse of the machine's. */
#define __bpf_be16_const(x) __bpf_swap16_const(x)
#define __bpf_be32_const(x) __bpf_swap32_const(x)
#define __bpf_be64_const(x) __bpf_swap64_const(x)
#define __bpf_be16_runtime(x) __builtin_bswap16(x)
#define __bpf_be32_runtime(x) __builtin_bswap32(x)
#define __bpf_be64_runtime(x) __builtin_bswap64(x)
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
/* bpfeb: the machine already uses network order. */
#define __bpf_be16_const(x) ((__u16)(x))
#define __bpf_be32_const(x) ((__u32)(x))
#define __bpf_be64_const(x) ((__u64)(x))
#define __bpf_be16_runtime(x) ((__u16)(x))
#define __bpf_be32_runtime(x) ((__u32)(x))
#define __bpf_be64_runtime(x) ((__u64)(x))
#else
#error "bpf_endian.h: the compiler does not say whether the target is little or big endian"
#endif

#define __bpf_constant_htons(x) __bpf_be16_const(x)
#define __bpf_constant_ntohs(x) __bpf_be16_const(x)
#define __bpf_constant_htonl(x) __bpf_be32_const(x)
#define __bpf_constant_ntohl(x) __bpf_be32_const(x)
#define __bpf_constant_cpu_to_be64(x) __bpf_be64_const(x)
#define __bpf_constant_be64_to_cpu(x) __bpf_be64_const(x)

/* Swapping is its own inverse, so "to" and "from" network order are the same operation. */
#define __bpf_be16(x) (__builtin_constant_p(x) ? __bpf_be16_const(x) : __bpf_be16_runtime(x))
#define __bpf_be32(x) (__builtin_constant_p(x) ? __bpf_be32_const(x) : __bpf_be32_runtime(x))
#define __bpf_be64(x) (__builtin_constant_p(x) ? __bpf_be64_const(x) : __bpf_be64_runtime(x))

/* The always-at-run-time forms, as libbpf names them. */
#define __bpf_htons(x) __bpf_be16_runtime(x)
#define __bpf_ntohs(x) __bpf_be16_runtime(x)
#define __bpf_htonl(x) __bpf_be32_runtime(x)
#define __bpf_ntohl(x) __bpf_be32_runtime(x)
#define __bpf_cpu_to_be64(x) __bpf_be64_runtime(x)
#define __bpf_be64_to_cpu(x) __bpf_be64_runtime(x)

#define bpf_htons(x) __bpf_be16(x)
#define bpf_ntohs(x) __bpf_be16(x)
#define bpf_htonl(x) __bpf_be32(x)
#define bpf_ntohl(x) __bpf_be32(x)
#define bpf_cpu_to_be64(x) __bpf_be64(x)
#define bpf_be64_to_cpu(x) __bpf_be64(x)

#endif /* BPFDEV_BPF_ENDIAN_H */
