/* SPDX-License-Identifier: MIT */
/*
 * bpfdev's <bpf/bpf_tracing.h>: reading function arguments and return values from the
 * registers a kprobe/uprobe sees (PT_REGS_*), and the BPF_KPROBE / BPF_PROG family that turns
 * a raw context into typed parameters.
 *
 * Register layout depends on the architecture the kernel runs on, not on the BPF target, so
 * the compile passes -D__TARGET_ARCH_<arch>: x86 (64-bit), arm64, s390, arm, mips (n64),
 * powerpc (64-bit), sparc, riscv (64-bit), loongarch. Without one, a host compiler's own
 * architecture is assumed.
 */
#ifndef BPFDEV_BPF_TRACING_H
#define BPFDEV_BPF_TRACING_H
/* libbpf's include guard too, so a project's own copy of libbpf's header steps aside. */
#define __BPF_TRACING_H__

#include "bpf_helpers.h"
#include "bpf_core_read.h"

/*
 * The architecture comes from -D__TARGET_ARCH_<arch>; a host compiler (not -target bpf)
 * names its own. bpf_target_<arch> and bpf_target_defined are what programs test.
 */
#if defined(__TARGET_ARCH_x86)
#define bpf_target_x86
#elif defined(__TARGET_ARCH_arm64)
#define bpf_target_arm64
#elif defined(__TARGET_ARCH_s390)
#define bpf_target_s390
#elif defined(__TARGET_ARCH_arm)
#define bpf_target_arm
#elif defined(__TARGET_ARCH_mips)
#define bpf_target_mips
#elif defined(__TARGET_ARCH_powerpc)
#define bpf_target_powerpc
#elif defined(__TARGET_ARCH_sparc)
#define bpf_target_sparc
#elif defined(__TARGET_ARCH_riscv)
#define bpf_target_riscv
#elif defined(__TARGET_ARCH_loongarch)
#define bpf_target_loongarch
#elif defined(__x86_64__)
#define bpf_target_x86
#elif defined(__aarch64__)
#define bpf_target_arm64
#elif defined(__s390__)
#define bpf_target_s390
#elif defined(__arm__)
#define bpf_target_arm
#elif defined(__mips__)
#define bpf_target_mips
#elif defined(__powerpc__)
#define bpf_target_powerpc
#elif defined(__sparc__)
#define bpf_target_sparc
#elif defined(__riscv) && __riscv_xlen == 64
#define bpf_target_riscv
#elif defined(__loongarch__)
#define bpf_target_loongarch
#endif

#if defined(bpf_target_x86) || defined(bpf_target_arm64) || defined(bpf_target_s390) || \
	defined(bpf_target_arm) || defined(bpf_target_mips) || defined(bpf_target_powerpc) || \
	defined(bpf_target_sparc) || defined(bpf_target_riscv) || defined(bpf_target_loongarch)
#define bpf_target_defined
#endif

/*
 * Per architecture: the struct a kprobe's context points to and which member holds each
 * value. The kernel ABI facts: where arguments 1-8 are passed (an undefined PARMn means the
 * stack or nowhere this header can reach), the return value, the return address (RET: a link
 * register, or on x86 the stack pointer, above which it is stored), frame and stack pointers,
 * the instruction pointer. __BPF_REG_PARMn_SYSCALL differ where the syscall ABI does; a
 * __BPF_CORE_PARM1_SYSCALL names a member outside the registers the context exposes, read
 * through a local CO-RE flavor of the kernel's struct pt_regs.
 */
#if defined(bpf_target_x86)

/* A function's 7th and later arguments are on the stack, above the return address. */
#define __BPF_STACK_ARGS_FROM 7
#define __BPF_REGS_TYPE struct pt_regs
#if defined(__VMLINUX_H__) || defined(__KERNEL__)
/* Member names of the kernel's struct pt_regs (vmlinux.h). */
#define __BPF_REG_PARM1 di
#define __BPF_REG_PARM2 si
#define __BPF_REG_PARM3 dx
#define __BPF_REG_PARM4 cx
#define __BPF_REG_PARM5 r8
#define __BPF_REG_PARM6 r9
#define __BPF_REG_RC ax
#define __BPF_REG_FP bp
#define __BPF_REG_SP sp
#define __BPF_REG_IP ip
#else
/* Member names of the user-space <asm/ptrace.h> struct pt_regs. */
#define __BPF_REG_PARM1 rdi
#define __BPF_REG_PARM2 rsi
#define __BPF_REG_PARM3 rdx
#define __BPF_REG_PARM4 rcx
#define __BPF_REG_PARM5 r8
#define __BPF_REG_PARM6 r9
#define __BPF_REG_RC rax
#define __BPF_REG_FP rbp
#define __BPF_REG_SP rsp
#define __BPF_REG_IP rip
#endif
#define __BPF_REG_RET __BPF_REG_SP
/* The syscall instruction passes the 4th argument in r10 because it clobbers rcx. */
#define __BPF_REG_PARM1_SYSCALL __BPF_REG_PARM1
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL r10
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(bpf_target_arm64)

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
#define __BPF_REG_RET regs[30]
#define __BPF_REG_RC regs[0]
#define __BPF_REG_FP regs[29]
#define __BPF_REG_SP sp
#define __BPF_REG_IP pc
/* x0 is overwritten by the return value; the kernel keeps the first argument in orig_x0. */
#define __BPF_CORE_PARM1_SYSCALL orig_x0
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(bpf_target_s390)

/* s390's user_pt_regs is a typedef, not a struct tag. */
#define __BPF_REGS_TYPE user_pt_regs
#define __BPF_REG_PARM1 gprs[2]
#define __BPF_REG_PARM2 gprs[3]
#define __BPF_REG_PARM3 gprs[4]
#define __BPF_REG_PARM4 gprs[5]
#define __BPF_REG_PARM5 gprs[6]
#define __BPF_REG_RET gprs[14]
#define __BPF_REG_RC gprs[2]
#define __BPF_REG_FP gprs[11]
#define __BPF_REG_SP gprs[15]
#define __BPF_REG_IP psw.addr
#define __BPF_CORE_PARM1_SYSCALL orig_gpr2
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL gprs[7]

#elif defined(bpf_target_arm)

#define __BPF_REGS_TYPE struct pt_regs
#define __BPF_REG_PARM1 uregs[0]
#define __BPF_REG_PARM2 uregs[1]
#define __BPF_REG_PARM3 uregs[2]
#define __BPF_REG_PARM4 uregs[3]
#define __BPF_REG_RET uregs[14]
#define __BPF_REG_RC uregs[0]
#define __BPF_REG_FP uregs[11]
#define __BPF_REG_SP uregs[13]
/* The program counter (ARM_pc), not r12, which ARM also calls "ip" (a scratch register). */
#define __BPF_REG_IP uregs[15]
/* EABI syscalls pass up to seven arguments in r0-r6. */
#define __BPF_REG_PARM1_SYSCALL __BPF_REG_PARM1
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL uregs[4]
#define __BPF_REG_PARM6_SYSCALL uregs[5]

#elif defined(bpf_target_mips)

/* The n64 ABI: a0-a7 are $4-$11. */
#define __BPF_REGS_TYPE struct pt_regs
#define __BPF_REG_PARM1 regs[4]
#define __BPF_REG_PARM2 regs[5]
#define __BPF_REG_PARM3 regs[6]
#define __BPF_REG_PARM4 regs[7]
#define __BPF_REG_PARM5 regs[8]
#define __BPF_REG_PARM6 regs[9]
#define __BPF_REG_PARM7 regs[10]
#define __BPF_REG_PARM8 regs[11]
#define __BPF_REG_RET regs[31]
#define __BPF_REG_RC regs[2]
#define __BPF_REG_FP regs[30]
#define __BPF_REG_SP regs[29]
#define __BPF_REG_IP cp0_epc
#define __BPF_REG_PARM1_SYSCALL __BPF_REG_PARM1
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(bpf_target_powerpc)

#define __BPF_REGS_TYPE struct user_pt_regs
#define __BPF_REG_PARM1 gpr[3]
#define __BPF_REG_PARM2 gpr[4]
#define __BPF_REG_PARM3 gpr[5]
#define __BPF_REG_PARM4 gpr[6]
#define __BPF_REG_PARM5 gpr[7]
#define __BPF_REG_PARM6 gpr[8]
#define __BPF_REG_PARM7 gpr[9]
#define __BPF_REG_PARM8 gpr[10]
#define __BPF_REG_RET link
#define __BPF_REG_RC gpr[3]
/* No register is the frame pointer by ABI: PT_REGS_FP is not offered. */
#define __BPF_REG_SP gpr[1]
#define __BPF_REG_IP nip
/* r3 carries the return value; the first argument stays in orig_gpr3, inside user_pt_regs. */
#define __BPF_REG_PARM1_SYSCALL orig_gpr3
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(bpf_target_sparc)

/* u_regs holds %g0-%g7 then the interrupted window's %o0-%o7 (indices 8-15). */
#define __BPF_REGS_TYPE struct pt_regs
#define __BPF_REG_PARM1 u_regs[8]
#define __BPF_REG_PARM2 u_regs[9]
#define __BPF_REG_PARM3 u_regs[10]
#define __BPF_REG_PARM4 u_regs[11]
#define __BPF_REG_PARM5 u_regs[12]
#define __BPF_REG_PARM6 u_regs[13]
#define __BPF_REG_RET u_regs[15]
#define __BPF_REG_RC u_regs[8]
#define __BPF_REG_SP u_regs[14]
/* sparc64's trap program counter (BPF runs on 64-bit sparc only; -target bpf hides __arch64__). */
#define __BPF_REG_IP tpc
#define __BPF_REG_PARM1_SYSCALL __BPF_REG_PARM1
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(bpf_target_riscv)

/* The context's prefix has user_regs_struct's layout (pc where the kernel says epc). */
#define __BPF_REGS_TYPE struct user_regs_struct
#define __BPF_REG_PARM1 a0
#define __BPF_REG_PARM2 a1
#define __BPF_REG_PARM3 a2
#define __BPF_REG_PARM4 a3
#define __BPF_REG_PARM5 a4
#define __BPF_REG_PARM6 a5
#define __BPF_REG_PARM7 a6
#define __BPF_REG_PARM8 a7
#define __BPF_REG_RET ra
#define __BPF_REG_RC a0
#define __BPF_REG_FP s0
#define __BPF_REG_SP sp
#define __BPF_REG_IP pc
#define __BPF_CORE_PARM1_SYSCALL orig_a0
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#elif defined(bpf_target_loongarch)

/* a0-a7 are $r4-$r11; ra $r1, sp $r3, fp $r22. */
#define __BPF_REGS_TYPE struct user_pt_regs
#define __BPF_REG_PARM1 regs[4]
#define __BPF_REG_PARM2 regs[5]
#define __BPF_REG_PARM3 regs[6]
#define __BPF_REG_PARM4 regs[7]
#define __BPF_REG_PARM5 regs[8]
#define __BPF_REG_PARM6 regs[9]
#define __BPF_REG_PARM7 regs[10]
#define __BPF_REG_PARM8 regs[11]
#define __BPF_REG_RET regs[1]
#define __BPF_REG_RC regs[4]
#define __BPF_REG_FP regs[22]
#define __BPF_REG_SP regs[3]
#define __BPF_REG_IP csr_era
#define __BPF_REG_PARM1_SYSCALL orig_a0
#define __BPF_REG_PARM2_SYSCALL __BPF_REG_PARM2
#define __BPF_REG_PARM3_SYSCALL __BPF_REG_PARM3
#define __BPF_REG_PARM4_SYSCALL __BPF_REG_PARM4
#define __BPF_REG_PARM5_SYSCALL __BPF_REG_PARM5
#define __BPF_REG_PARM6_SYSCALL __BPF_REG_PARM6

#endif

/*
 * Using a value this header cannot reach is a compile error naming the reason, not a silent
 * wrong read; programs that never use it still build.
 */
#define __bpf_no_reg(x)								\
	({ _Pragma("GCC error \"bpf_tracing.h: this value is not in a register on this architecture\"") 0L; })

#ifdef bpf_target_defined

#define __BPF_REGS(x) ((__BPF_REGS_TYPE *)(x))
#define __bpf_reg(x, reg) (__BPF_REGS(x)->reg)
#define __bpf_reg_core(x, reg) BPF_CORE_READ(__BPF_REGS(x), reg)

#define PT_REGS_PARM1(x) __bpf_reg(x, __BPF_REG_PARM1)
#define PT_REGS_PARM2(x) __bpf_reg(x, __BPF_REG_PARM2)
#define PT_REGS_PARM3(x) __bpf_reg(x, __BPF_REG_PARM3)
#define PT_REGS_PARM4(x) __bpf_reg(x, __BPF_REG_PARM4)
#define PT_REGS_PARM1_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM1)
#define PT_REGS_PARM2_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM2)
#define PT_REGS_PARM3_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM3)
#define PT_REGS_PARM4_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM4)
#ifdef __BPF_REG_PARM5
#define PT_REGS_PARM5(x) __bpf_reg(x, __BPF_REG_PARM5)
#define PT_REGS_PARM5_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM5)
#else
#define PT_REGS_PARM5(x) __bpf_no_reg(x)
#define PT_REGS_PARM5_CORE(x) __bpf_no_reg(x)
#endif
#ifdef __BPF_REG_PARM6
#define PT_REGS_PARM6(x) __bpf_reg(x, __BPF_REG_PARM6)
#define PT_REGS_PARM6_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM6)
#else
#define PT_REGS_PARM6(x) __bpf_no_reg(x)
#define PT_REGS_PARM6_CORE(x) __bpf_no_reg(x)
#endif

#if defined(__BPF_STACK_ARGS_FROM)
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
#elif defined(__BPF_REG_PARM8)
#define PT_REGS_PARM7(x) __bpf_reg(x, __BPF_REG_PARM7)
#define PT_REGS_PARM8(x) __bpf_reg(x, __BPF_REG_PARM8)
#define PT_REGS_PARM7_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM7)
#define PT_REGS_PARM8_CORE(x) __bpf_reg_core(x, __BPF_REG_PARM8)
#define PT_REGS_PARM7_USER(x) PT_REGS_PARM7(x)
#define PT_REGS_PARM8_USER(x) PT_REGS_PARM8(x)
#else
#define PT_REGS_PARM7(x) __bpf_no_reg(x)
#define PT_REGS_PARM8(x) __bpf_no_reg(x)
#define PT_REGS_PARM7_CORE(x) __bpf_no_reg(x)
#define PT_REGS_PARM8_CORE(x) __bpf_no_reg(x)
#define PT_REGS_PARM7_USER(x) __bpf_no_reg(x)
#define PT_REGS_PARM8_USER(x) __bpf_no_reg(x)
#endif
/* Arguments 1-6 are in registers wherever this header supports them. */
#define PT_REGS_PARM1_USER(x) PT_REGS_PARM1(x)
#define PT_REGS_PARM2_USER(x) PT_REGS_PARM2(x)
#define PT_REGS_PARM3_USER(x) PT_REGS_PARM3(x)
#define PT_REGS_PARM4_USER(x) PT_REGS_PARM4(x)
#define PT_REGS_PARM5_USER(x) PT_REGS_PARM5(x)
#define PT_REGS_PARM6_USER(x) PT_REGS_PARM6(x)

#define PT_REGS_RET(x) __bpf_reg(x, __BPF_REG_RET)
#define PT_REGS_RC(x) __bpf_reg(x, __BPF_REG_RC)
#define PT_REGS_SP(x) __bpf_reg(x, __BPF_REG_SP)
#define PT_REGS_IP(x) __bpf_reg(x, __BPF_REG_IP)
#define PT_REGS_RET_CORE(x) __bpf_reg_core(x, __BPF_REG_RET)
#define PT_REGS_RC_CORE(x) __bpf_reg_core(x, __BPF_REG_RC)
#define PT_REGS_SP_CORE(x) __bpf_reg_core(x, __BPF_REG_SP)
#define PT_REGS_IP_CORE(x) __bpf_reg_core(x, __BPF_REG_IP)
#ifdef __BPF_REG_FP
#define PT_REGS_FP(x) __bpf_reg(x, __BPF_REG_FP)
#define PT_REGS_FP_CORE(x) __bpf_reg_core(x, __BPF_REG_FP)
#else
#define PT_REGS_FP(x)								\
	({ _Pragma("GCC error \"bpf_tracing.h: this architecture has no frame pointer register\"") 0L; })
#define PT_REGS_FP_CORE(x) PT_REGS_FP(x)
#endif

/*
 * Syscall arguments, read from the pt_regs saved at syscall entry. The plain forms need that
 * pt_regs to be the context (kernels without syscall wrappers); the _CORE forms read any.
 */
#ifdef __BPF_CORE_PARM1_SYSCALL
/* The ___ suffix makes this a local flavor of the kernel's struct pt_regs for CO-RE matching. */
struct pt_regs___bpfdev_syscall {
	unsigned long __BPF_CORE_PARM1_SYSCALL;
} __attribute__((preserve_access_index));
#define PT_REGS_PARM1_CORE_SYSCALL(x) BPF_CORE_READ((struct pt_regs___bpfdev_syscall *)(x), __BPF_CORE_PARM1_SYSCALL)
/* The member is outside what the context exposes, so even the plain form must probe. */
#define PT_REGS_PARM1_SYSCALL(x) PT_REGS_PARM1_CORE_SYSCALL(x)
#else
#define PT_REGS_PARM1_SYSCALL(x) __bpf_reg(x, __BPF_REG_PARM1_SYSCALL)
#define PT_REGS_PARM1_CORE_SYSCALL(x) __bpf_reg_core(x, __BPF_REG_PARM1_SYSCALL)
#endif
#define PT_REGS_PARM2_SYSCALL(x) __bpf_reg(x, __BPF_REG_PARM2_SYSCALL)
#define PT_REGS_PARM3_SYSCALL(x) __bpf_reg(x, __BPF_REG_PARM3_SYSCALL)
#define PT_REGS_PARM4_SYSCALL(x) __bpf_reg(x, __BPF_REG_PARM4_SYSCALL)
#define PT_REGS_PARM5_SYSCALL(x) __bpf_reg(x, __BPF_REG_PARM5_SYSCALL)
#define PT_REGS_PARM6_SYSCALL(x) __bpf_reg(x, __BPF_REG_PARM6_SYSCALL)
#define PT_REGS_PARM2_CORE_SYSCALL(x) __bpf_reg_core(x, __BPF_REG_PARM2_SYSCALL)
#define PT_REGS_PARM3_CORE_SYSCALL(x) __bpf_reg_core(x, __BPF_REG_PARM3_SYSCALL)
#define PT_REGS_PARM4_CORE_SYSCALL(x) __bpf_reg_core(x, __BPF_REG_PARM4_SYSCALL)
#define PT_REGS_PARM5_CORE_SYSCALL(x) __bpf_reg_core(x, __BPF_REG_PARM5_SYSCALL)
#define PT_REGS_PARM6_CORE_SYSCALL(x) __bpf_reg_core(x, __BPF_REG_PARM6_SYSCALL)

/*
 * The return address of the probed function. In a kprobe at entry it is in the link
 * register, or on x86 at the stack pointer; in a kretprobe the function has returned, so it
 * is read from above the saved frame pointer (which needs the kernel built with them).
 */
#if defined(bpf_target_x86)
#define BPF_KPROBE_READ_RET_IP(ip, ctx)						\
	({ bpf_probe_read_kernel(&(ip), sizeof(ip), (const void *)PT_REGS_RET(ctx)); })
#else
#define BPF_KPROBE_READ_RET_IP(ip, ctx) ({ (ip) = PT_REGS_RET(ctx); })
#endif
#define BPF_KRETPROBE_READ_RET_IP(ip, ctx)					\
	({ bpf_probe_read_kernel(&(ip), sizeof(ip), (const void *)(PT_REGS_FP(ctx) + sizeof(ip))); })

#else /* no target architecture */

#define __bpf_need_arch(x)							\
	({ _Pragma("GCC error \"bpf_tracing.h: compile with -D__TARGET_ARCH_x86 or -D__TARGET_ARCH_arm64 (or s390, arm, mips, powerpc, sparc, riscv, loongarch) to use PT_REGS_* and BPF_KPROBE\"") 0L; })
#define PT_REGS_PARM1(x) __bpf_need_arch(x)
#define PT_REGS_PARM2(x) __bpf_need_arch(x)
#define PT_REGS_PARM3(x) __bpf_need_arch(x)
#define PT_REGS_PARM4(x) __bpf_need_arch(x)
#define PT_REGS_PARM5(x) __bpf_need_arch(x)
#define PT_REGS_PARM6(x) __bpf_need_arch(x)
#define PT_REGS_PARM7(x) __bpf_need_arch(x)
#define PT_REGS_PARM8(x) __bpf_need_arch(x)
#define PT_REGS_RET(x) __bpf_need_arch(x)
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
#define PT_REGS_RET_CORE(x) __bpf_need_arch(x)
#define PT_REGS_RC_CORE(x) __bpf_need_arch(x)
#define PT_REGS_FP_CORE(x) __bpf_need_arch(x)
#define PT_REGS_SP_CORE(x) __bpf_need_arch(x)
#define PT_REGS_IP_CORE(x) __bpf_need_arch(x)
#define PT_REGS_PARM1_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM2_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM3_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM4_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM5_USER(x) __bpf_need_arch(x)
#define PT_REGS_PARM6_USER(x) __bpf_need_arch(x)
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
#define BPF_KPROBE_READ_RET_IP(ip, ctx) __bpf_need_arch(ctx)
#define BPF_KRETPROBE_READ_RET_IP(ip, ctx) __bpf_need_arch(ctx)

#endif /* bpf_target_defined */

/* The registers a syscall wrapper's kprobe finds the user's syscall registers in. */
#define PT_REGS_SYSCALL_REGS(ctx) ((struct pt_regs *)PT_REGS_PARM1(ctx))

/* libbpf's internal names for the same facts, which some programs use directly. */
#define __PT_REGS_CAST(x) __BPF_REGS(x)
#define __PT_PARM1_REG __BPF_REG_PARM1
#define __PT_PARM2_REG __BPF_REG_PARM2
#define __PT_PARM3_REG __BPF_REG_PARM3
#define __PT_PARM4_REG __BPF_REG_PARM4
#define __PT_PARM5_REG __BPF_REG_PARM5
#define __PT_PARM6_REG __BPF_REG_PARM6
#define __PT_PARM7_REG __BPF_REG_PARM7
#define __PT_PARM8_REG __BPF_REG_PARM8
#define __PT_RET_REG __BPF_REG_RET
#define __PT_FP_REG __BPF_REG_FP
#define __PT_RC_REG __BPF_REG_RC
#define __PT_SP_REG __BPF_REG_SP
#define __PT_IP_REG __BPF_REG_IP
#define __BPF_TARGET_MISSING "GCC error \"Must specify a BPF target arch via __TARGET_ARCH_xxx\""

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
