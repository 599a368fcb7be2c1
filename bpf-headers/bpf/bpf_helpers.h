/* SPDX-License-Identifier: MIT */
/*
 * bpfdev's <bpf/bpf_helpers.h>: the declarations and macros an eBPF program expects from this
 * header name, written for bpfdev so programs compile where libbpf-dev is not installed.
 * Macro names and meanings follow the libbpf API that loaders (libbpf, bpftool) understand:
 * ELF section names, BTF-encoded map definitions, .ksyms/.kconfig externs.
 *
 * Include vmlinux.h (or <linux/types.h>) first: the helper prototypes use __u32, __u64, ...
 */
#ifndef BPFDEV_BPF_HELPERS_H
#define BPFDEV_BPF_HELPERS_H
/*
 * libbpf's include guard too: a project that also carries a copy of libbpf's header (cilium's
 * examples/headers, for one) then gets one set of definitions, not two that collide.
 */
#define __BPF_HELPERS__

/* Programs built on UAPI headers alone have no NULL: <linux/types.h> does not define it. */
#ifndef NULL
#define NULL ((void *)0)
#endif

#include "bpf_helper_defs.h"

/* ---- Variadic macro plumbing shared by all bpfdev headers ---------------------------------- */

#define __bpf_cat_now(a, b) a##b
/* Two levels so that arguments such as __bpf_argc(...) are expanded before pasting. */
#define __bpf_cat(a, b) __bpf_cat_now(a, b)
/* libbpf's names for the same plumbing, which some programs build their own macros on. */
#define ___bpf_concat(a, b) a##b
#define ___bpf_apply(fn, n) ___bpf_concat(fn, n)

#define __bpf_24th(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, \
		   _17, _18, _19, _20, _21, _22, _23, _24, N, ...) N
/* Number of arguments, 0 to 24; the leading placeholder keeps the empty list countable. */
#define __bpf_argc(args...) __bpf_24th(_, ##args, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, \
				       12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)

#define ___bpf_narg(args...) __bpf_argc(args)

/* ---- Placement: sections, visibility, linkage ---------------------------------------------- */

/*
 * The loader finds programs, maps, the license and externs by ELF section. `used` keeps objects
 * no code references (the license, maps only user space touches). Clang warns that `used` is
 * ignored when SEC() sits on a declaration, which BPF_PROG()-style macros produce on purpose.
 */
#define SEC(name)								\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wignored-attributes\"")		\
	__attribute__((section(name), used))					\
	_Pragma("GCC diagnostic pop")

/* linux/stddef.h defines a plain inline version; BPF subprograms need the real thing. */
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))

#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
/* Keeps a global function or variable out of the object's exported symbols (static linking). */
#ifndef __hidden
#define __hidden __attribute__((visibility("hidden")))
#endif

/* Externs resolved by the loader: kernel symbols (variables or kfuncs) and Kconfig values. */
#define __ksym __attribute__((section(".ksyms")))
#define __kconfig __attribute__((section(".kconfig")))

/* Pointer annotations recorded as BTF type tags, checked by the verifier for kptrs in maps. */
#if __has_attribute(btf_type_tag)
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#define __kptr __attribute__((btf_type_tag("kptr")))
/* libbpf 1.1's name for a referenced kptr, which kernels since 6.3 call plain "kptr". */
#define __kptr_ref __kptr
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
/* A map value field pointing to user memory the kernel pins for the program (Linux 6.12+). */
#define __uptr __attribute__((btf_type_tag("uptr")))
#endif

/*
 * What the verifier may assume about a global function's argument, recorded as BTF decl tags
 * on the parameter: the program context, never NULL, maybe NULL, a trusted kernel pointer,
 * a pointer into a BPF arena.
 */
#if __has_attribute(btf_decl_tag)
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_untrusted __attribute__((btf_decl_tag("arg:untrusted")))
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))
#else
#define __arg_ctx
#define __arg_nonnull
#define __arg_nullable
#define __arg_trusted
#define __arg_untrusted
#define __arg_arena
#endif

/* Calls that keep the caller-saved registers they do not use, so clang need not spill them. */
#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

/* ---- BTF-defined maps ---------------------------------------------------------------------- */

/*
 * A map definition is a struct whose member *types* carry the attributes, so they survive into
 * BTF where the loader reads them:  __uint(max_entries, 1024) becomes `int (*max_entries)[1024]`
 * (the array length is the value), __type(key, u32) becomes `u32 *key` (the pointee type).
 */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
/* Maps of maps and prog arrays: an array of pointers to the inner map's or program's type. */
#define __array(name, val) typeof(val) *name[]
/* 64-bit attributes (map_extra) do not fit an array length; an enumerator carries them instead. */
#define __ulong(name, val) enum { __bpf_cat(__bpf_ulong_value_, __COUNTER__) = (val) } name

/* Values of __uint(pinning, ...): pin the map under /sys/fs/bpf by its name, or not at all. */
enum libbpf_pin_type {
	LIBBPF_PIN_NONE = 0,
	LIBBPF_PIN_BY_NAME = 1,
};

/* The values a __kconfig extern of type `enum libbpf_tristate` receives for y/n/m options. */
enum libbpf_tristate {
	TRI_NO = 0,
	TRI_YES = 1,
	TRI_MODULE = 2,
};

/* ---- Compiler hints -------------------------------------------------------------------------- */

#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
#ifndef container_of
#define container_of(ptr, type, member)						\
	({									\
		char *__bpf_member_ptr = (char *)(ptr);				\
		((type *)(__bpf_member_ptr - offsetof(type, member)));		\
	})
#endif

/* Stops the compiler from moving memory accesses across this point. */
#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif
/* Forgets what the compiler knows about var's value, so it cannot fold or widen its uses. */
#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* A path the program claims cannot be taken; clang emits a call the verifier rejects if it can. */
#ifndef __bpf_unreachable
#define __bpf_unreachable() __builtin_trap()
#endif

/* LINUX_VERSION_CODE layout: the sublevel saturates at 255. */
#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#endif

/* True when a __weak __ksym extern was found in the running kernel. */
#define bpf_ksym_exists(sym)							\
	({									\
		_Static_assert(!__builtin_constant_p(!!(sym)),			\
			       #sym " must be declared __weak to be tested");	\
		!!(sym);							\
	})

/*
 * A tail call whose slot is a compile-time constant, emitted as a literal `call 12` with the
 * arguments in r1-r3 so the verifier sees the constant index and can patch a direct jump.
 */
static __always_inline void bpf_tail_call_static(void *ctx, const void *map, const __u32 slot)
{
	if (!__builtin_constant_p(slot))
		__bpf_unreachable();
	asm volatile("r1 = %[ctx]\n\t"
		     "r2 = %[map]\n\t"
		     "r3 = %[slot]\n\t"
		     "call 12"
		     :: [ctx] "r"(ctx), [map] "r"(map), [slot] "i"(slot)
		     : "r0", "r1", "r2", "r3", "r4", "r5");
}

/* ---- printk and friends ------------------------------------------------------------------------ */

/*
 * The format must live in memory the helper can read: .rodata normally, the stack when the
 * program cannot use global data (old kernels), selected by defining BPF_NO_GLOBAL_DATA.
 */
#ifndef BPF_PRINTK_FMT_MOD
#ifdef BPF_NO_GLOBAL_DATA
#define BPF_PRINTK_FMT_MOD
#else
#define BPF_PRINTK_FMT_MOD static const
#endif
#endif

/* Stores each argument in successive u64 slots, the layout the *printf helpers read. */
#define __bpf_fill_u64(slots, args...) __bpf_cat(__bpf_fill_u64_, __bpf_argc(args))(slots, 0, ##args)
#define __bpf_fill_u64_0(slots, i)
#define __bpf_fill_u64_1(slots, i, x) slots[i] = (unsigned long long)(x)
#define __bpf_fill_u64_2(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_1(slots, (i) + 1, more)
#define __bpf_fill_u64_3(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_2(slots, (i) + 1, more)
#define __bpf_fill_u64_4(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_3(slots, (i) + 1, more)
#define __bpf_fill_u64_5(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_4(slots, (i) + 1, more)
#define __bpf_fill_u64_6(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_5(slots, (i) + 1, more)
#define __bpf_fill_u64_7(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_6(slots, (i) + 1, more)
#define __bpf_fill_u64_8(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_7(slots, (i) + 1, more)
#define __bpf_fill_u64_9(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_8(slots, (i) + 1, more)
#define __bpf_fill_u64_10(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_9(slots, (i) + 1, more)
#define __bpf_fill_u64_11(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_10(slots, (i) + 1, more)
#define __bpf_fill_u64_12(slots, i, x, more...) __bpf_fill_u64_1(slots, i, x); __bpf_fill_u64_11(slots, (i) + 1, more)

/* bpf_trace_printk passes up to three values in registers. */
#define __bpf_printk_in_registers(fmt, args...)					\
	({									\
		BPF_PRINTK_FMT_MOD char __bpf_fmt[] = fmt;				\
		bpf_trace_printk(__bpf_fmt, sizeof(__bpf_fmt), ##args);		\
	})

/* More than three values go through an array with bpf_trace_vprintk (Linux 5.16+). */
#define __bpf_printk_in_array(fmt, args...)					\
	({									\
		static const char __bpf_fmt[] = fmt;				\
		unsigned long long __bpf_values[__bpf_argc(args)];		\
		__bpf_fill_u64(__bpf_values, args);				\
		bpf_trace_vprintk(__bpf_fmt, sizeof(__bpf_fmt),			\
				  __bpf_values, sizeof(__bpf_values));		\
	})

/* Chooses by argument count: 0-3 values in registers, 4-12 in an array. */
#define __bpf_printk_variant(args...)						\
	__bpf_24th(_, ##args, _, _, _, _, _, _, _, _, _, _, _, _,		\
		   __bpf_printk_in_array, __bpf_printk_in_array, __bpf_printk_in_array,	\
		   __bpf_printk_in_array, __bpf_printk_in_array, __bpf_printk_in_array,	\
		   __bpf_printk_in_array, __bpf_printk_in_array, __bpf_printk_in_array,	\
		   __bpf_printk_in_registers, __bpf_printk_in_registers,	\
		   __bpf_printk_in_registers, __bpf_printk_in_registers)

/* Writes a line to /sys/kernel/tracing/trace_pipe. */
#define bpf_printk(fmt, args...) __bpf_printk_variant(args)(fmt, ##args)
/* The two forms by name, as libbpf spells them, for programs that pick one themselves. */
#define __bpf_printk(fmt, args...) __bpf_printk_in_registers(fmt, ##args)
#define __bpf_vprintk(fmt, args...) __bpf_printk_in_array(fmt, ##args)

/* printf into a seq_file, for BPF iterators. */
#define BPF_SEQ_PRINTF(seq, fmt, args...)					\
	({									\
		static const char __bpf_fmt[] = fmt;				\
		unsigned long long __bpf_values[__bpf_argc(args)];		\
		__bpf_fill_u64(__bpf_values, args);				\
		bpf_seq_printf(seq, __bpf_fmt, sizeof(__bpf_fmt),		\
			       __bpf_values, sizeof(__bpf_values));		\
	})

/* snprintf into a buffer; returns the length the full output needs, including the NUL. */
#define BPF_SNPRINTF(out, out_size, fmt, args...)				\
	({									\
		static const char __bpf_fmt[] = fmt;				\
		unsigned long long __bpf_values[__bpf_argc(args)];		\
		__bpf_fill_u64(__bpf_values, args);				\
		bpf_snprintf(out, out_size, __bpf_fmt,				\
			     __bpf_values, sizeof(__bpf_values));		\
	})

/* ---- Open-coded iterators (kfuncs, Linux 6.4+) --------------------------------------------- */

struct bpf_iter_num;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/*
 * The iterator must stay in one stack slot from _new to _destroy (the verifier tracks it there),
 * so it is declared in the for-init and started by the initializer of a second, unused
 * declarator; `cleanup` destroys it on every way out of the loop, break and return included.
 * Naming _destroy in the initializer as well makes clang 14 emit its BTF, which it omits for
 * functions called only through `cleanup` (the loader then fails to resolve the kfunc).
 */
#define bpf_for_each(type, cur, args...)					\
	for (struct bpf_iter_##type __bpf_it					\
		     __attribute__((aligned(8), cleanup(bpf_iter_##type##_destroy))),	\
	     *__bpf_it_started __attribute__((unused)) =			\
		     (bpf_iter_##type##_new(&__bpf_it, ##args),		\
		      (void)bpf_iter_##type##_destroy, (void *)0);	\
	     ((cur) = bpf_iter_##type##_next(&__bpf_it)) != 0;)

/* i takes start, start + 1, ..., end - 1; the range check tells the verifier i's bounds. */
#define bpf_for(i, start, end)							\
	for (struct bpf_iter_num __bpf_it					\
		     __attribute__((aligned(8), cleanup(bpf_iter_num_destroy))),	\
	     *__bpf_it_started __attribute__((unused)) =			\
		     (bpf_iter_num_new(&__bpf_it, (start), (end)),		\
		      (void)bpf_iter_num_destroy, (void *)0);	\
	     ({								\
		     int *__bpf_next = bpf_iter_num_next(&__bpf_it);		\
		     __bpf_next && ((i) = *__bpf_next, (i) >= (start) && (i) < (end)); \
	     });)

/* Runs the body n times. */
#define bpf_repeat(n)								\
	for (struct bpf_iter_num __bpf_it					\
		     __attribute__((aligned(8), cleanup(bpf_iter_num_destroy))),	\
	     *__bpf_it_started __attribute__((unused)) =			\
		     (bpf_iter_num_new(&__bpf_it, 0, (n)),			\
		      (void)bpf_iter_num_destroy, (void *)0);		\
	     bpf_iter_num_next(&__bpf_it);)

#endif /* BPFDEV_BPF_HELPERS_H */
