/* SPDX-License-Identifier: MIT */
/*
 * bpfdev's <bpf/bpf_tracing.h>: reading function arguments and return values from the
 * registers a kprobe/uprobe sees (PT_REGS_*), and the BPF_KPROBE / BPF_PROG family that turns
 * a raw context into typed parameters.
 *
 * Register layout depends on the architecture the kernel runs on, not on the BPF target, so
 * the compile passes -D__TARGET_ARCH_x86 or -D__TARGET_ARCH_arm64 (supported here); without
 * one, the host compiler's own architecture is assumed.
 */
#ifndef BPFDEV_BPF_TRACING_H
#define BPFDEV_BPF_TRACING_H

#include "bpf_helpers.h"
#include "bpf_core_read.h"

#if !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64) && !defined(__TARGET_ARCH_s390) \
	&& !defined(__TARGET_ARCH_arm) && !defined(__TARGET_ARCH_mips) && !defined(__TARGET_ARCH_powerpc) \
	&& !defined(__TARGET_ARCH_sparc) && !defined(__TARGET_ARCH_riscv) && !defined(__TARGET_ARCH_loongarch)
#if defined(__x86_64__)
#define __TARGET_ARCH_x86
#elif defined(__aarch64__)
#define __TARGET_ARCH_arm64
#endif
#endif

/*
 * Per architecture: the struct the context points to and which member holds each value.
 * __BPF_REG_PARMn_SYSCALL differ where the syscall ABI differs from the function-call ABI.
 */
#if defined(__TARGET_ARCH_x86)

#define __BPF_ARCH_KNOWN 1
/* A function's 7th and later arguments are on the stack, above the return address. */
#define __BPF_STACK_ARGS_FROM 7

#if defined(__VMLINUX_H__) || defined(__KERNEL__)
/* Member names of the kernel's struct pt_regs (vmlinux.h). */
#define __BPF_REGS_TYPE struct pt_regs
#define __BPF_REG_PARM1 di
#define __BPF_REG_PARM2 si
#define __BPF_REG_PARM3 dx
#define __BPF_REG_PARM4 cx
#define __BPF_REG_PARM5 r8
#define __BPF_REG_PARM6 r9
#define __BPF_REG_PARM4_SYSCALL r10
#define __BPF_REG_RC ax
#define __BPF_REG_FP bp
#define __BPF_REG_SP sp
#define __BPF_REG_IP ip
#else
/* Member names of the user-space <asm/ptrace.h> struct pt_regs. */
#define __BPF_REGS_TYPE struct pt_regs
#define __BPF_REG_PARM1 rdi
#define __BPF_REG_PARM2 rsi
#define __BPF_REG_PARM3 rdx
#define __BPF_REG_PARM4 rcx
#define __BPF_REG_PARM5 r8
#define __BPF_REG_PARM6 r9
#define __BPF_REG_PARM4_SYSCALL r10
#define __BPF_REG_RC rax
#define __BPF_REG_FP rbp
#define __BPF_REG_SP rsp
#define __BPF_REG_IP rip
#endif
/* The syscall instruction passes the 4th argument in r10 because it clobbers rcx. */
#define __BPF_REG_PARM1_SYSCALL __BPF_REG_PARM1
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(__TARGET_ARCH_arm64)

#define __BPF_ARCH_KNOWN 1
/* x0-x7 carry eight arguments; none of PARM1..8 is on the stack. */
#define __BPF_STACK_ARGS_FROM 9
/* kprobe programs see the user_pt_regs prefix of the kernel's struct pt_regs. */
#define __BPF_REGS_TYPE struct user_pt_regs
#define __BPF_REG_PARM1 regs[0]
#define __BPF_REG_PARM2 regs[1]
#define __BPF_REG_PARM3 regs[2]
#define __BPF_REG_PARM4 regs[3]
#define __BPF_REG_PARM5 regs[4]
#define __BPF_REG_PARM6 regs[5]
#define __BPF_REG_PARM7 regs[6]
#define __BPF_REG_PARM8 regs[7]
#define __BPF_REG_RC regs[0]
#define __BPF_REG_FP regs[29]
#define __BPF_REG_SP sp
#define __BPF_REG_IP pc
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

/*
 * x0 is overwritten by the return value, so the kernel keeps the first syscall argument in
 * pt_regs->orig_x0, past the user_pt_regs prefix: only a probed read reaches it. The ___ suffix
 * makes this a local flavor of the kernel's struct pt_regs for CO-RE matching.
 */
struct pt_regs___bpfdev_arm64 {
	unsigned long orig_x0;
} __attribute__((preserve_access_index));
#define __BPF_ARM64_SYSCALL_PARM1(x) BPF_CORE_READ((struct pt_regs___bpfdev_arm64 *)(x), orig_x0)

#endif

#ifdef __BPF_ARCH_KNOWN

#define __BPF_REGS(x) ((__BPF_REGS_TYPE *)(x))

#define PT_REGS_PARM1(x) (__BPF_REGS(x)->__BPF_REG_PARM1)
#define PT_REGS_PARM2(x) (__BPF_REGS(x)->__BPF_REG_PARM2)
#define PT_REGS_PARM3(x) (__BPF_REGS(x)->__BPF_REG_PARM3)
#define PT_REGS_PARM4(x) (__BPF_REGS(x)->__BPF_REG_PARM4)
#define PT_REGS_PARM5(x) (__BPF_REGS(x)->__BPF_REG_PARM5)
#define PT_REGS_PARM6(x) (__BPF_REGS(x)->__BPF_REG_PARM6)
#define PT_REGS_RC(x) (__BPF_REGS(x)->__BPF_REG_RC)
#define PT_REGS_FP(x) (__BPF_REGS(x)->__BPF_REG_FP)
#define PT_REGS_SP(x) (__BPF_REGS(x)->__BPF_REG_SP)
#define PT_REGS_IP(x) (__BPF_REGS(x)->__BPF_REG_IP)

/* The _CORE forms read through bpf_probe_read_kernel: for a pt_regs that is not the context. */
#define PT_REGS_PARM1_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM1)
#define PT_REGS_PARM2_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM2)
#define PT_REGS_PARM3_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM3)
#define PT_REGS_PARM4_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM4)
#define PT_REGS_PARM5_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM5)
#define PT_REGS_PARM6_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM6)
#define PT_REGS_RC_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_RC)
#define PT_REGS_FP_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_FP)
#define PT_REGS_SP_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_SP)
#define PT_REGS_IP_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_IP)

#if __BPF_STACK_ARGS_FROM == 7
/*
 * At function entry the stack pointer addresses the return address, and stack argument n
 * (n >= 7) sits (n - 6) words above it. These read it from kernel memory (kprobes); uprobes
 * use the _USER form, done by BPF_UPROBE.
 */
#define __bpf_stack_arg(read, sp, n)						\
	({									\
		unsigned long __bpf_arg = 0;					\
		read(&__bpf_arg, sizeof(__bpf_arg),				\
		     (const void *)((sp) + 8 * ((n) - 6)));			\
		__bpf_arg;							\
	})
#define PT_REGS_PARM7(x) __bpf_stack_arg(bpf_probe_read_kernel, PT_REGS_SP(x), 7)
#define PT_REGS_PARM8(x) __bpf_stack_arg(bpf_probe_read_kernel, PT_REGS_SP(x), 8)
#define PT_REGS_PARM7_CORE(x) __bpf_stack_arg(bpf_probe_read_kernel, PT_REGS_SP_CORE(x), 7)
#define PT_REGS_PARM8_CORE(x) __bpf_stack_arg(bpf_probe_read_kernel, PT_REGS_SP_CORE(x), 8)
#define PT_REGS_PARM7_USER(x) __bpf_stack_arg(bpf_probe_read_user, PT_REGS_SP(x), 7)
#define PT_REGS_PARM8_USER(x) __bpf_stack_arg(bpf_probe_read_user, PT_REGS_SP(x), 8)
#else
#define PT_REGS_PARM7(x) (__BPF_REGS(x)->__BPF_REG_PARM7)
#define PT_REGS_PARM8(x) (__BPF_REGS(x)->__BPF_REG_PARM8)
#define PT_REGS_PARM7_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM7)
#define PT_REGS_PARM8_CORE(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM8)
#define PT_REGS_PARM7_USER(x) PT_REGS_PARM7(x)
#define PT_REGS_PARM8_USER(x) PT_REGS_PARM8(x)
#endif

/*
 * Syscall arguments, read from the pt_regs saved at syscall entry. The plain forms need that
 * pt_regs to be the context (kernels without syscall wrappers); the _CORE forms read any.
 */
#if defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM1_CORE_SYSCALL(x) __BPF_ARM64_SYSCALL_PARM1(x)
/* orig_x0 is outside what the context exposes, so even the plain form must probe. */
#define PT_REGS_PARM1_SYSCALL(x) PT_REGS_PARM1_CORE_SYSCALL(x)
#else
#define PT_REGS_PARM1_SYSCALL(x) (__BPF_REGS(x)->__BPF_REG_PARM1_SYSCALL)
#define PT_REGS_PARM1_CORE_SYSCALL(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM1_SYSCALL)
#endif
#define PT_REGS_PARM2_SYSCALL(x) (__BPF_REGS(x)->__BPF_REG_PARM2_SYSCALL)
#define PT_REGS_PARM3_SYSCALL(x) (__BPF_REGS(x)->__BPF_REG_PARM3_SYSCALL)
#define PT_REGS_PARM4_SYSCALL(x) (__BPF_REGS(x)->__BPF_REG_PARM4_SYSCALL)
#define PT_REGS_PARM5_SYSCALL(x) (__BPF_REGS(x)->__BPF_REG_PARM5_SYSCALL)
#define PT_REGS_PARM6_SYSCALL(x) (__BPF_REGS(x)->__BPF_REG_PARM6_SYSCALL)
#define PT_REGS_PARM2_CORE_SYSCALL(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM2_SYSCALL)
#define PT_REGS_PARM3_CORE_SYSCALL(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM3_SYSCALL)
#define PT_REGS_PARM4_CORE_SYSCALL(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM4_SYSCALL)
#define PT_REGS_PARM5_CORE_SYSCALL(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM5_SYSCALL)
#define PT_REGS_PARM6_CORE_SYSCALL(x) BPF_CORE_READ(__BPF_REGS(x), __BPF_REG_PARM6_SYSCALL)

#else /* no supported __TARGET_ARCH_xxx */

/* Fails only where a register macro is used, so programs without them still build. */
#define __bpf_need_arch(x)							\
	({ _Pragma("GCC error \"bpf_tracing.h: compile with -D__TARGET_ARCH_x86 or -D__TARGET_ARCH_arm64 to use PT_REGS_* and BPF_KPROBE\"") 0L; })
#define PT_REGS_PARM1(x) __bpf_need_arch(x)
#define PT_REGS_PARM2(x) __bpf_need_arch(x)
#define PT_REGS_PARM3(x) __bpf_need_arch(x)
#define PT_REGS_PARM4(x) __bpf_need_arch(x)
#define PT_REGS_PARM5(x) __bpf_need_arch(x)
#define PT_REGS_PARM6(x) __bpf_need_arch(x)
#define PT_REGS_PARM7(x) __bpf_need_arch(x)
#define PT_REGS_PARM8(x) __bpf_need_arch(x)
#define PT_REGS_RC(x) __bpf_need_arch(x)
#define PT_REGS_FP(x) __bpf_need_arch(x)
#define PT_REGS_SP(x) __bpf_need_arch(x)
#define PT_REGS_IP(x) __bpf_need_arch(x)
#define PT_REGS_PARM1_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM2_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM3_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM4_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM5_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM6_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM7_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM8_CORE(x) __bpf_need_arch(x)
#define PT_REGS_RC_CORE(x) __bpf_need_arch(x)
#define PT_REGS_FP_CORE(x) __bpf_need_arch(x)
#define PT_REGS_SP_CORE(x) __bpf_need_arch(x)
#define PT_REGS_IP_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM7_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM8_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM1_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM2_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM3_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM4_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM5_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM6_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM1_CORE_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM2_CORE_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM3_CORE_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM4_CORE_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM5_CORE_SYSCALL(x) __bpf_need_arch(x)
#define PT_REGS_PARM6_CORE_SYSCALL(x) __bpf_need_arch(x)

#endif /* __BPF_ARCH_KNOWN */

/* ---- Typed program entry points -------------------------------------------------------------- */

/*
 * Each BPF_* macro below expands, after the return type the program writes in front of it, to:
 *   1. a declaration `name(ctx)` (so SEC() and the return type attach to the real entry point),
 *   2. a forward declaration of an always-inline body taking ctx plus the typed parameters,
 *   3. the entry point's definition, which extracts each parameter from ctx and calls the body,
 *   4. the start of the body's definition, whose braces the program then supplies.
 * Values are passed as void * or u64 whatever the parameter type, so the int/pointer
 * conversion warnings that provokes are silenced inside the generated call only.
 */
#define __bpf_call_body(name, ctx_args)						\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")			\
	return ____##name ctx_args;						\
	_Pragma("GCC diagnostic pop")

/* Context and each parameter i taken from the registers with `fetch(ctx, i)`. */
#define __bpf_regs_args(fetch, args...) __bpf_cat(__bpf_regs_args, __bpf_argc(args))(fetch, args)
#define __bpf_regs_args0(fetch, ...) ctx
#define __bpf_regs_args1(fetch, ...) __bpf_regs_args0(fetch), (void *)fetch(ctx, 1)
#define __bpf_regs_args2(fetch, ...) __bpf_regs_args1(fetch), (void *)fetch(ctx, 2)
#define __bpf_regs_args3(fetch, ...) __bpf_regs_args2(fetch), (void *)fetch(ctx, 3)
#define __bpf_regs_args4(fetch, ...) __bpf_regs_args3(fetch), (void *)fetch(ctx, 4)
#define __bpf_regs_args5(fetch, ...) __bpf_regs_args4(fetch), (void *)fetch(ctx, 5)
#define __bpf_regs_args6(fetch, ...) __bpf_regs_args5(fetch), (void *)fetch(ctx, 6)
#define __bpf_regs_args7(fetch, ...) __bpf_regs_args6(fetch), (void *)fetch(ctx, 7)
#define __bpf_regs_args8(fetch, ...) __bpf_regs_args7(fetch), (void *)fetch(ctx, 8)

#define __bpf_kernel_parm(ctx, i) __bpf_cat(PT_REGS_PARM, i)(ctx)
#define __bpf_user_parm(ctx, i) __bpf_cat(__bpf_user_parm, i)(ctx)
#define __bpf_user_parm1(ctx) PT_REGS_PARM1(ctx)
#define __bpf_user_parm2(ctx) PT_REGS_PARM2(ctx)
#define __bpf_user_parm3(ctx) PT_REGS_PARM3(ctx)
#define __bpf_user_parm4(ctx) PT_REGS_PARM4(ctx)
#define __bpf_user_parm5(ctx) PT_REGS_PARM5(ctx)
#define __bpf_user_parm6(ctx) PT_REGS_PARM6(ctx)
#define __bpf_user_parm7(ctx) PT_REGS_PARM7_USER(ctx)
#define __bpf_user_parm8(ctx) PT_REGS_PARM8_USER(ctx)
/* Syscall arguments live in the saved user registers `regs`, not in ctx. */
#define __bpf_syscall_parm(ctx, i) __bpf_cat(__bpf_cat(PT_REGS_PARM, i), _CORE_SYSCALL)(__bpf_syscall_regs)

#define __bpf_regs_entry(fetch, name, args...)					\
	name(struct pt_regs *ctx);						\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args); \
	typeof(name(0)) name(struct pt_regs *ctx)				\
	{									\
		__bpf_call_body(name, (__bpf_regs_args(fetch, ##args)))		\
	}									\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args)

/* A kprobe on a kernel function: `int BPF_KPROBE(name, struct file *file, int flags)`. */
#define BPF_KPROBE(name, args...) __bpf_regs_entry(__bpf_kernel_parm, name, ##args)

/* A uprobe on a user-space function; stack-passed arguments are read from user memory. */
#define BPF_UPROBE(name, args...) __bpf_regs_entry(__bpf_user_parm, name, ##args)

/* Return probes see only the return value: at most one parameter, which receives it. */
#define __bpf_ret_args(args...) __bpf_cat(__bpf_ret_args, __bpf_argc(args))()
#define __bpf_ret_args0() ctx
#define __bpf_ret_args1() ctx, (void *)PT_REGS_RC(ctx)

#define BPF_KRETPROBE(name, args...)						\
	name(struct pt_regs *ctx);						\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args); \
	typeof(name(0)) name(struct pt_regs *ctx)				\
	{									\
		__bpf_call_body(name, (__bpf_ret_args(args)))			\
	}									\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args)

#define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)

/*
 * A kprobe on a syscall, with the syscall's own arguments: `int BPF_KSYSCALL(name, int dfd,
 * const char *path)`. Through a wrapper (x86-64 since 4.17, arm64 since 5.0) the arguments are
 * in the pt_regs the wrapper's first argument points to; without one, in ctx itself. Both are
 * read with probes, which work for either.
 *
 * LINUX_HAS_SYSCALL_WRAPPER is a Kconfig-like value the loader (libbpf, bpftool) fills in. It
 * is declared by each expansion rather than once in this header: clang writes the BTF of an
 * extern variable only when its first declaration is in the file being compiled, so one that
 * lives in a precompiled header (bpfdev compiles with one) would reach the loader without BTF
 * ("failed to find BTF for extern"). Repeating an identical extern declaration is valid C.
 */
#define BPF_KSYSCALL(name, args...)						\
	name(struct pt_regs *ctx);						\
	extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;			\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args); \
	typeof(name(0)) name(struct pt_regs *ctx)				\
	{									\
		struct pt_regs *__bpf_syscall_regs = LINUX_HAS_SYSCALL_WRAPPER	\
			? (struct pt_regs *)PT_REGS_PARM1(ctx) : ctx;		\
		__bpf_call_body(name, (__bpf_regs_args(__bpf_syscall_parm, ##args))) \
	}									\
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args)

#define BPF_KPROBE_SYSCALL BPF_KSYSCALL

/*
 * fentry/fexit/fmod_ret, tp_btf, raw_tp, LSM and struct_ops programs get their arguments as
 * an array of u64, one slot per argument: `int BPF_PROG(name, struct task_struct *p, int x)`.
 */
#define __bpf_slot_args(args...) __bpf_cat(__bpf_slot_args, __bpf_argc(args))()
#define __bpf_slot_args0() ctx
#define __bpf_slot_args1() __bpf_slot_args0(), (void *)ctx[0]
#define __bpf_slot_args2() __bpf_slot_args1(), (void *)ctx[1]
#define __bpf_slot_args3() __bpf_slot_args2(), (void *)ctx[2]
#define __bpf_slot_args4() __bpf_slot_args3(), (void *)ctx[3]
#define __bpf_slot_args5() __bpf_slot_args4(), (void *)ctx[4]
#define __bpf_slot_args6() __bpf_slot_args5(), (void *)ctx[5]
#define __bpf_slot_args7() __bpf_slot_args6(), (void *)ctx[6]
#define __bpf_slot_args8() __bpf_slot_args7(), (void *)ctx[7]
#define __bpf_slot_args9() __bpf_slot_args8(), (void *)ctx[8]
#define __bpf_slot_args10() __bpf_slot_args9(), (void *)ctx[9]
#define __bpf_slot_args11() __bpf_slot_args10(), (void *)ctx[10]
#define __bpf_slot_args12() __bpf_slot_args11(), (void *)ctx[11]

#define BPF_PROG(name, args...)							\
	name(unsigned long long *ctx);						\
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args); \
	typeof(name(0)) name(unsigned long long *ctx)				\
	{									\
		__bpf_call_body(name, (__bpf_slot_args(args)))			\
	}									\
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx, ##args)

/*
 * BPF_PROG2 takes types and names separately, `int BPF_PROG2(name, struct pair, p, int, x)`,
 * because a struct passed by value of 9-16 bytes fills two slots: each argument starts at the
 * slot after the previous one's last, and is rebuilt from its slots through a union with an
 * integer of its own width (so the bytes land right whatever the byte order).
 */
#define __bpf_slots_for(type) ((sizeof(type) + 7) / 8)
#define __bpf_from_slots(type, s)						\
	__builtin_choose_expr(sizeof(type) == 1,				\
		({ union { __u8 w[1]; type v; } __bpf_u = { .w = { ctx[s] } }; __bpf_u.v; }), \
	__builtin_choose_expr(sizeof(type) == 2,				\
		({ union { __u16 w[1]; type v; } __bpf_u = { .w = { ctx[s] } }; __bpf_u.v; }), \
	__builtin_choose_expr(sizeof(type) == 4,				\
		({ union { __u32 w[1]; type v; } __bpf_u = { .w = { ctx[s] } }; __bpf_u.v; }), \
	__builtin_choose_expr(sizeof(type) <= 8,				\
		({ union { __u64 w[1]; type v; } __bpf_u = { .w = { ctx[s] } }; __bpf_u.v; }), \
		({ union { __u64 w[2]; type v; } __bpf_u = { .w = { ctx[s], ctx[(s) + 1] } }; __bpf_u.v; })))))

#define __bpf_pair_params(args...) __bpf_cat(__bpf_pair_params, __bpf_argc(args))(args)
#define __bpf_pair_params0()
#define __bpf_pair_params2(t, n) , t n
#define __bpf_pair_params4(t, n, more...) , t n __bpf_pair_params2(more)
#define __bpf_pair_params6(t, n, more...) , t n __bpf_pair_params4(more)
#define __bpf_pair_params8(t, n, more...) , t n __bpf_pair_params6(more)
#define __bpf_pair_params10(t, n, more...) , t n __bpf_pair_params8(more)
#define __bpf_pair_params12(t, n, more...) , t n __bpf_pair_params10(more)
#define __bpf_pair_params14(t, n, more...) , t n __bpf_pair_params12(more)
#define __bpf_pair_params16(t, n, more...) , t n __bpf_pair_params14(more)
#define __bpf_pair_params18(t, n, more...) , t n __bpf_pair_params16(more)
#define __bpf_pair_params20(t, n, more...) , t n __bpf_pair_params18(more)
#define __bpf_pair_params22(t, n, more...) , t n __bpf_pair_params20(more)
#define __bpf_pair_params24(t, n, more...) , t n __bpf_pair_params22(more)

#define __bpf_pair_values(args...) __bpf_cat(__bpf_pair_values, __bpf_argc(args))(0, ##args)
#define __bpf_pair_values0(s)
#define __bpf_pair_values2(s, t, n) , __bpf_from_slots(t, s)
#define __bpf_pair_values4(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values2((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values6(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values4((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values8(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values6((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values10(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values8((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values12(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values10((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values14(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values12((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values16(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values14((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values18(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values16((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values20(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values18((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values22(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values20((s) + __bpf_slots_for(t), more)
#define __bpf_pair_values24(s, t, n, more...) , __bpf_from_slots(t, s) __bpf_pair_values22((s) + __bpf_slots_for(t), more)

#define BPF_PROG2(name, args...)						\
	name(unsigned long long *ctx);						\
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx __bpf_pair_params(args)); \
	typeof(name(0)) name(unsigned long long *ctx)				\
	{									\
		return ____##name(ctx __bpf_pair_values(args));			\
	}									\
	static __always_inline typeof(name(0)) ____##name(unsigned long long *ctx __bpf_pair_params(args))

#endif /* BPFDEV_BPF_TRACING_H */
