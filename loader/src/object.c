#include "object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixup.h"
#include "output.h"
#include "util.h"

#define LOG_SIZE_FIRST (1u << 20)
/* The kernel rejects log buffers of UINT_MAX >> 2 bytes or more with EINVAL. */
#define LOG_SIZE_MAX (UINT_MAX >> 2)

/* Statistics of one accepted program are a few lines. */
#define ALL_AT_ONCE_LOG_SIZE (16 * 1024)

#define LOG_LEVEL_BASIC 1
#define LOG_LEVEL_STATS 4


static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}


/* The first libbpf message line containing `needle`, without the "libbpf: " prefix. */
static char *libbpf_line_with(const char *text, const char *needle)
{
	const char *hit = strstr(text, needle), *start, *end;

	if (!hit)
		return NULL;
	start = hit;
	while (start > text && start[-1] != '\n')
		start--;
	if (strncmp(start, "libbpf: ", 8) == 0)
		start += 8;
	end = strchr(hit, '\n');
	if (!end)
		end = hit + strlen(hit);
	return strndup(start, (size_t)(end - start));
}

/* The last line libbpf printed, as a fallback explanation. */
static char *libbpf_last_line(const char *text)
{
	const char *end = text + strlen(text), *start;

	while (end > text && end[-1] == '\n')
		end--;
	if (end == text)
		return NULL;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	if (strncmp(start, "libbpf: ", 8) == 0 && end - start > 8)
		start += 8;
	return strndup(start, (size_t)(end - start));
}

void emit_error(const char *code, int err, const char *reason, const char *libbpf_log)
{
	struct event ev;

	event_begin(&ev, "error");
	event_str(&ev, "code", code);
	event_int(&ev, "errno", err);
	event_str(&ev, "errnoName", errno_name(err));
	event_str(&ev, "reason", reason);
	if (libbpf_log && libbpf_log[0])
		event_str(&ev, "libbpfLog", libbpf_log);
	event_emit(&ev);
}

void object_error_emit(const struct object_error *error)
{
	emit_error(error->code, error->err, error->reason ? error->reason : "unknown error",
		   error->libbpf_log);
}

void object_error_free(struct object_error *error)
{
	free(error->reason);
	free(error->libbpf_log);
	memset(error, 0, sizeof(*error));
}

static void set_error(struct object_error *error, const char *code, int err, char *reason)
{
	error->code = code;
	error->err = err;
	error->reason = reason;
	error->libbpf_log = xstrdup(libbpf_capture_text());
}

/* Catches the cases we can name precisely before libbpf's generic parse errors. */
static bool check_file(const char *path, struct object_error *error)
{
	unsigned char magic[4];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st) < 0) {
		int err = errno;

		set_error(error, "no-file", err,
			  err == ENOENT ? str_format("%s does not exist on this host; upload the compiled object first", path)
					: str_format("cannot access %s: %s", path, strerror(err)));
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		set_error(error, "bad-object", EISDIR,
			  str_format("%s is a directory; pass the compiled .o file", path));
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		set_error(error, "no-file", err, str_format("cannot read %s: %s", path, strerror(err)));
		return false;
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "\x7f" "ELF", 4) != 0) {
		set_error(error, "bad-object", ENOEXEC,
			  str_format("%s is not an ELF object file; compile the program with clang -target bpf -c", path));
		return false;
	}
	return true;
}

struct bpf_object *object_open(const struct load_options *opts, struct object_error *error)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = opts->btf_path);
	struct bpf_object *obj;
	char *detail;
	int err;

	memset(error, 0, sizeof(*error));
	if (!check_file(opts->path, error))
		return NULL;
	libbpf_capture_reset();
	obj = bpf_object__open_file(opts->path, &open_opts);
	if (obj)
		return obj;
	err = errno;
	if (err == ENOMEM) {
		set_error(error, "other", err, str_format("out of memory while opening %s", opts->path));
		return NULL;
	}
	/* libbpf's own words say what is wrong; its errno (often ENOENT) alone misleads. */
	if ((detail = libbpf_line_with(libbpf_capture_text(), "failed to find BTF for extern"))) {
		set_error(error, "extern", err,
			  str_format("libbpf cannot open the object: it uses an extern symbol without a BTF description, so libbpf cannot tell whether it is a kernel symbol (__ksym), a kernel config value (__kconfig) or a function that was called without being declared (an implicit declaration becomes such an extern) [%s]",
				     detail));
	} else if ((detail = libbpf_line_with(libbpf_capture_text(), "is static and not supported"))) {
		set_error(error, "bad-object", err,
			  str_format("libbpf cannot open the object: a function in a SEC() section is static; BPF programs must be global functions [%s]", detail));
	} else {
		detail = libbpf_last_line(libbpf_capture_text());
		set_error(error, "bad-object", err,
			  str_format("libbpf cannot open %s (%s)%s%s", opts->path, errno_text(err),
				     detail ? ": " : "", detail ? detail : ""));
	}
	free(detail);
	return NULL;
}

int object_program_count(struct bpf_object *obj)
{
	struct bpf_program *prog;
	int count = 0;

	bpf_object__for_each_program(prog, obj)
		count++;
	return count;
}

bool section_has_prefix(const char *section, const char *const *prefixes)
{
	size_t len;

	if (section[0] == '?')
		section++;
	len = strcspn(section, "/");
	for (; *prefixes; prefixes++)
		if (strlen(*prefixes) == len && strncmp(section, *prefixes, len) == 0)
			return true;
	return false;
}

char *section_attach_target(const char *section)
{
	/* Only these SEC() prefixes carry a target after the slash; in e.g. "cgroup/skb" the
	 * suffix is an attach type, not a target. */
	static const char *const with_target[] = {
		"tracepoint", "tp", "raw_tracepoint", "raw_tp", "raw_tracepoint.w", "raw_tp.w",
		"tp_btf", "fentry", "fexit", "fmod_ret", "fentry.s", "fexit.s", "fmod_ret.s",
		"lsm", "lsm.s", "lsm_cgroup", "iter", "iter.s", "kprobe", "kretprobe", "ksyscall",
		"kretsyscall", "kprobe.multi", "kretprobe.multi", "uprobe", "uretprobe",
		"uprobe.s", "uretprobe.s", "usdt", "freplace",
	};
	const char *slash;
	size_t prefix_len, i;

	if (!section)
		return NULL;
	if (section[0] == '?')
		section++;
	slash = strchr(section, '/');
	if (!slash || !slash[1])
		return NULL;
	prefix_len = (size_t)(slash - section);
	for (i = 0; i < sizeof(with_target) / sizeof(with_target[0]); i++)
		if (strlen(with_target[i]) == prefix_len && strncmp(section, with_target[i], prefix_len) == 0)
			return strdup(slash + 1);
	return NULL;
}

static const char *line_after(const char *log, const char *prefix)
{
	const char *found = NULL, *p = log;
	size_t n = strlen(prefix);

	/* Statistics are printed last; the last match wins over any earlier mention. */
	while (p && *p) {
		if (strncmp(p, prefix, n) == 0)
			found = p + n;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return found;
}

long long log_insns_processed(const char *log)
{
	const char *p = line_after(log ? log : "", "processed ");
	char *end;
	long long n;

	if (!p)
		return -1;
	n = strtoll(p, &end, 10);
	if (end == p || strncmp(end, " insns", 6) != 0)
		return -1;
	return n;
}

char *log_stack_depth(const char *log)
{
	const char *p = line_after(log ? log : "", "stack depth ");
	size_t n;

	if (!p)
		return NULL;
	n = strcspn(p, "\n");
	return n ? strndup(p, n) : NULL;
}

bool bpf_load_permitted(void)
{
	static int permitted = -1;

	if (permitted < 0) {
		struct bpf_insn return_zero[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", return_zero, 2, NULL);

		permitted = fd >= 0 || (errno != EPERM && errno != EACCES);
		if (fd >= 0)
			close(fd);
	}
	return permitted;
}

static struct bpf_program *program_at(struct bpf_object *obj, int index)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, obj)
		if (i++ == index)
			return prog;
	return NULL;
}

static const char *const kprobe_sections[] = { "kprobe", "kretprobe", "ksyscall", "kretsyscall",
					       "kprobe.multi", "kretprobe.multi", NULL };
static const char *const uprobe_sections[] = { "uprobe", "uretprobe", "uprobe.s", "uretprobe.s",
					       "uprobe.multi", "uretprobe.multi", "usdt", NULL };

/* The vmlinux BTF id a do-nothing stand-in for the program attaches to: the program's own
 * target, named as the kernel names it for each BTF-attached kind. -1 when there is none. */
static int stand_in_attach_btf_id(const struct program_report *r)
{
	const char *prefix = "";
	static struct btf *vmlinux;
	int kind = BTF_KIND_FUNC, id;
	char *name;

	if (!r->attach_to || strchr(r->attach_to, ':'))
		return -1;
	switch (r->expected_attach) {
	case BPF_TRACE_FENTRY:
	case BPF_TRACE_FEXIT:
	case BPF_MODIFY_RETURN:
		break;
	case BPF_LSM_MAC:
		prefix = "bpf_lsm_";
		break;
	case BPF_TRACE_RAW_TP:
		prefix = "btf_trace_";
		kind = BTF_KIND_TYPEDEF;
		break;
	case BPF_TRACE_ITER:
		prefix = "bpf_iter_";
		break;
	default:
		return -1;
	}
	/* Parsed once per process: every program of an fentry-heavy object asks. */
	if (!vmlinux)
		vmlinux = btf__load_vmlinux_btf();
	name = str_format("%s%s", prefix, r->attach_to);
	id = vmlinux && name ? btf__find_by_name_kind(vmlinux, name, kind) : -1;
	free(name);
	return id;
}

/* Loads a do-nothing program of the same type, attach type, target and flags. Returns 0 when
 * the kernel takes it, the errno when it refuses it before verifying, -1 when that cannot be
 * told (no stand-in possible, or the verifier itself objected to the stand-in). */
static int stand_in_load_errno(const struct program_report *r)
{
	struct bpf_insn return_zero[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[256] = "";
	int fd, err, btf_id = 0;

	switch (r->type) {
	case BPF_PROG_TYPE_UNSPEC:
	case BPF_PROG_TYPE_EXT:
	case BPF_PROG_TYPE_STRUCT_OPS:
		return -1;
	case BPF_PROG_TYPE_TRACING:
	case BPF_PROG_TYPE_LSM:
		if ((btf_id = stand_in_attach_btf_id(r)) < 0)
			return -1;
		break;
	default:
		break;
	}
	{
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = r->expected_attach,
			    .attach_btf_id = (__u32)btf_id, .prog_flags = r->prog_flags,
			    .log_buf = log, .log_size = sizeof(log), .log_level = 1);

		fd = bpf_prog_load(r->type, "bpfdev_standin", "GPL", return_zero, 2, &opts);
	}
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = errno;
	return log[0] ? -1 : err;
}

/* Why the kernel cannot load programs of this kind, as far as it can be told from outside. */
static char *unsupported_reason(const struct program_report *r, int stand_in_err)
{
	const char *what = r->attach_type ? r->attach_type : r->prog_type;
	char *refused, *reason;

	if (stand_in_err > 0)
		refused = str_format("a do-nothing %s program%s%s%s is refused too (%s: %s) before the verifier runs, so the program's code is not the cause",
				     what, r->attach_to ? " on '" : "", r->attach_to ? r->attach_to : "", r->attach_to ? "'" : "",
				     errno_name(stand_in_err), errno_text(stand_in_err));
	else
		refused = str_format("the kernel answers %s (%s) before the verifier runs",
				     errno_name(r->err), errno_text(r->err));
	if (!refused)
		return NULL;
	if (r->type == BPF_PROG_TYPE_LSM) {
		int active = kernel_bpf_lsm_active();

		if (active == 0)
			reason = str_format("the BPF LSM is not active on this kernel ('bpf' is missing from /sys/kernel/security/lsm; add it to the lsm= boot parameter, CONFIG_BPF_LSM=y is needed too): %s", refused);
		else
			reason = str_format("this kernel refuses BPF LSM programs although the BPF LSM is %s: %s",
					    active > 0 ? "active" : "maybe active", refused);
	} else if (r->type == BPF_PROG_TYPE_TRACING &&
		   (r->expected_attach == BPF_TRACE_FENTRY || r->expected_attach == BPF_TRACE_FEXIT ||
		    r->expected_attach == BPF_MODIFY_RETURN)) {
		reason = str_format("this kernel refuses fentry/fexit/fmod_ret programs (they need BPF trampolines): %s; a tracepoint or raw_tp program can observe the same events", refused);
	} else {
		reason = str_format("this kernel cannot load %s programs: %s", what, refused);
	}
	free(refused);
	return reason;
}

static void classify_failure(struct program_report *r)
{
	const char *lb = r->libbpf_log ? r->libbpf_log : "";
	char *line;

	if (strstr(lb, "BPF program load failed")) {
		int stand_in;

		/* libbpf turns an unresolvable CO-RE access into an instruction the verifier
		 * refuses, then names the relocation in the log. */
		if (r->log && (line = libbpf_line_with(r->log, "failed to resolve CO-RE relocation"))) {
			r->verdict = "rejected";
			r->code = "core-relo";
			r->reason = str_format("a CO-RE relocation found no match in the kernel's BTF: the field or type does not exist in this kernel [%s]", line);
			free(line);
			return;
		}
		/* Only a verifier log means the verifier said no. */
		if (r->log && r->log[0]) {
			r->verdict = "rejected";
			return;
		}
		if ((r->err == EPERM || r->err == EACCES) && !bpf_load_permitted()) {
			r->verdict = "not-loaded";
			r->code = "permission";
			r->reason = str_format("the kernel refused to load the program (%s) before verifying it: loading BPF needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)",
					       errno_name(r->err));
			return;
		}
		/* Refused before verification: whether the kernel takes this kind of program at
		 * all is told by a do-nothing program of the same kind, not by the section name. */
		stand_in = stand_in_load_errno(r);
		if (stand_in > 0 || r->err == 524 || r->err == EOPNOTSUPP) {
			r->verdict = "unsupported";
			r->code = "kernel-unsupported";
			r->reason = unsupported_reason(r, stand_in);
			return;
		}
		r->verdict = "not-loaded";
		r->code = "kernel-refused";
		if (r->err == EPERM || r->err == EACCES)
			r->reason = str_format("the kernel refused this program (%s) before verifying it, although a do-nothing program of the same kind loads: kernel lockdown or an LSM forbids something this program uses ('%s')",
					   errno_name(r->err), r->section);
		else
			r->reason = str_format("the kernel refused this program (%s: %s) before verifying it, although a do-nothing program of the same kind loads",
					   errno_name(r->err), errno_text(r->err));
		return;
	}
	if ((line = libbpf_line_with(lb, "failed to find kernel BTF type ID"))) {
		r->verdict = "attach-target-missing";
		r->reason = str_format("'%s' does not exist in this kernel's BTF, so there is nothing to attach to (check the name; the function may be inlined, renamed or absent in this kernel version) [%s]",
				   r->attach_to ? r->attach_to : "?", line);
		free(line);
		return;
	}
	if ((line = libbpf_line_with(lb, "failed to find BPF program (FD")) ||
	    (line = libbpf_line_with(lb, "attach program FD is not set"))) {
		r->verdict = "attach-target-missing";
		r->reason = str_format("this program replaces or extends another BPF program, which must be given at load time [%s]", line);
		free(line);
		return;
	}
	if ((line = libbpf_line_with(lb, "struct_ops init_kern")) && strstr(line, "not found in kernel BTF")) {
		r->verdict = "unsupported";
		r->code = "struct-ops-missing";
		r->reason = str_format("this kernel does not have the struct_ops type this object implements [%s]", line);
		free(line);
		return;
	}
	free(line);

	r->verdict = "not-loaded";
	line = NULL;
	if (strstr(lb, "failed to find valid kernel BTF") || strstr(lb, "Error loading vmlinux BTF")) {
		r->code = "no-btf";
		r->reason = str_format("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing), which CO-RE relocations and BTF-typed programs need: use a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass --btf with a BTF file for this exact kernel");
	} else if ((line = libbpf_line_with(lb, "failed to parse target BTF"))) {
		r->code = "bad-btf";
		r->reason = str_format("the BTF file given with --btf could not be parsed [%s]", line);
	} else if ((line = libbpf_line_with(lb, "missing BPF prog type"))) {
		r->code = "unknown-section";
		r->reason = str_format("libbpf does not know SEC(\"%s\"), and the program's first argument does not name a program type either: use a standard SEC() name such as \"xdp\" or \"tc\" [%s]",
				   r->section, line);
	} else if ((line = libbpf_line_with(lb, "failed to create:"))) {
		const char *hint = "";

		r->code = "map-create";
		if (r->err == E2BIG)
			hint = ": a key, value or max_entries is larger than the kernel allows for this map type";
		else if (r->err == EINVAL)
			hint = ": the map type, flags or sizes are not valid for this kernel";
		else if (r->err == EPERM)
			hint = ": creating maps needs root";
		else if (r->err == ENOMEM)
			hint = ": not enough memory (or memlock limit) for this map";
		r->reason = str_format("a map could not be created, so no program was loaded%s [%s]", hint, line);
	} else if ((line = libbpf_line_with(lb, "CO-RE relocat"))) {
		r->code = "core-relo";
		r->reason = str_format("CO-RE relocation against the kernel's BTF failed [%s]", line);
	} else if ((line = libbpf_line_with(lb, "not found in kernel BTF"))) {
		r->code = "extern";
		r->reason = str_format("the object uses a kernel symbol this kernel does not have [%s]", line);
	} else {
		r->code = "other";
		line = libbpf_last_line(lb);
		r->reason = str_format("libbpf could not prepare the object (%s)%s%s", errno_text(r->err),
				   line ? ": " : "", line ? line : "");
	}
	free(line);
}

/* A program the verifier accepts that can still never run here, because the kernel lacks
 * the event source it attaches to: verify only loads, so this is told from the kernel. */
static void check_attach_facility(struct program_report *r)
{
	if (section_has_prefix(r->section, kprobe_sections) && !kernel_has_kprobes()) {
		r->verdict = "unsupported";
		r->code = "no-kprobes";
		r->reason = str_format("the verifier accepts it, but this kernel has no kprobes (CONFIG_KPROBES is off: no /sys/bus/event_source/devices/kprobe, no kprobe_events in tracefs), so it can never be attached here; a tracepoint or raw_tp program can observe the same events");
	} else if (section_has_prefix(r->section, uprobe_sections) && !kernel_has_uprobes()) {
		r->verdict = "unsupported";
		r->code = "no-uprobes";
		r->reason = str_format("the verifier accepts it, but this kernel has no uprobes (CONFIG_UPROBES is off), so it can never be attached here");
	}
}

/* Fills what a report says about the program itself (not about its load). */
static void describe_program(struct program_report *r, const struct bpf_program *prog)
{
	enum bpf_attach_type attach_type = bpf_program__expected_attach_type(prog);
	const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));

	r->name = xstrdup(bpf_program__name(prog));
	r->section = xstrdup(bpf_program__section_name(prog));
	r->prog_type = type ? type : "unknown";
	r->attach_type = attach_type ? libbpf_bpf_attach_type_str(attach_type) : NULL;
	r->attach_to = section_attach_target(r->section);
	r->insn_count = bpf_program__insn_cnt(prog);
	r->type = bpf_program__type(prog);
	r->expected_attach = attach_type;
	r->prog_flags = bpf_program__flags(prog);
}

struct attempt {
	int err;
	char *log;
	bool truncated;
	char *libbpf_log;
	long long load_time_us;
};

static void attempt_free(struct attempt *a)
{
	free(a->log);
	free(a->libbpf_log);
	memset(a, 0, sizeof(*a));
}

static bool kernel_refused_before_verifying(const struct attempt *a)
{
	return a->err && (!a->log || !a->log[0]) && a->libbpf_log &&
	       strstr(a->libbpf_log, "BPF program load failed");
}

/* One load of program `index` alone at `level`, growing the log buffer while the kernel says
 * it did not fit (ENOSPC), so the caller gets the whole log. */
static void load_attempt(const struct load_options *opts, int index, unsigned int level,
			 struct program_report *r, struct attempt *out)
{
	struct attempt smaller = { 0 };
	size_t size = LOG_SIZE_FIRST;

	memset(out, 0, sizeof(*out));
	for (;;) {
		struct object_error error;
		struct bpf_program *prog, *target;
		struct bpf_object *obj;
		char *buf;
		long long start;
		int err;

		obj = object_open(opts, &error);
		if (!obj) {
			out->err = error.err ? error.err : EINVAL;
			out->libbpf_log = error.libbpf_log;
			error.libbpf_log = NULL;
			object_error_free(&error);
			break;
		}
		object_prepare(obj, PREPARE_VERIFY, false);
		target = program_at(obj, index);
		if (!target) {
			bpf_object__close(obj);
			out->err = ENOENT;
			break;
		}
		bpf_object__for_each_program(prog, obj)
			bpf_program__set_autoload(prog, prog == target);
		if (!r->name)
			describe_program(r, target);
		buf = malloc(size);
		if (!buf) {
			bpf_object__close(obj);
			out->err = ENOMEM;
			break;
		}
		buf[0] = '\0';
		bpf_program__set_log_buf(target, buf, size);
		bpf_program__set_log_level(target, level);
		start = monotonic_us();
		err = bpf_object__load(obj);
		out->load_time_us = monotonic_us() - start;
		bpf_object__close(obj);
		object_prepare_release();
		out->err = err < 0 ? -err : err;
		out->log = buf;
		out->libbpf_log = xstrdup(libbpf_capture_text());

		if (out->err == ENOSPC && buf[0] && size < LOG_SIZE_MAX) {
			attempt_free(&smaller);
			smaller = *out;
			memset(out, 0, sizeof(*out));
			size = size > LOG_SIZE_MAX / 2 ? LOG_SIZE_MAX : size * 2;
			continue;
		}
		/* Older kernels cap the log at 16 MiB and answer EINVAL above it: the last
		 * buffer that worked is the most there is. */
		if (smaller.log && kernel_refused_before_verifying(out)) {
			attempt_free(out);
			*out = smaller;
			memset(&smaller, 0, sizeof(smaller));
		}
		out->truncated = out->err == ENOSPC && out->log[0];
		break;
	}
	attempt_free(&smaller);
}

void verify_program(const struct load_options *opts, int index, struct program_report *r)
{
	unsigned int detail_level = (opts->log_level ? opts->log_level : LOG_LEVEL_BASIC) | LOG_LEVEL_STATS;
	unsigned int level;
	struct attempt a;

	memset(r, 0, sizeof(*r));
	r->insns_processed = -1;
	/* A successful load only needs statistics; a full log of an accepted program can be
	 * huge, so it is requested only when asked for explicitly with --log-level. */
	level = opts->log_level ? detail_level : LOG_LEVEL_STATS;
	load_attempt(opts, index, level, r, &a);
	/* Only a kernel rejection has a verifier log worth a second, detailed pass. */
	if (a.err && level != detail_level && a.log && a.log[0] && a.libbpf_log &&
	    strstr(a.libbpf_log, "BPF program load failed")) {
		attempt_free(&a);
		level = detail_level;
		load_attempt(opts, index, level, r, &a);
	}
	/* Kernels before 5.2 know no statistics level and refuse it with EINVAL. */
	if (kernel_refused_before_verifying(&a) && a.err == EINVAL && (level & LOG_LEVEL_STATS)) {
		attempt_free(&a);
		level &= ~(unsigned int)LOG_LEVEL_STATS;
		if (!level)
			level = LOG_LEVEL_BASIC;
		load_attempt(opts, index, level, r, &a);
	}
	if (!r->name) {
		r->name = str_format("#%d", index);
		r->prog_type = "unknown";
	}
	if (!r->section)
		r->section = strdup("");
	r->err = a.err;
	r->log = a.log ? a.log : strdup("");
	r->log_truncated = a.truncated;
	r->log_level = level;
	r->libbpf_log = a.libbpf_log ? a.libbpf_log : strdup("");
	r->load_time_us = a.load_time_us;
	r->insns_processed = log_insns_processed(r->log);
	r->stack_depth = log_stack_depth(r->log);
	if (a.err == 0) {
		r->verdict = "ok";
		check_attach_facility(r);
	} else {
		classify_failure(r);
	}
}

bool verify_all_at_once(const struct load_options *opts, int count, struct program_report *reports)
{
	struct bpf_object *obj;
	struct object_error error;
	struct bpf_program *prog;
	char **logs;
	long long start, took;
	int i = 0, err;

	if (opts->log_level || count <= 1)
		return false;
	logs = calloc((size_t)count, sizeof(*logs));
	obj = logs ? object_open(opts, &error) : NULL;
	if (!obj) {
		if (logs)
			object_error_free(&error);
		free(logs);
		return false;
	}
	object_prepare(obj, PREPARE_VERIFY, false);
	bpf_object__for_each_program(prog, obj) {
		if (i >= count || !(logs[i] = calloc(1, ALL_AT_ONCE_LOG_SIZE)))
			break;
		/* '?' sections are verified too, as they are one by one. */
		bpf_program__set_autoload(prog, true);
		bpf_program__set_log_buf(prog, logs[i], ALL_AT_ONCE_LOG_SIZE);
		bpf_program__set_log_level(prog, LOG_LEVEL_STATS);
		i++;
	}
	err = i == count ? 0 : -ENOMEM;
	libbpf_capture_reset();
	start = monotonic_us();
	if (!err)
		err = bpf_object__load(obj);
	took = monotonic_us() - start;
	if (!err) {
		i = 0;
		bpf_object__for_each_program(prog, obj) {
			struct program_report *r = &reports[i];

			memset(r, 0, sizeof(*r));
			describe_program(r, prog);
			r->log = logs[i];
			logs[i] = NULL;
			r->log_level = LOG_LEVEL_STATS;
			r->libbpf_log = xstrdup(libbpf_capture_text());
			/* One load for all: each program is charged its share. */
			r->load_time_us = took / count;
			r->insns_processed = log_insns_processed(r->log);
			r->stack_depth = log_stack_depth(r->log);
			r->verdict = "ok";
			check_attach_facility(r);
			i++;
		}
	}
	bpf_object__close(obj);
	object_prepare_release();
	for (i = 0; i < count; i++)
		free(logs[i]);
	free(logs);
	return err == 0;
}

bool report_is_permission_failure(const struct program_report *r, struct object_error *error)
{
	if (r->err != EPERM && r->err != EACCES)
		return false;
	/* EACCES with a log is an ordinary verifier rejection; only an empty log means the
	 * kernel never got as far as verifying. */
	if (r->log && r->log[0])
		return false;
	/* One program type can be forbidden (lockdown, LSM) while others load: only blame
	 * privileges when not even a trivial program loads. */
	if (bpf_load_permitted())
		return false;
	memset(error, 0, sizeof(*error));
	error->code = "permission";
	error->err = r->err;
	error->reason = str_format("the kernel does not allow this user (euid %u) to load BPF programs: run the loader as root or with sudo (it needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)",
			       (unsigned int)geteuid());
	error->libbpf_log = xstrdup(r->libbpf_log);
	return true;
}

void program_report_emit(const struct program_report *r)
{
	struct event ev;

	event_begin(&ev, "program");
	event_str(&ev, "name", r->name);
	event_str(&ev, "section", r->section);
	event_str(&ev, "progType", r->prog_type);
	event_str(&ev, "attachType", r->attach_type);
	event_str(&ev, "attachTo", r->attach_to);
	event_str(&ev, "verdict", r->verdict);
	event_int(&ev, "errno", r->err);
	event_str(&ev, "errnoName", errno_name(r->err));
	if (r->reason)
		event_str(&ev, "reason", r->reason);
	if (r->code)
		event_str(&ev, "code", r->code);
	event_str(&ev, "log", r->log);
	event_bool(&ev, "logTruncated", r->log_truncated);
	event_int(&ev, "logLevel", r->log_level);
	event_str(&ev, "libbpfLog", r->libbpf_log);
	if (r->insns_processed >= 0)
		event_int(&ev, "insnsProcessed", r->insns_processed);
	else
		event_null(&ev, "insnsProcessed");
	event_str(&ev, "stackDepth", r->stack_depth);
	event_int(&ev, "insnCount", (long long)r->insn_count);
	event_int(&ev, "loadTimeUs", r->load_time_us);
	event_emit(&ev);
}

void program_report_free(struct program_report *r)
{
	free(r->name);
	free(r->section);
	free(r->attach_to);
	free(r->log);
	free(r->libbpf_log);
	free(r->stack_depth);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}
