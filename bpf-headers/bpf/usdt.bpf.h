/* SPDX-License-Identifier: MIT */
/*
 * bpfdev's <bpf/usdt.bpf.h>: arguments of user-space statically defined tracepoints (USDT).
 *
 * A USDT probe is a nop in the traced binary, described by an ELF note that says where each
 * argument lives when the nop runs: a constant, a register, or memory at a register plus an
 * offset. The loader (libbpf's bpf_program__attach_usdt) parses the notes, writes one spec per
 * probe site into the __bpf_usdt_specs map, and gives each attachment the spec's id as its
 * BPF cookie (or, on kernels without cookies, maps the probe's address to the id in
 * __bpf_usdt_ip_to_spec_id). The map names, the spec layout and the argument kinds below are
 * that contract with the loader and must not change.
 */
#ifndef BPFDEV_USDT_BPF_H
#define BPFDEV_USDT_BPF_H
/* libbpf's include guard too, so a project's own copy of libbpf's header steps aside. */
#define __USDT_BPF_H__

/*
 * The errno names, where the system has them (libbpf's header includes them unconditionally,
 * so programs may use them); the code below uses the numbers, which also build without.
 */
#if __has_include(<linux/errno.h>) && __has_include(<asm/errno.h>)
#include <linux/errno.h>
#endif
#include "bpf_helpers.h"
#include "bpf_tracing.h"

/* Sizes of the two maps; a program may raise them before including this header. */
#ifndef BPF_USDT_MAX_SPEC_CNT
#define BPF_USDT_MAX_SPEC_CNT 256
#endif
#ifndef BPF_USDT_MAX_IP_CNT
#define BPF_USDT_MAX_IP_CNT (4 * BPF_USDT_MAX_SPEC_CNT)
#endif
/* Arguments per probe site the loader describes. */
#define BPF_USDT_MAX_ARG_CNT 12

enum __bpf_usdt_arg_type {
	/* The value is val_off itself. */
	BPF_USDT_ARG_CONST,
	/* The value is the register at byte reg_off in the probe's struct pt_regs. */
	BPF_USDT_ARG_REG,
	/* The value is in user memory at that register plus val_off. */
	BPF_USDT_ARG_REG_DEREF,
};

struct __bpf_usdt_arg_spec {
	__u64 val_off;
	enum __bpf_usdt_arg_type arg_type;
	short reg_off;
	_Bool arg_signed;
	/*
	 * 64 minus the argument's width in bits: shifting the fetched u64 left then right by it
	 * keeps only the argument's bytes, sign- or zero-extended.
	 */
	char arg_bitshift;
};

struct __bpf_usdt_spec {
	struct __bpf_usdt_arg_spec args[BPF_USDT_MAX_ARG_CNT];
	/* The cookie the user gave the attachment, returned by bpf_usdt_cookie(). */
	__u64 usdt_cookie;
	short arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPF_USDT_MAX_SPEC_CNT);
	__type(key, int);
	__type(value, struct __bpf_usdt_spec);
} __bpf_usdt_specs SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPF_USDT_MAX_IP_CNT);
	__type(key, long);
	__type(value, __u32);
} __bpf_usdt_ip_to_spec_id SEC(".maps") __weak;

/*
 * Whether the kernel passes BPF cookies (5.15+); libbpf fills it in. Declared here, outside
 * any precompiled header (bpfdev precompiles only the headers without externs like this).
 */
extern const _Bool LINUX_HAS_BPF_COOKIE __kconfig;

/* The spec id of the probe site this program was entered from, or -ESRCH (3) negated. */
static __always_inline int __bpf_usdt_spec_id(struct pt_regs *ctx)
{
	if (!LINUX_HAS_BPF_COOKIE) {
		long ip = PT_REGS_IP(ctx);
		int *spec_id = bpf_map_lookup_elem(&__bpf_usdt_ip_to_spec_id, &ip);

		return spec_id ? *spec_id : -3;
	}
	return bpf_get_attach_cookie(ctx);
}

static __always_inline struct __bpf_usdt_spec *__bpf_usdt_spec(struct pt_regs *ctx)
{
	int spec_id = __bpf_usdt_spec_id(ctx);

	if (spec_id < 0)
		return NULL;
	return bpf_map_lookup_elem(&__bpf_usdt_specs, &spec_id);
}

/*
 * The functions are global, weak and hidden: each object that includes this header has a
 * copy, the static linker keeps one, and the verifier checks them once as subprograms.
 */

/* How many arguments the probe site has, or -ESRCH (3) negated when it is unknown. */
__weak __hidden int bpf_usdt_arg_cnt(struct pt_regs *ctx)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_spec(ctx);

	return spec ? spec->arg_cnt : -3;
}

/* The size in bytes of argument arg_num, or a negative error. */
__weak __hidden int bpf_usdt_arg_size(struct pt_regs *ctx, __u64 arg_num)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_spec(ctx);

	if (!spec)
		return -3;
	if (arg_num >= BPF_USDT_MAX_ARG_CNT || arg_num >= (__u64)spec->arg_cnt)
		return -2;
	/* Unsigned: the BPF backend has no signed division. */
	return (64 - (unsigned int)spec->args[arg_num].arg_bitshift) / 8;
}

/*
 * Stores argument arg_num (counting from 0), widened to long as its signedness says, in *res.
 * Returns 0, -ESRCH (3) negated without a spec, -ENOENT (2) negated past the last argument,
 * -EINVAL (22) negated for a kind this header does not know, or a failed read's error.
 */
__weak __hidden int bpf_usdt_arg(struct pt_regs *ctx, __u64 arg_num, long *res)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_spec(ctx);
	struct __bpf_usdt_arg_spec *arg;
	unsigned long value = 0;
	int err;

	*res = 0;
	if (!spec)
		return -3;
	if (arg_num >= BPF_USDT_MAX_ARG_CNT || arg_num >= (__u64)spec->arg_cnt)
		return -2;
	/* Reassures the verifier that the index stays inside args[]. */
	barrier_var(arg_num);
	if (arg_num >= BPF_USDT_MAX_ARG_CNT)
		return -2;
	arg = &spec->args[arg_num];

	switch (arg->arg_type) {
	case BPF_USDT_ARG_CONST:
		value = arg->val_off;
		break;
	case BPF_USDT_ARG_REG:
		/* The context is the probe's own pt_regs: read the register by its byte offset. */
		err = bpf_probe_read_kernel(&value, sizeof(value), (char *)ctx + arg->reg_off);
		if (err)
			return err;
		break;
	case BPF_USDT_ARG_REG_DEREF:
		err = bpf_probe_read_kernel(&value, sizeof(value), (char *)ctx + arg->reg_off);
		if (err)
			return err;
		err = bpf_probe_read_user(&value, sizeof(value), (void *)(value + arg->val_off));
		if (err)
			return err;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		/* The argument's bytes came first in memory, so they are the value's high end. */
		value >>= arg->arg_bitshift;
#endif
		break;
	default:
		return -22;
	}

	value <<= arg->arg_bitshift;
	if (arg->arg_signed)
		value = (unsigned long)((long)value >> arg->arg_bitshift);
	else
		value >>= arg->arg_bitshift;
	*res = value;
	return 0;
}

/* The cookie given when the program was attached to this probe, or 0. */
__weak __hidden long bpf_usdt_cookie(struct pt_regs *ctx)
{
	struct __bpf_usdt_spec *spec = __bpf_usdt_spec(ctx);

	return spec ? spec->usdt_cookie : 0;
}

/*
 * A USDT program with typed arguments: `int BPF_USDT(name, int fd, const char *path)`. Each
 * argument is fetched with bpf_usdt_arg(); one that cannot be read arrives as 0.
 */
#define __bpf_usdt_value(ctx, i)						\
	({ long __bpf_arg; bpf_usdt_arg(ctx, (i) - 1, &__bpf_arg); __bpf_arg; })
#define __bpf_usdt_args(args...) __bpf_cat(__bpf_usdt_args, __bpf_argc(args))()
#define __bpf_usdt_args0() ctx
#define __bpf_usdt_args1() __bpf_usdt_args0(), (void *)__bpf_usdt_value(ctx, 1)
#define __bpf_usdt_args2() __bpf_usdt_args1(), (void *)__bpf_usdt_value(ctx, 2)
#define __bpf_usdt_args3() __bpf_usdt_args2(), (void *)__bpf_usdt_value(ctx, 3)
#define __bpf_usdt_args4() __bpf_usdt_args3(), (void *)__bpf_usdt_value(ctx, 4)
#define __bpf_usdt_args5() __bpf_usdt_args4(), (void *)__bpf_usdt_value(ctx, 5)
#define __bpf_usdt_args6() __bpf_usdt_args5(), (void *)__bpf_usdt_value(ctx, 6)
#define __bpf_usdt_args7() __bpf_usdt_args6(), (void *)__bpf_usdt_value(ctx, 7)
#define __bpf_usdt_args8() __bpf_usdt_args7(), (void *)__bpf_usdt_value(ctx, 8)
#define __bpf_usdt_args9() __bpf_usdt_args8(), (void *)__bpf_usdt_value(ctx, 9)
#define __bpf_usdt_args10() __bpf_usdt_args9(), (void *)__bpf_usdt_value(ctx, 10)
#define __bpf_usdt_args11() __bpf_usdt_args10(), (void *)__bpf_usdt_value(ctx, 11)
#define __bpf_usdt_args12() __bpf_usdt_args11(), (void *)__bpf_usdt_value(ctx, 12)

#define BPF_USDT(name, args...)							\
	name(struct pt_regs *ctx);						\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args); \
	typeof(name(0)) name(struct pt_regs *ctx)				\
	{									\
		__bpf_call_body(name, (__bpf_usdt_args(args)))			\
	}									\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args)

#endif /* BPFDEV_USDT_BPF_H */
