/* SPDX-License-Identifier: MIT */
/*
 * bpfdev's <bpf/bpf_core_read.h>: CO-RE ("compile once, run everywhere") reads and queries.
 *
 * Clang records each field access, type or enumerator wrapped in a __builtin_preserve_* call
 * as a BTF relocation; the loader rewrites the offset, size or answer in the instruction to
 * match the BTF of the kernel the program is loaded into.
 */
#ifndef BPFDEV_BPF_CORE_READ_H
#define BPFDEV_BPF_CORE_READ_H
/* libbpf's include guard too, so a project's own copy of libbpf's header steps aside. */
#define __BPF_CORE_READ_H__

#include "bpf_helpers.h"

/* Second argument of __builtin_preserve_field_info: which fact about the field to relocate. */
enum bpf_field_info_kind {
	BPF_FIELD_BYTE_OFFSET = 0,
	BPF_FIELD_BYTE_SIZE = 1,
	BPF_FIELD_EXISTS = 2,
	BPF_FIELD_SIGNED = 3,
	BPF_FIELD_LSHIFT_U64 = 4,
	BPF_FIELD_RSHIFT_U64 = 5,
};

/* Second argument of __builtin_btf_type_id: the id in the program's BTF or the kernel's. */
enum bpf_type_id_kind {
	BPF_TYPE_ID_LOCAL = 0,
	BPF_TYPE_ID_TARGET = 1,
};

/* Second argument of __builtin_preserve_type_info. */
enum bpf_type_info_kind {
	BPF_TYPE_EXISTS = 0,
	BPF_TYPE_SIZE = 1,
	BPF_TYPE_MATCHES = 2,
};

/* Second argument of __builtin_preserve_enum_value. */
enum bpf_enum_value_kind {
	BPF_ENUMVAL_EXISTS = 0,
	BPF_ENUMVAL_VALUE = 1,
};

/* ---- Field, type and enumerator queries ------------------------------------------------------ */

/*
 * Fields are named either by an access expression, bpf_core_field_exists(task->pid), or by a
 * type and a member path, bpf_core_field_exists(struct task_struct, pid); the latter builds
 * the same access on a null pointer, which is never evaluated.
 */
#define __bpf_field_ref1(access) (access)
#define __bpf_field_ref2(type, member) (((typeof(type) *)0)->member)
#define __bpf_field_ref(args...) __bpf_cat(__bpf_field_ref, __bpf_argc(args))(args)

/* 1 if the field exists in the running kernel's type, else 0. */
#define bpf_core_field_exists(field...) __builtin_preserve_field_info(__bpf_field_ref(field), BPF_FIELD_EXISTS)
/* The field's size in bytes in the running kernel. */
#define bpf_core_field_size(field...) __builtin_preserve_field_info(__bpf_field_ref(field), BPF_FIELD_BYTE_SIZE)
/* The field's byte offset within its struct in the running kernel. */
#define bpf_core_field_offset(field...) __builtin_preserve_field_info(__bpf_field_ref(field), BPF_FIELD_BYTE_OFFSET)

/* The clang builtins take an expression of the type in question: a dereferenced null pointer. */
#define __bpf_type_expr(type) (*(typeof(type) *)0)

/* The type's id in this program's BTF. */
#define bpf_core_type_id_local(type) __builtin_btf_type_id(__bpf_type_expr(type), BPF_TYPE_ID_LOCAL)
/* The id of the matching type in the kernel's BTF (0 if there is none). */
#define bpf_core_type_id_kernel(type) __builtin_btf_type_id(__bpf_type_expr(type), BPF_TYPE_ID_TARGET)
/* 1 if the kernel has a type compatible with this one. */
#define bpf_core_type_exists(type) __builtin_preserve_type_info(__bpf_type_expr(type), BPF_TYPE_EXISTS)
/* 1 if the kernel's type matches this one member for member (needs clang 17+). */
#define bpf_core_type_matches(type) __builtin_preserve_type_info(__bpf_type_expr(type), BPF_TYPE_MATCHES)
/* The kernel type's size in bytes. */
#define bpf_core_type_size(type) __builtin_preserve_type_info(__bpf_type_expr(type), BPF_TYPE_SIZE)

/* The builtin names an enumerator through a dereferenced cast of it to its enum type. */
/* Clang accepts only this exact shape: no parentheses around the cast or the enumerator. */
#define __bpf_enum_expr(enum_type, enumerator) *(typeof(enum_type) *)enumerator
/* 1 if the kernel's enum has this enumerator. */
#define bpf_core_enum_value_exists(enum_type, enumerator)			\
	__builtin_preserve_enum_value(__bpf_enum_expr(enum_type, enumerator), BPF_ENUMVAL_EXISTS)
/* The enumerator's value in the running kernel. */
#define bpf_core_enum_value(enum_type, enumerator)				\
	__builtin_preserve_enum_value(__bpf_enum_expr(enum_type, enumerator), BPF_ENUMVAL_VALUE)

/* One relocated fact about a field: __CORE_RELO(task, pid, BYTE_SIZE). */
#define __CORE_RELO(src, field, info) __builtin_preserve_field_info((src)->field, BPF_FIELD_##info)

/*
 * A kernel pointer of `type`, whose fields the program may then read with plain loads: the
 * bpf_rdonly_cast kfunc (Linux 6.4+) marks the result as that kernel type, read-only.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define bpf_core_cast(ptr, type)						\
	((typeof(type) *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

/* ---- Single reads ---------------------------------------------------------------------------- */

/* bpf_probe_read_* with the source address relocated: src is usually &ptr->field. */
#define bpf_core_read(dst, size, src)						\
	bpf_probe_read_kernel(dst, size, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user(dst, size, src)					\
	bpf_probe_read_user(dst, size, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_str(dst, size, src)					\
	bpf_probe_read_kernel_str(dst, size, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user_str(dst, size, src)					\
	bpf_probe_read_user_str(dst, size, (const void *)__builtin_preserve_access_index(src))

/* ---- Bitfields ------------------------------------------------------------------------------- */

/*
 * A bitfield is read as the byte_size bytes around it, loaded as a zero-extended u64, then
 * shifted left and right by the relocated amounts to isolate (and sign-extend) its bits.
 */
#define __bpf_bitfield_extract(s, field, raw)					\
	({									\
		unsigned long long __bpf_bits = (raw);				\
		__bpf_bits <<= __builtin_preserve_field_info((s)->field, BPF_FIELD_LSHIFT_U64); \
		if (__builtin_preserve_field_info((s)->field, BPF_FIELD_SIGNED))	\
			__bpf_bits = (unsigned long long)((long long)__bpf_bits >>	\
				__builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64)); \
		else								\
			__bpf_bits >>= __builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64); \
		__bpf_bits;							\
	})

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Little endian: n bytes loaded into the low end of a zeroed u64 is its zero extension. */
#define __bpf_u64_tail(value, n) ((void *)&(value))
#else
#define __bpf_u64_tail(value, n) ((void *)((char *)&(value) + 8 - (n)))
#endif

/* Reads a bitfield through bpf_probe_read_kernel: for pointers the verifier does not trust. */
#define BPF_CORE_READ_BITFIELD_PROBED(s, field)					\
	({									\
		unsigned long long __bpf_raw = 0;				\
		unsigned int __bpf_size =					\
			__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_SIZE); \
		bpf_probe_read_kernel(__bpf_u64_tail(__bpf_raw, __bpf_size), __bpf_size, \
			(const char *)(s) +					\
			__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_OFFSET)); \
		__bpf_bitfield_extract(s, field, __bpf_raw);			\
	})

/* Reads a bitfield with a plain load: for pointers the verifier lets the program dereference. */
#define BPF_CORE_READ_BITFIELD(s, field)					\
	({									\
		const void *__bpf_at = (const char *)(s) +			\
			__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_OFFSET); \
		unsigned long long __bpf_raw;					\
		switch (__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_SIZE)) { \
		case 1: __bpf_raw = *(const unsigned char *)__bpf_at; break;	\
		case 2: __bpf_raw = *(const unsigned short *)__bpf_at; break;	\
		case 4: __bpf_raw = *(const unsigned int *)__bpf_at; break;	\
		case 8: __bpf_raw = *(const unsigned long long *)__bpf_at; break; \
		default: __bpf_raw = 0; break;					\
		}								\
		__bpf_bitfield_extract(s, field, __bpf_raw);			\
	})

/* Reads the bitfield into *dst (sized for it), probed: libbpf's helper for the macro above. */
#define __CORE_BITFIELD_PROBE_READ(dst, src, field)				\
	bpf_probe_read_kernel((void *)(dst), __CORE_RELO(src, field, BYTE_SIZE),	\
			      (const char *)(src) + __CORE_RELO(src, field, BYTE_OFFSET))

/*
 * Writes new_val into a bitfield with plain loads and stores, for memory the program may
 * write (a map value, a struct_ops argument the verifier allows). In the zero-extended u64
 * of the field's bytes the field starts at bit (rshift - lshift) and is (64 - rshift) wide.
 */
#define BPF_CORE_WRITE_BITFIELD(s, field, new_val)				\
	({									\
		void *__bpf_at = (char *)(s) + __CORE_RELO(s, field, BYTE_OFFSET); \
		unsigned int __bpf_lshift = __CORE_RELO(s, field, LSHIFT_U64);	\
		unsigned int __bpf_rshift = __CORE_RELO(s, field, RSHIFT_U64);	\
		unsigned long long __bpf_mask = (~0ULL << __bpf_lshift) >> __bpf_rshift; \
		unsigned long long __bpf_value;				\
		__bpf_mask <<= __bpf_rshift - __bpf_lshift;			\
		__bpf_value = ((unsigned long long)(new_val) << (__bpf_rshift - __bpf_lshift)) & __bpf_mask; \
		switch (__CORE_RELO(s, field, BYTE_SIZE)) {			\
		case 1: *(unsigned char *)__bpf_at = (*(unsigned char *)__bpf_at & ~__bpf_mask) | __bpf_value; break; \
		case 2: *(unsigned short *)__bpf_at = (*(unsigned short *)__bpf_at & ~__bpf_mask) | __bpf_value; break; \
		case 4: *(unsigned int *)__bpf_at = (*(unsigned int *)__bpf_at & ~__bpf_mask) | __bpf_value; break; \
		case 8: *(unsigned long long *)__bpf_at = (*(unsigned long long *)__bpf_at & ~__bpf_mask) | __bpf_value; break; \
		}								\
	})

/* ---- Pointer chains ---------------------------------------------------------------------------- */

/* Joins accessors with ->: __bpf_arrow(a, b, c) is a->b->c. */
#define __bpf_arrow(args...) __bpf_cat(__bpf_arrow, __bpf_argc(args))(args)
#define __bpf_arrow1(a) a
#define __bpf_arrow2(a, b) a->b
#define __bpf_arrow3(a, b, c) a->b->c
#define __bpf_arrow4(a, b, c, d) a->b->c->d
#define __bpf_arrow5(a, b, c, d, e) a->b->c->d->e
#define __bpf_arrow6(a, b, c, d, e, f) a->b->c->d->e->f
#define __bpf_arrow7(a, b, c, d, e, f, g) a->b->c->d->e->f->g
#define __bpf_arrow8(a, b, c, d, e, f, g, h) a->b->c->d->e->f->g->h
#define __bpf_arrow9(a, b, c, d, e, f, g, h, i) a->b->c->d->e->f->g->h->i

/*
 * Following src->a->b->c means reading each intermediate pointer into __bpf_hop and reading
 * the last field into dst. `path` is the chain walked so far; typeof((src)->path) gives the
 * type __bpf_hop holds at that point, so each access carries the right struct for relocation.
 * `step` reads a pointer-sized value, `last` reads sizeof(*dst) bytes (or a string).
 */
#define __bpf_walk1(step, last, dst, src, path, x)				\
	last((void *)(dst), sizeof(*(dst)), &((typeof((src)->path))__bpf_hop)->x)
#define __bpf_walk2(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk1(step, last, dst, src, path->x, more)
#define __bpf_walk3(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk2(step, last, dst, src, path->x, more)
#define __bpf_walk4(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk3(step, last, dst, src, path->x, more)
#define __bpf_walk5(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk4(step, last, dst, src, path->x, more)
#define __bpf_walk6(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk5(step, last, dst, src, path->x, more)
#define __bpf_walk7(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk6(step, last, dst, src, path->x, more)
#define __bpf_walk8(step, last, dst, src, path, x, more...)			\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &((typeof((src)->path))__bpf_hop)->x); \
	__bpf_walk7(step, last, dst, src, path->x, more)

/* The first accessor is applied to src itself; the rest walk from there. */
#define __bpf_chain1(step, last, dst, src, a)					\
	last((void *)(dst), sizeof(*(dst)), &(src)->a)
#define __bpf_chain_from(n, step, last, dst, src, a, more...)			\
	const void *__bpf_hop;							\
	step((void *)&__bpf_hop, sizeof(__bpf_hop), &(src)->a);		\
	__bpf_cat(__bpf_walk, n)(step, last, dst, src, a, more)
#define __bpf_chain2(step, last, dst, src, a, more...) __bpf_chain_from(1, step, last, dst, src, a, more)
#define __bpf_chain3(step, last, dst, src, a, more...) __bpf_chain_from(2, step, last, dst, src, a, more)
#define __bpf_chain4(step, last, dst, src, a, more...) __bpf_chain_from(3, step, last, dst, src, a, more)
#define __bpf_chain5(step, last, dst, src, a, more...) __bpf_chain_from(4, step, last, dst, src, a, more)
#define __bpf_chain6(step, last, dst, src, a, more...) __bpf_chain_from(5, step, last, dst, src, a, more)
#define __bpf_chain7(step, last, dst, src, a, more...) __bpf_chain_from(6, step, last, dst, src, a, more)
#define __bpf_chain8(step, last, dst, src, a, more...) __bpf_chain_from(7, step, last, dst, src, a, more)
#define __bpf_chain9(step, last, dst, src, a, more...) __bpf_chain_from(8, step, last, dst, src, a, more)

#define __bpf_read_chain(step, last, dst, src, accessors...)			\
	({ __bpf_cat(__bpf_chain, __bpf_argc(accessors))(step, last, dst, src, accessors); })

/* The final value of a chain, in a variable of the last field's type. */
#define __bpf_chain_value(into, src, accessors...)				\
	({									\
		typeof((src)->__bpf_arrow(accessors)) __bpf_result;		\
		into(&__bpf_result, src, accessors);				\
		__bpf_result;							\
	})

/* Same chains without CO-RE relocation of the accessed addresses. */
#define __bpf_plain_read(dst, size, src) bpf_probe_read_kernel(dst, size, (const void *)(src))
#define __bpf_plain_read_user(dst, size, src) bpf_probe_read_user(dst, size, (const void *)(src))
#define __bpf_plain_read_str(dst, size, src) bpf_probe_read_kernel_str(dst, size, (const void *)(src))
#define __bpf_plain_read_user_str(dst, size, src) bpf_probe_read_user_str(dst, size, (const void *)(src))

/*
 * BPF_CORE_READ_INTO(&dst, src, a, b, c) reads src->a->b->c into dst (up to nine accessors,
 * each of which may itself be a member path like `a.b` or `arr[1]`), relocating every hop.
 * Returns the last read's result: 0 or a negative error.
 */
#define BPF_CORE_READ_INTO(dst, src, a, more...) __bpf_read_chain(bpf_core_read, bpf_core_read, dst, (src), a, ##more)
/* Same, with the last field read as a NUL-terminated string of at most sizeof(*dst) bytes. */
#define BPF_CORE_READ_STR_INTO(dst, src, a, more...) __bpf_read_chain(bpf_core_read, bpf_core_read_str, dst, (src), a, ##more)
/* Same, when the whole chain lives in user memory. */
#define BPF_CORE_READ_USER_INTO(dst, src, a, more...) __bpf_read_chain(bpf_core_read_user, bpf_core_read_user, dst, (src), a, ##more)
#define BPF_CORE_READ_USER_STR_INTO(dst, src, a, more...) __bpf_read_chain(bpf_core_read_user, bpf_core_read_user_str, dst, (src), a, ##more)

#define BPF_PROBE_READ_INTO(dst, src, a, more...) __bpf_read_chain(__bpf_plain_read, __bpf_plain_read, dst, (src), a, ##more)
#define BPF_PROBE_READ_STR_INTO(dst, src, a, more...) __bpf_read_chain(__bpf_plain_read, __bpf_plain_read_str, dst, (src), a, ##more)
#define BPF_PROBE_READ_USER_INTO(dst, src, a, more...) __bpf_read_chain(__bpf_plain_read_user, __bpf_plain_read_user, dst, (src), a, ##more)
#define BPF_PROBE_READ_USER_STR_INTO(dst, src, a, more...) __bpf_read_chain(__bpf_plain_read_user, __bpf_plain_read_user_str, dst, (src), a, ##more)

/* The value of src->a->b->c, read with relocations: BPF_CORE_READ(task, real_parent, tgid). */
#define BPF_CORE_READ(src, a, more...) __bpf_chain_value(BPF_CORE_READ_INTO, (src), a, ##more)
#define BPF_CORE_READ_USER(src, a, more...) __bpf_chain_value(BPF_CORE_READ_USER_INTO, (src), a, ##more)
#define BPF_PROBE_READ(src, a, more...) __bpf_chain_value(BPF_PROBE_READ_INTO, (src), a, ##more)
#define BPF_PROBE_READ_USER(src, a, more...) __bpf_chain_value(BPF_PROBE_READ_USER_INTO, (src), a, ##more)

#endif /* BPFDEV_BPF_CORE_READ_H */
