/* Opening BPF objects and loading their programs, shared by `verify` and `run`. */
#ifndef BPFDEV_OBJECT_H
#define BPFDEV_OBJECT_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>

struct load_options {
	const char *path;
	/* --btf: kernel BTF to relocate against instead of /sys/kernel/btf/vmlinux. */
	const char *btf_path;
	/* --log-level: verifier log level for the detailed pass; 0 means 1 (plus stats). */
	unsigned int log_level;
};

struct program_report {
	char *name;
	char *section;
	const char *prog_type;
	const char *attach_type;
	char *attach_to;
	enum bpf_prog_type type;
	enum bpf_attach_type expected_attach;
	__u32 prog_flags;
	const char *verdict; /* ok | rejected | unsupported | attach-target-missing | not-loaded */
	int err;             /* positive errno, 0 on success */
	char *log;           /* verifier log */
	bool log_truncated;
	unsigned int log_level;
	char *libbpf_log;
	long long insns_processed; /* -1 when the log has no stats */
	char *stack_depth;
	size_t insn_count;
	long long load_time_us;
	const char *code; /* for not-loaded and unsupported: no-btf, map-create, core-relo, ... */
	char *reason;
};

/* Object-level failure, as reported in an "error" event. */
struct object_error {
	const char *code; /* no-file | bad-object | permission | no-btf | other */
	int err;
	char *reason;
	char *libbpf_log;
};

void object_error_emit(const struct object_error *error);
void object_error_free(struct object_error *error);
/* Emits an "error" event built from its parts. */
void emit_error(const char *code, int err, const char *reason, const char *libbpf_log);

/* Checks the file and opens it with libbpf. NULL on failure, with *error filled in. */
struct bpf_object *object_open(const struct load_options *opts, struct object_error *error);

int object_program_count(struct bpf_object *obj);

/* Whether the SEC() name's prefix (before any '/') is one of the NULL-terminated `prefixes`. */
bool section_has_prefix(const char *section, const char *const *prefixes);

/* The part of a SEC() name that names what the program attaches to, or NULL. Caller frees. */
char *section_attach_target(const char *section);

/* The quick path for objects whose programs all load: one load of the whole object, and
 * `count` reports filled in. False (reports untouched) when anything fails: then each program
 * is loaded on its own, so a failure is told apart from the others. */
bool verify_all_at_once(const struct load_options *opts, int count, struct program_report *reports);

/* Loads program `index` of the object on its own and reports how it went. */
void verify_program(const struct load_options *opts, int index, struct program_report *report);
void program_report_emit(const struct program_report *report);
void program_report_free(struct program_report *report);

/* If a failed load was refused for lack of privilege rather than by the verifier, fills
 * *error with a "permission" error and returns true. */
bool report_is_permission_failure(const struct program_report *report, struct object_error *error);

/* Whether this process may load BPF programs at all (a trivial socket filter loads). */
bool bpf_load_permitted(void);

/* Parses verifier statistics ("processed N insns", "stack depth A+B") out of a log. */
long long log_insns_processed(const char *log);
char *log_stack_depth(const char *log);

#endif
