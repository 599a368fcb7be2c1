#include "fixup.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

#define DEFAULT_MAX_ENTRIES 1024
#define DEFAULT_RINGBUF_BYTES (256 * 1024)
/* The kernel's PERF_MAX_STACK_DEPTH: a stack-trace map value holds that many u64 addresses. */
#define STACK_TRACE_DEPTH 127
/* Not in every uapi header this may be built against. */
#define MAP_TYPE_CGRP_STORAGE 32
#define MAX_PLACEHOLDERS 64

static int placeholder_fds[MAX_PLACEHOLDERS];
static int placeholder_count;

struct fixup_ctx {
	enum prepare_mode mode;
	bool emit;
	int count;
};

static void note(struct fixup_ctx *ctx, const char *kind, const char *map, const char *program,
		 long long from, long long to, char *message)
{
	struct event ev;

	ctx->count++;
	if (ctx->emit) {
		event_begin(&ev, "fixup");
		event_str(&ev, "kind", kind);
		event_str(&ev, "map", map);
		event_str(&ev, "program", program);
		if (from >= 0)
			event_int(&ev, "from", from);
		if (to >= 0)
			event_int(&ev, "to", to);
		event_str(&ev, "message", message ? message : kind);
		event_emit(&ev);
	}
	free(message);
}

static const char *map_type_name(enum bpf_map_type type)
{
	const char *name = libbpf_bpf_map_type_str(type);

	return name ? name : "unknown";
}

static bool is_power_of_two(unsigned long long n)
{
	return n && !(n & (n - 1));
}

static bool keeps_max_entries_zero(int type)
{
	/* Local storage is sized by its owners (sockets, tasks, ...): the kernel wants 0. */
	switch (type) {
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
	case BPF_MAP_TYPE_SK_STORAGE:
	case BPF_MAP_TYPE_INODE_STORAGE:
	case BPF_MAP_TYPE_TASK_STORAGE:
	case BPF_MAP_TYPE_STRUCT_OPS:
	case MAP_TYPE_CGRP_STORAGE:
		return true;
	default:
		return false;
	}
}

static void set_key_size(struct fixup_ctx *ctx, struct bpf_map *map, const char *name, __u32 want, const char *why)
{
	__u32 have = bpf_map__key_size(map);

	if (have == want || bpf_map__set_key_size(map, want) < 0)
		return;
	note(ctx, "key-size", name, NULL, have, want,
	     str_format("map '%s' (%s): key size %u -> %u bytes, %s", name, map_type_name(bpf_map__type(map)), have, want, why));
}

static void set_value_size(struct fixup_ctx *ctx, struct bpf_map *map, const char *name, __u32 want, const char *why)
{
	__u32 have = bpf_map__value_size(map);

	if (have == want || bpf_map__set_value_size(map, want) < 0)
		return;
	note(ctx, "value-size", name, NULL, have, want,
	     str_format("map '%s' (%s): value size %u -> %u bytes, %s", name, map_type_name(bpf_map__type(map)), have, want, why));
}

static void set_max_entries(struct fixup_ctx *ctx, struct bpf_map *map, const char *name, __u32 want, const char *kind, const char *why)
{
	__u32 have = bpf_map__max_entries(map);

	if (have == want || bpf_map__set_max_entries(map, want) < 0)
		return;
	note(ctx, kind, name, NULL, have, want,
	     str_format("map '%s' (%s): max_entries %u -> %u, %s", name, map_type_name(bpf_map__type(map)), have, want, why));
}

/* An empty ARRAY stands in for an inner map the object does not describe (no __array(values,
 * ...)): its user space would pass one at run time. */
static void add_placeholder_inner_map(struct fixup_ctx *ctx, struct bpf_map *map, const char *name)
{
	int fd;

	if (placeholder_count >= MAX_PLACEHOLDERS)
		return;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpfdev_inner", sizeof(__u32), sizeof(__u64), 1, NULL);
	if (fd < 0)
		return;
	if (bpf_map__set_inner_map_fd(map, fd) < 0) {
		close(fd);
		return;
	}
	placeholder_fds[placeholder_count++] = fd;
	note(ctx, "inner-map", name, NULL, -1, -1,
	     str_format("map '%s' (%s) declares no inner map (no __array(values, ...)): verified with a placeholder ARRAY of one 8-byte value, as user space would pass one at run time",
			name, map_type_name(bpf_map__type(map))));
}

/* libbpf's setters cannot touch a declared inner map (it belongs to no object), so one that
 * leaves max_entries to user space is replaced by a sized copy created here. */
static void replace_unsized_inner_map(struct fixup_ctx *ctx, struct bpf_map *map, struct bpf_map *inner, const char *name)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = bpf_map__map_flags(inner));
	int fd;

	if (placeholder_count >= MAX_PLACEHOLDERS)
		return;
	fd = bpf_map_create(bpf_map__type(inner), "bpfdev_inner", bpf_map__key_size(inner),
			    bpf_map__value_size(inner), DEFAULT_MAX_ENTRIES, &opts);
	if (fd < 0)
		return;
	if (bpf_map__set_inner_map_fd(map, fd) < 0) {
		close(fd);
		return;
	}
	placeholder_fds[placeholder_count++] = fd;
	note(ctx, "inner-map", name, NULL, 0, DEFAULT_MAX_ENTRIES,
	     str_format("map '%s' (%s): its inner map declares no max_entries: verified with an inner %s of %d entries, a size user space would set",
			name, map_type_name(bpf_map__type(map)), map_type_name(bpf_map__type(inner)), DEFAULT_MAX_ENTRIES));
}

static void fix_map(struct fixup_ctx *ctx, struct bpf_map *map, const char *name)
{
	int type = (int)bpf_map__type(map);
	__u32 max_entries = bpf_map__max_entries(map);
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0)
		page = 4096;
	if (ctx->mode == PREPARE_VERIFY && bpf_map__pin_path(map)) {
		char *message = str_format("map '%s' is pinned at %s: verified without pinning, so no pinned map is reused or left behind",
					   name, bpf_map__pin_path(map));

		if (bpf_map__set_pin_path(map, NULL) == 0)
			note(ctx, "pinning", name, NULL, -1, -1, message);
		else
			free(message);
	}

	switch (type) {
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY: {
		int cpus = libbpf_num_possible_cpus();

		if (max_entries == 0 && cpus > 0)
			set_max_entries(ctx, map, name, (__u32)cpus, "max-entries", "one slot per possible CPU, as libbpf and perf buffers size it");
		/* Slots hold perf event FDs; a value type written for the events sent through it
		 * (cilium/ebpf's style) is not what the kernel stores. */
		set_key_size(ctx, map, name, sizeof(__u32), "the CPU index a perf event array is keyed by");
		set_value_size(ctx, map, name, sizeof(__u32), "the perf event FD each slot holds");
		break;
	}
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF: {
		unsigned long long want = max_entries ? max_entries : DEFAULT_RINGBUF_BYTES;

		if (want < (unsigned long long)page)
			want = (unsigned long long)page;
		while (!is_power_of_two(want))
			want += want & -want; /* round up: add the lowest set bit until one bit remains */
		if (max_entries == 0)
			set_max_entries(ctx, map, name, (__u32)want, "max-entries", "a ring buffer size user space would set");
		else
			set_max_entries(ctx, map, name, (__u32)want, "ringbuf-size", "ring buffer sizes must be a power-of-two multiple of the page size");
		set_key_size(ctx, map, name, 0, "ring buffers have no keys");
		set_value_size(ctx, map, name, 0, "ring buffers have no fixed-size values (the type only documents the records sent)");
		break;
	}
	case BPF_MAP_TYPE_STACK_TRACE:
		if (bpf_map__key_size(map) == 0)
			set_key_size(ctx, map, name, sizeof(__u32), "the stack id a stack-trace map is keyed by");
		if (bpf_map__value_size(map) == 0)
			set_value_size(ctx, map, name, STACK_TRACE_DEPTH * sizeof(__u64), "room for the deepest stack the kernel records (127 frames)");
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS: {
		struct bpf_map *inner = bpf_map__inner_map(map);

		if (!inner)
			add_placeholder_inner_map(ctx, map, name);
		else if (bpf_map__max_entries(inner) == 0)
			replace_unsized_inner_map(ctx, map, inner, name);
		break;
	}
	default:
		break;
	}
	if (bpf_map__max_entries(map) == 0 && !keeps_max_entries_zero(type))
		set_max_entries(ctx, map, name, DEFAULT_MAX_ENTRIES, "max-entries", "a size user space would set before load");
}

/* The context argument's struct names the program type for programs in sections libbpf does
 * not know (as the kernel's bpf_types.h pairs them). __sk_buff takes the most general user. */
static const struct {
	const char *ctx;
	enum bpf_prog_type type;
} ctx_types[] = {
	{ "xdp_md", BPF_PROG_TYPE_XDP },
	{ "__sk_buff", BPF_PROG_TYPE_SCHED_CLS },
	{ "pt_regs", BPF_PROG_TYPE_KPROBE },
	{ "user_pt_regs", BPF_PROG_TYPE_KPROBE },
	{ "bpf_perf_event_data", BPF_PROG_TYPE_PERF_EVENT },
	{ "bpf_raw_tracepoint_args", BPF_PROG_TYPE_RAW_TRACEPOINT },
	{ "bpf_sock", BPF_PROG_TYPE_CGROUP_SOCK },
	{ "bpf_sock_addr", BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ "bpf_sock_ops", BPF_PROG_TYPE_SOCK_OPS },
	{ "sk_msg_md", BPF_PROG_TYPE_SK_MSG },
	{ "bpf_cgroup_dev_ctx", BPF_PROG_TYPE_CGROUP_DEVICE },
	{ "bpf_sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL },
	{ "bpf_sockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT },
	{ "sk_reuseport_md", BPF_PROG_TYPE_SK_REUSEPORT },
	{ "bpf_sk_lookup", BPF_PROG_TYPE_SK_LOOKUP },
};

/* Name of the struct the program's first parameter points to, from the object's BTF. */
static const char *context_struct(const struct btf *btf, const char *program)
{
	const struct btf_type *t;
	const struct btf_param *params;
	__s32 id;

	if (!btf || (id = btf__find_by_name_kind(btf, program, BTF_KIND_FUNC)) < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, (__u32)id)->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return NULL;
	params = btf_params(t);
	t = btf__type_by_id(btf, params[0].type);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !(btf_is_struct(t) || btf_is_union(t)))
		return NULL;
	return btf__name_by_offset(btf, t->name_off);
}

static void fix_program_type(struct fixup_ctx *ctx, struct bpf_object *obj, struct bpf_program *prog)
{
	const char *ctx_name, *name = bpf_program__name(prog);
	size_t i;

	if (bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC)
		return;
	ctx_name = context_struct(bpf_object__btf(obj), name);
	if (!ctx_name)
		return;
	for (i = 0; i < sizeof(ctx_types) / sizeof(ctx_types[0]); i++) {
		if (strcmp(ctx_types[i].ctx, ctx_name) != 0)
			continue;
		if (bpf_program__set_type(prog, ctx_types[i].type) == 0)
			note(ctx, "prog-type", NULL, name, -1, -1,
			     str_format("program '%s': libbpf does not know SEC(\"%s\"), so it was loaded as %s, the type its context argument (struct %s *) belongs to",
					name, bpf_program__section_name(prog), libbpf_bpf_prog_type_str(ctx_types[i].type), ctx_name));
		return;
	}
}

int object_prepare(struct bpf_object *obj, enum prepare_mode mode, bool emit)
{
	struct fixup_ctx ctx = { .mode = mode, .emit = emit };
	struct bpf_program *prog;
	struct bpf_map *map;

	object_prepare_release();
	bpf_object__for_each_map(map, obj)
		fix_map(&ctx, map, bpf_map__name(map));
	bpf_object__for_each_program(prog, obj)
		fix_program_type(&ctx, obj, prog);
	return ctx.count;
}

void object_prepare_release(void)
{
	while (placeholder_count > 0)
		close(placeholder_fds[--placeholder_count]);
}
