#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modes.h"
#include "output.h"
#include "util.h"

#define BPF_FS_MAGIC_NUMBER 0xcafe4a11

/* "[none] integrity confidentiality" -> "none" */
static bool parse_lockdown(const char *text, char *out, size_t size)
{
	const char *open_bracket = strchr(text, '['), *close_bracket;

	if (!open_bracket || !(close_bracket = strchr(open_bracket, ']')))
		return false;
	snprintf(out, size, "%.*s", (int)(close_bracket - open_bracket - 1), open_bracket + 1);
	return true;
}

static void lockdown_mode(char *out, size_t size)
{
	char text[128];

	if (securityfs_read("lockdown", text, sizeof(text)) && parse_lockdown(text, out, size))
		return;
	snprintf(out, size, "unknown");
}

/* Loads and attaches a do-nothing fentry program: only an actual attach proves that the
 * kernel can build trampolines (loading alone succeeds on some kernels that cannot). */
static bool probe_fentry(char *reason, size_t size)
{
	static const char *const targets[] = { "bpf_fentry_test1", "do_nanosleep" };
	struct bpf_insn return_zero[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vmlinux;
	int id = -1, prog_fd, link_fd;
	size_t i;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		snprintf(reason, size, "no kernel BTF, which fentry needs");
		return false;
	}
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]) && id < 0; i++)
		id = btf__find_by_name_kind(vmlinux, targets[i], BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id < 0) {
		snprintf(reason, size, "no known probe target function in kernel BTF");
		return false;
	}
	{
		LIBBPF_OPTS(bpf_prog_load_opts, load_opts,
			    .expected_attach_type = BPF_TRACE_FENTRY, .attach_btf_id = (__u32)id);

		prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bpfdev_probe", "GPL", return_zero,
					sizeof(return_zero) / sizeof(return_zero[0]), &load_opts);
	}
	if (prog_fd < 0) {
		int err = errno;

		snprintf(reason, size, "loading a trivial fentry program failed: %s (%s)", errno_name(err), errno_text(err));
		return false;
	}
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (link_fd < 0) {
		int err = errno;

		snprintf(reason, size, "attaching a trivial fentry program failed: %s (%s)", errno_name(err), errno_text(err));
		close(prog_fd);
		return false;
	}
	close(link_fd);
	close(prog_fd);
	return true;
}

/* Attach types some program types must be loaded with (the facts libbpf's own probes use). */
static enum bpf_attach_type probe_attach_type(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return BPF_CGROUP_INET4_CONNECT;
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		return BPF_CGROUP_GETSOCKOPT;
	case BPF_PROG_TYPE_SK_LOOKUP:
		return BPF_SK_LOOKUP;
	default:
		return 0;
	}
}

/* True when the verifier refused the call because of the program type (or does not know the
 * helper at all). libbpf 1.1's libbpf_probe_bpf_helper() predates the wording 6.x kernels use
 * ("program of this type cannot use helper"), so it answers "yes" for everything there. */
static bool helper_allowed(enum bpf_prog_type type, int id, char *log, size_t log_size, bool *unknown)
{
	struct bpf_insn call[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = (__u32)log_size, .log_level = 1,
		    .expected_attach_type = probe_attach_type(type),
		    .prog_flags = type == BPF_PROG_TYPE_SYSCALL ? BPF_F_SLEEPABLE : 0);
	int fd;

	log[0] = '\0';
	fd = bpf_prog_load(type, NULL, "GPL", call, sizeof(call) / sizeof(call[0]), &opts);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* "invalid func unknown#N": the kernel has no helper with this id at all. */
	*unknown = strstr(log, "invalid func") != NULL;
	return !strstr(log, "cannot use helper") && !strstr(log, "unknown func") && !*unknown;
}

/* Which helpers each program type may call, as bpftool's feature probe finds out: one tiny load
 * per (type, helper). Rules change with every kernel (6.18 lets XDP call bpf_get_current_comm),
 * so no table could replace this. Types that need an attach target to load at all (tracing, LSM,
 * ext, struct_ops) and types this kernel cannot load are left out: absent means unknown.
 * Appends {"<libbpf type name>":[helper ids...],...}; marks in `unknown` the ids the kernel does
 * not know at all (unlike ids no probed type may call, which tracing types may still call). */
static void probe_helpers(struct event *json, bool unknown[__BPF_FUNC_MAX_ID])
{
	enum bpf_prog_type type;
	const char *name;
	bool first_type = true;
	char log[4096];

	json_append_raw(json, "{", 1);
	for (type = BPF_PROG_TYPE_SOCKET_FILTER; (name = libbpf_bpf_prog_type_str(type)); type++) {
		bool first_id = true;
		char number[16];
		int id;

		if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM || type == BPF_PROG_TYPE_EXT ||
		    type == BPF_PROG_TYPE_STRUCT_OPS || libbpf_probe_bpf_prog_type(type, NULL) != 1)
			continue;
		if (!first_type)
			json_append_raw(json, ",", 1);
		first_type = false;
		json_append_string(json, name, strlen(name));
		json_append_raw(json, ":[", 2);
		for (id = 1; id < __BPF_FUNC_MAX_ID; id++) {
			if (!helper_allowed(type, id, log, sizeof(log), &unknown[id]))
				continue;
			snprintf(number, sizeof(number), "%s%d", first_id ? "" : ",", id);
			json_append_raw(json, number, strlen(number));
			first_id = false;
		}
		json_append_raw(json, "]", 1);
	}
	json_append_raw(json, "}", 1);
}

/* Which program types may call each kfunc: the kernel keeps that in its kfunc ID sets, which it
 * does not export, so ask its verifier as for helpers. It checks the set before the arguments:
 * "calling kernel function X is not allowed" means this type may not; the call instruction in the
 * log means it got past that check. Some kfuncs fail earlier ("metadata kfuncs require
 * device-bound program"): a kfunc with any such unclear verdict is left out (unknown).
 * Appends {"<kfunc>":["<type>",...],...}. */
static void probe_kfuncs(struct event *json)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool first_func = true;
	char log[4096];
	__u32 id, count;

	json_append_raw(json, "{", 1);
	if (!vmlinux) {
		json_append_raw(json, "}", 1);
		return;
	}
	count = btf__type_cnt(vmlinux);
	for (id = 1; id < count; id++) {
		const struct btf_type *tag = btf__type_by_id(vmlinux, id);
		const struct btf_type *func;
		const char *name;
		enum bpf_prog_type type;
		const char *type_name;
		struct event types = { 0 };
		bool clear = true;
		char call_text[160];

		if (!btf_is_decl_tag(tag) || btf_decl_tag(tag)->component_idx != -1 ||
		    strcmp(btf__name_by_offset(vmlinux, tag->name_off), "bpf_kfunc"))
			continue;
		func = btf__type_by_id(vmlinux, tag->type);
		if (!func || !btf_is_func(func))
			continue;
		name = btf__name_by_offset(vmlinux, func->name_off);
		snprintf(call_text, sizeof(call_text), "call %s#", name);
		for (type = BPF_PROG_TYPE_SOCKET_FILTER; (type_name = libbpf_bpf_prog_type_str(type)); type++) {
			struct bpf_insn call[] = {
				{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = (__s32)tag->type },
				{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
				{ .code = BPF_JMP | BPF_EXIT },
			};
			LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1,
				    .expected_attach_type = probe_attach_type(type),
				    .prog_flags = type == BPF_PROG_TYPE_SYSCALL ? BPF_F_SLEEPABLE : 0);
			int fd;

			if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM || type == BPF_PROG_TYPE_EXT ||
			    type == BPF_PROG_TYPE_STRUCT_OPS)
				continue;
			log[0] = '\0';
			fd = bpf_prog_load(type, NULL, "GPL", call, sizeof(call) / sizeof(call[0]), &opts);
			if (fd >= 0) {
				close(fd);
			} else if (strstr(log, "is not allowed")) {
				continue;
			} else if (!strstr(log, call_text)) {
				/* Refused before the check that matters (or the type itself would not load). */
				if (libbpf_probe_bpf_prog_type(type, NULL) == 1)
					clear = false;
				continue;
			}
			json_append_raw(&types, types.len ? "," : "", types.len ? 1 : 0);
			json_append_string(&types, type_name, strlen(type_name));
		}
		if (clear && !types.out_of_memory) {
			if (!first_func)
				json_append_raw(json, ",", 1);
			first_func = false;
			json_append_string(json, name, strlen(name));
			json_append_raw(json, ":[", 2);
			if (types.data)
				json_append_raw(json, types.data, types.len);
			json_append_raw(json, "]", 1);
		}
		free(types.data);
	}
	json_append_raw(json, "}", 1);
	btf__free(vmlinux);
}

int mode_probe(bool calls)
{
	char lockdown[64], fentry_reason[256] = "", value[32], libbpf_version[32];
	const char *tracefs = tracefs_dir();
	struct utsname uts;
	struct statfs fs;
	struct event ev;
	bool fentry;

	uname(&uts);
	lockdown_mode(lockdown, sizeof(lockdown));
	fentry = probe_fentry(fentry_reason, sizeof(fentry_reason));
	snprintf(libbpf_version, sizeof(libbpf_version), "%u.%u", libbpf_major_version(), libbpf_minor_version());

	event_begin(&ev, "probe");
	event_str(&ev, "kernel", uts.release);
	event_str(&ev, "arch", uts.machine);
	event_bool(&ev, "btf", path_exists("/sys/kernel/btf/vmlinux"));
	event_str(&ev, "tracefs", tracefs);
	event_bool(&ev, "bpffs", statfs("/sys/fs/bpf", &fs) == 0 && (unsigned long)fs.f_type == BPF_FS_MAGIC_NUMBER);
	event_bool(&ev, "kprobes", kernel_has_kprobes());
	event_bool(&ev, "uprobes", kernel_has_uprobes());
	event_bool(&ev, "fentry", fentry);
	if (!fentry)
		event_str(&ev, "fentryReason", fentry_reason);
	event_bool(&ev, "bpfLoad", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, NULL) == 1);
	event_str(&ev, "lockdown", lockdown);
	if (read_small_file("/proc/sys/kernel/unprivileged_bpf_disabled", value, sizeof(value)))
		event_int(&ev, "unprivilegedBpfDisabled", atoi(value));
	else
		event_null(&ev, "unprivilegedBpfDisabled");
	event_int(&ev, "euid", geteuid());
	event_str(&ev, "libbpf", libbpf_version);
	event_str(&ev, "loaderVersion", BPFDEV_LOADER_VERSION);
	if (calls && geteuid() == 0) {
		struct event helpers = { 0 }, missing = { 0 };
		bool unknown[__BPF_FUNC_MAX_ID] = { false };
		int id;

		probe_helpers(&helpers, unknown);
		json_append_raw(&missing, "[", 1);
		for (id = 1; id < __BPF_FUNC_MAX_ID; id++) {
			char number[16];

			if (!unknown[id])
				continue;
			snprintf(number, sizeof(number), "%s%d", missing.len > 1 ? "," : "", id);
			json_append_raw(&missing, number, strlen(number));
		}
		json_append_raw(&missing, "]", 1);
		if (!helpers.out_of_memory && helpers.data && !missing.out_of_memory) {
			event_raw(&ev, "helpers", helpers.data);
			event_raw(&ev, "helpersUnknown", missing.data);
			/* Helper ids above this were not asked about: the loader was built against an
			 * older UAPI than the catalog may know. */
			event_int(&ev, "helpersProbedBelow", __BPF_FUNC_MAX_ID);
		}
		free(helpers.data);
		{
			struct event kfuncs = { 0 };

			probe_kfuncs(&kfuncs);
			if (!kfuncs.out_of_memory && kfuncs.data)
				event_raw(&ev, "kfuncTypes", kfuncs.data);
			free(kfuncs.data);
		}
		free(missing.data);
	}
	return event_emit(&ev) == 0 ? 0 : 1;
}
