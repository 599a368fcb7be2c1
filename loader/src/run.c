#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaps.h"
#include "fixup.h"
#include "maps.h"
#include "modes.h"
#include "output.h"
#include "session.h"
#include "stats.h"
#include "util.h"

/* Values of the kernel's enum bpf_attach_type (6.6+), missing from older UAPI headers. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

/* Statistics only; a whole verifier log is fetched by re-verifying if the load fails. */
#define RUN_LOG_SIZE (64 * 1024)
#define LOG_LEVEL_STATS 4


/* Says in words why auto-attach failed: the errno alone rarely tells a user what to do. */
static char *attach_failure_reason(const char *section, const char *target, int err)
{
	static const char *const kprobes[] = { "kprobe", "kretprobe", "ksyscall", "kretsyscall", NULL };
	static const char *const kprobe_multi[] = { "kprobe.multi", "kretprobe.multi", NULL };
	static const char *const uprobes[] = { "uprobe", "uretprobe", "uprobe.s", "uretprobe.s", "usdt", NULL };
	static const char *const tracepoints[] = { "tracepoint", "tp", NULL };
	static const char *const raw_tracepoints[] = { "raw_tracepoint", "raw_tp", "raw_tracepoint.w", "raw_tp.w", NULL };
	static const char *const trampolines[] = { "fentry", "fexit", "fmod_ret", "fentry.s", "fexit.s",
						   "fmod_ret.s", "tp_btf", "freplace", NULL };
	static const char *const lsm[] = { "lsm", "lsm.s", NULL };
	const char *what = target ? target : "?";

	if (section_has_prefix(section, kprobes) || section_has_prefix(section, kprobe_multi)) {
		if (!kernel_has_kprobes())
			return str_format("this kernel has no kprobe support (no /sys/bus/event_source/devices/kprobe and no kprobe_events in tracefs; CONFIG_KPROBES is off): use a tracepoint, raw_tp or fentry program instead");
		if (section_has_prefix(section, kprobe_multi) && (err == EOPNOTSUPP || err == 524))
			return str_format("this kernel does not support kprobe.multi (needs Linux 5.18+ with CONFIG_FPROBE): use one kprobe per function");
		if (err == ENOENT || err == EINVAL || err == ESRCH || err == EADDRNOTAVAIL)
			return str_format("function not found in kernel: '%s' is not in /proc/kallsyms or cannot be probed (inlined and notrace functions cannot be)", what);
	} else if (section_has_prefix(section, uprobes)) {
		if (!kernel_has_uprobes())
			return str_format("this kernel has no uprobe support (no /sys/bus/event_source/devices/uprobe; CONFIG_UPROBES is off)");
		if (!target && err == EOPNOTSUPP)
			return str_format("SEC(\"%s\") names no binary: write it as uprobe/PATH:FUNCTION so the loader can attach it", section);
		if (err == ENOENT || err == ESRCH) {
			const char *last_slash = strrchr(what, '/');
			const char *colon = strchr(last_slash ? last_slash : what, ':');
			char *binary = colon ? strndup(what, (size_t)(colon - what)) : NULL;
			char *reason;

			if (binary && binary[0] && !path_exists(binary))
				reason = str_format("binary '%s' does not exist on the target host", binary);
			else if (binary && binary[0])
				reason = str_format("function '%s' not found in the symbol table of '%s'", colon + 1, binary);
			else
				reason = str_format("binary or function not found: '%s'", what);
			free(binary);
			return reason;
		}
	} else if (section_has_prefix(section, tracepoints)) {
		const char *tracefs = tracefs_dir();

		if (err == ENOENT && !tracefs)
			return str_format("tracefs is not mounted, so tracepoints cannot be found: mount it with 'mount -t tracefs nodev /sys/kernel/tracing'");
		if (err == ENOENT)
			return str_format("no such tracepoint '%s' in this kernel (see %s/events/)", what, tracefs);
	} else if (section_has_prefix(section, raw_tracepoints)) {
		if (err == ENOENT || err == EINVAL)
			return str_format("no such raw tracepoint '%s' in this kernel", what);
	} else if (section_has_prefix(section, trampolines) || section_has_prefix(section, lsm)) {
		if (section_has_prefix(section, lsm) && (err == EINVAL || err == EOPNOTSUPP))
			return str_format("the BPF LSM is not active in this kernel: add 'bpf' to the lsm= boot parameter (CONFIG_BPF_LSM=y is needed too)");
		if (err == 524 || err == EOPNOTSUPP)
			return str_format("this kernel cannot attach BPF trampolines (fentry/fexit/fmod_ret/lsm/tp_btf): it lacks JIT or ftrace direct-call support; use a tracepoint or raw_tp instead");
		if (err == ENOENT || err == ESRCH || err == EINVAL)
			return str_format("attach target '%s' not found in kernel", what);
	}
	if (err == EOPNOTSUPP)
		return str_format("libbpf cannot attach SEC(\"%s\") by itself: this program type attaches to a specific object (network interface, cgroup, socket, map or binary) that the application must name", section);
	if (err == EPERM || err == EACCES)
		return str_format("the kernel did not permit the attach (%s): it needs root, and kernel lockdown can forbid some attach types", errno_name(err));
	if (err == EBUSY || err == EEXIST)
		return str_format("the attach point '%s' is already in use by another program", what);
	return str_format("attach failed: %s", errno_text(err));
}

static unsigned int program_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) < 0)
		return 0;
	return info.id;
}

static const char *prog_type_name(const struct bpf_program *prog)
{
	const char *name = libbpf_bpf_prog_type_str(bpf_program__type(prog));

	return name ? name : "unknown";
}

/* The object failed as a whole: load every program alone, as `verify` does, so the caller
 * learns which ones the verifier refused and why. Marks in `unsupported` the programs this
 * kernel cannot load at all, and returns true when those are the only failures and something
 * else loads: the run can then go on without them. */
static bool report_load_failure(const struct load_options *opts, int count, int err, const char *libbpf_log,
				bool *unsupported, const bool *deselected)
{
	struct object_error error;
	int i, failed = 0, skipped = 0;

	for (i = 0; i < count; i++) {
		struct program_report report;

		if (deselected[i])
			continue;
		verify_program(opts, i, &report);
		if (report_is_permission_failure(&report, &error)) {
			object_error_emit(&error);
			object_error_free(&error);
			program_report_free(&report);
			return false;
		}
		program_report_emit(&report);
		if (strcmp(report.verdict, "unsupported") == 0) {
			unsupported[i] = true;
			skipped++;
		} else if (strcmp(report.verdict, "ok") != 0)
			failed++;
		program_report_free(&report);
	}
	if (failed == 0 && skipped > 0)
		return skipped < count;
	if (failed == 0) {
		char *reason = str_format("every program loads on its own, but the object failed to load as a whole (%s); see libbpfLog",
				      errno_text(err));

		emit_error("other", err, reason, libbpf_log);
		free(reason);
	}
	return false;
}

/* Loads every program of the object together; with `logs`, each program's statistics land
 * in its own buffer (logs[i] may be NULL). The fix-ups are reported on the first try only. */
static int load_whole_object(struct bpf_object *obj, char **logs, bool report_fixups)
{
	struct bpf_program *prog;
	int i = 0, err;

	object_prepare(obj, PREPARE_RUN, report_fixups);
	bpf_object__for_each_program(prog, obj) {
		if (logs && logs[i]) {
			bpf_program__set_log_buf(prog, logs[i], RUN_LOG_SIZE);
			bpf_program__set_log_level(prog, LOG_LEVEL_STATS);
		}
		i++;
	}
	libbpf_capture_reset();
	err = bpf_object__load(obj);
	/* Placeholder inner maps were only templates for creating the outer maps. */
	object_prepare_release();
	return err;
}

static void emit_loaded(const struct bpf_program *prog, const char *log)
{
	char *attach_to = section_attach_target(bpf_program__section_name(prog));
	long long processed = log_insns_processed(log);
	char *stack_depth = log_stack_depth(log);
	struct event ev;

	event_begin(&ev, "loaded");
	event_str(&ev, "name", bpf_program__name(prog));
	event_str(&ev, "section", bpf_program__section_name(prog));
	event_str(&ev, "progType", prog_type_name(prog));
	event_str(&ev, "attachTo", attach_to);
	event_int(&ev, "progId", program_id(prog));
	if (processed >= 0)
		event_int(&ev, "insnsProcessed", processed);
	else
		event_null(&ev, "insnsProcessed");
	event_str(&ev, "stackDepth", stack_depth);
	event_int(&ev, "insnCount", (long long)bpf_program__insn_cnt(prog));
	event_emit(&ev);
	free(attach_to);
	free(stack_depth);
}

/* What one program's attach left to undo. XDP attaches through a link and tc through a tcx
 * link, both owned by an fd, so even kill -9 detaches them; only the legacy tc filter of
 * kernels before 6.6 outlives the process and is removed by detach(). */
struct attachment {
	struct bpf_link *link;
	int link_fd; /* a tcx link (libbpf 1.1 has no bpf_link for it); -1 when none */
	bool legacy_tc;
	bool hook_created; /* we added the clsact qdisc, so we remove it too */
	struct bpf_tc_hook hook;
	struct bpf_tc_opts tc;
};

static bool detach(struct attachment *a)
{
	bool done = false;

	if (a->link)
		done = bpf_link__destroy(a->link) == 0;
	if (a->link_fd >= 0)
		done = close(a->link_fd) == 0;
	if (a->legacy_tc) {
		a->tc.prog_fd = a->tc.prog_id = a->tc.flags = 0;
		done = bpf_tc_detach(&a->hook, &a->tc) == 0;
		if (a->hook_created)
			bpf_tc_hook_destroy(&a->hook);
	}
	a->link = NULL;
	a->link_fd = -1;
	a->legacy_tc = false;
	return done;
}

static bool is_egress(const char *section)
{
	return strstr(section, "egress") != NULL;
}

/* tc: a tcx link where the kernel has them (6.6+), else a classic clsact filter. Returns 0 or
 * a positive errno; `where` says which. */
static int attach_tc(struct bpf_program *prog, int ifindex, bool egress, struct attachment *a, const char **how)
{
	int fd = bpf_link_create(bpf_program__fd(prog), ifindex, egress ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
	int err;

	if (fd >= 0) {
		a->link_fd = fd;
		*how = "tcx";
		return 0;
	}
	/* Kernels without tcx say EINVAL (unknown attach type); anything else is a real refusal. */
	if (errno != EINVAL)
		return errno;
	memset(&a->hook, 0, sizeof(a->hook));
	a->hook.sz = sizeof(a->hook);
	a->hook.ifindex = ifindex;
	a->hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
	err = bpf_tc_hook_create(&a->hook);
	if (err && err != -EEXIST)
		return -err;
	a->hook_created = err == 0;
	memset(&a->tc, 0, sizeof(a->tc));
	a->tc.sz = sizeof(a->tc);
	a->tc.prog_fd = bpf_program__fd(prog);
	err = bpf_tc_attach(&a->hook, &a->tc);
	if (err) {
		if (a->hook_created)
			bpf_tc_hook_destroy(&a->hook);
		return -err;
	}
	a->legacy_tc = true;
	*how = "tc-legacy";
	return 0;
}

static bool attach_program(struct bpf_program *prog, const char *iface, struct attachment *a)
{
	const char *section = bpf_program__section_name(prog);
	enum bpf_prog_type type = bpf_program__type(prog);
	bool on_iface = type == BPF_PROG_TYPE_XDP || type == BPF_PROG_TYPE_SCHED_CLS;
	char *attach_to = section_attach_target(section);
	const char *how = NULL;
	char *reason = NULL;
	struct event ev;
	int err = 0;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	libbpf_capture_reset();
	if (on_iface && !iface) {
		err = EOPNOTSUPP;
		reason = str_format("SEC(\"%s\") attaches to a network interface: name one with --iface IFACE", section);
	} else if (on_iface) {
		int ifindex = (int)if_nametoindex(iface);

		free(attach_to);
		attach_to = str_format("%s%s", iface, type == BPF_PROG_TYPE_XDP ? "" : is_egress(section) ? " egress" : " ingress");
		if (ifindex == 0) {
			err = errno ? errno : ENODEV;
			reason = str_format("no network interface '%s' on this host (see ip link)", iface);
		} else if (type == BPF_PROG_TYPE_XDP) {
			a->link = bpf_program__attach_xdp(prog, ifindex);
			err = a->link ? 0 : (errno ? errno : EINVAL);
			how = "xdp-link";
			if (err == EBUSY || err == EEXIST)
				reason = str_format("'%s' already has an XDP program attached by someone else", iface);
		} else {
			err = attach_tc(prog, ifindex, is_egress(section), a, &how);
		}
	} else {
		a->link = bpf_program__attach(prog);
		err = a->link ? 0 : (errno ? errno : EINVAL);
	}
	if (!err) {
		event_begin(&ev, "attached");
		event_str(&ev, "name", bpf_program__name(prog));
		event_str(&ev, "section", section);
		event_str(&ev, "progType", prog_type_name(prog));
		event_str(&ev, "attachTo", attach_to);
		event_int(&ev, "progId", program_id(prog));
		if (how)
			event_str(&ev, "mode", how);
	} else {
		if (!reason)
			reason = attach_failure_reason(section, attach_to, err);
		event_begin(&ev, "attach-failed");
		event_str(&ev, "name", bpf_program__name(prog));
		event_str(&ev, "section", section);
		event_str(&ev, "progType", prog_type_name(prog));
		event_str(&ev, "attachTo", attach_to);
		event_int(&ev, "errno", err);
		event_str(&ev, "errnoName", errno_name(err));
		event_str(&ev, "reason", reason ? reason : errno_text(err));
		event_str(&ev, "libbpfLog", libbpf_capture_text());
	}
	free(reason);
	event_emit(&ev);
	free(attach_to);
	return err == 0;
}

static bool name_in(const char *name, const char *const *names, int count)
{
	int i;

	for (i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* --only/--skip: the programs left out are not even loaded, as user space does with fallback
 * variants (tp_btf beside raw_tp). Fills `deselected` by index. */
static void apply_selection(struct bpf_object *obj, const struct run_options *run, bool *deselected)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);

		deselected[i] = (run->only_count && !name_in(name, run->only, run->only_count)) ||
				name_in(name, run->skip, run->skip_count);
		if (deselected[i])
			bpf_program__set_autoload(prog, false);
		i++;
	}
}

/* A name in --only/--skip that no program has is a typo: say so with the names there are. */
static bool check_selection(struct bpf_object *obj, const struct run_options *run)
{
	const char *const *lists[2] = { run->only, run->skip };
	int counts[2] = { run->only_count, run->skip_count };
	int l, i;

	for (l = 0; l < 2; l++) {
		for (i = 0; i < counts[l]; i++) {
			struct bpf_program *prog;
			struct event names;
			char *reason;

			if (bpf_object__find_program_by_name(obj, lists[l][i]))
				continue;
			memset(&names, 0, sizeof(names));
			bpf_object__for_each_program(prog, obj) {
				if (names.len)
					json_append_raw(&names, ", ", 2);
				json_append_raw(&names, bpf_program__name(prog), strlen(bpf_program__name(prog)));
			}
			reason = str_format("%s %s: the object has no program of that name; its programs are: %s",
					    l == 0 ? "--only" : "--skip", lists[l][i], names.data ? names.data : "none");
			emit_error("bad-argument", EINVAL, reason, NULL);
			free(reason);
			free(names.data);
			return false;
		}
	}
	return true;
}

int mode_run(const struct load_options *opts, const struct run_options *run)
{
	struct attachment *links = NULL;
	struct evmaps *evmaps = NULL;
	struct stats *stats = NULL;
	bool *deselected = NULL;
	struct object_error error;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct session session;
	char **logs = NULL;
	bool *unsupported = NULL;
	int count, i, err, attached = 0, failed = 0, detached = 0;
	const char *cause;
	struct event ev;

	/* Stop signals are caught from the start: one arriving during load still ends in a
	 * clean exit rather than a half-attached object. */
	if (session_init(&session) < 0) {
		emit_error("other", errno, "cannot set up signal handling", NULL);
		return 1;
	}
	obj = object_open(opts, &error);
	if (!obj) {
		object_error_emit(&error);
		object_error_free(&error);
		session_close(&session);
		return 1;
	}
	count = object_program_count(obj);
	if (count == 0) {
		emit_error("bad-object", 0,
			   "the object contains no BPF programs: put each program in a function marked with SEC(\"...\")",
			   libbpf_capture_text());
		bpf_object__close(obj);
		session_close(&session);
		return 1;
	}
	logs = calloc((size_t)count, sizeof(*logs));
	links = calloc((size_t)count, sizeof(*links));
	deselected = calloc((size_t)count, sizeof(*deselected));
	if (!logs || !links || !deselected) {
		emit_error("other", ENOMEM, "out of memory", NULL);
		bpf_object__close(obj);
		session_close(&session);
		return 1;
	}
	if (!check_selection(obj, run)) {
		bpf_object__close(obj);
		session_close(&session);
		return 1;
	}
	apply_selection(obj, run, deselected);
	for (i = 0; i < count; i++)
		logs[i] = calloc(1, RUN_LOG_SIZE);

	err = load_whole_object(obj, logs, true);
	if (err == -EINVAL) {
		/* Kernels before 5.2 refuse the statistics log level; statistics are a nicety,
		 * so load once more without asking for them. */
		bpf_object__close(obj);
		obj = object_open(opts, &error);
		if (!obj) {
			object_error_emit(&error);
			object_error_free(&error);
			session_close(&session);
			return 1;
		}
		for (i = 0; i < count; i++)
			if (logs[i])
				logs[i][0] = '\0';
		apply_selection(obj, run, deselected);
		err = load_whole_object(obj, NULL, false);
	}
	if (err) {
		char *libbpf_log = strdup(libbpf_capture_text());
		bool retry;

		bpf_object__close(obj);
		obj = NULL;
		unsupported = calloc((size_t)count, sizeof(*unsupported));
		retry = unsupported && report_load_failure(opts, count, err < 0 ? -err : err,
							     libbpf_log ? libbpf_log : "", unsupported, deselected);
		free(libbpf_log);
		/* The rest runs without what this kernel cannot load (reported above). */
		if (retry && (obj = object_open(opts, &error)) == NULL) {
			object_error_emit(&error);
			object_error_free(&error);
		}
		if (obj) {
			apply_selection(obj, run, deselected);
			i = 0;
			bpf_object__for_each_program(prog, obj)
				if (unsupported[i++])
					bpf_program__set_autoload(prog, false);
			for (i = 0; i < count; i++)
				if (logs[i])
					logs[i][0] = '\0';
			err = load_whole_object(obj, logs, false);
			if (err) {
				char *reason = str_format("the object fails to load (%s) even without the programs this kernel cannot load; see libbpfLog",
							  errno_text(err < 0 ? -err : err));

				emit_error("other", err < 0 ? -err : err, reason, libbpf_capture_text());
				free(reason);
				bpf_object__close(obj);
				obj = NULL;
			}
		}
		if (!obj) {
			for (i = 0; i < count; i++)
				free(logs[i]);
			free(logs);
			free(links);
			free(unsupported);
			session_close(&session);
			return 1;
		}
	}

	i = 0;
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__autoload(prog)) {
			emit_loaded(prog, logs[i]);
		} else {
			event_begin(&ev, "skipped");
			event_str(&ev, "name", bpf_program__name(prog));
			event_str(&ev, "section", bpf_program__section_name(prog));
			event_str(&ev, "reason", deselected[i]
				  ? "not loaded: left out by --only/--skip"
				  : unsupported && unsupported[i]
				  ? "not loaded because this kernel cannot load it (its program event says why); the others run"
				  : "not loaded because its SEC() name starts with '?' (autoload off)");
			event_emit(&ev);
		}
		free(logs[i]);
		logs[i++] = NULL;
	}
	free(logs);
	free(unsupported);

	/* trace_pipe and the event maps are opened before attaching so nothing a fresh program
	 * prints or sends is lost (a perf event array drops what comes before its reader). */
	if (run->trace)
		session_open_trace(&session);
	evmaps = evmaps_open(obj, &session);
	if (run->stats) {
		stats = stats_start(obj);
		if (stats)
			session_set_tick(&session, 1000, stats_emit, stats);
	}

	for (i = 0; i < count; i++)
		links[i].link_fd = -1;
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		if (out_stop_requested() || out_broken())
			break;
		if (!bpf_program__autoload(prog)) {
			i++;
			continue;
		}
		if (attach_program(prog, run->iface, &links[i++]))
			attached++;
		else
			failed++;
	}

	event_begin(&ev, "ready");
	event_int(&ev, "pid", getpid());
	event_int(&ev, "attached", attached);
	event_int(&ev, "failed", failed);
	event_emit(&ev);

	/* Commands on stdin ("maps") read this object while it runs. */
	session.on_command = maps_command;
	session.command_ctx = obj;

	/* A stop signal that came while loading is still in the signal pipe: session_wait()
	 * returns at once with its name. */
	if (attached == 0 && !out_stop_requested())
		cause = "nothing-attached";
	else
		cause = session_wait(&session);

	/* Detach before reporting: if stdout is stuck, the programs must be gone anyway. */
	for (i = 0; i < count; i++)
		if (detach(&links[i]))
			detached++;
	free(links);
	free(deselected);
	/* The last records and stats are written within a bound, like the final event. */
	alarm(5);
	evmaps_close(evmaps);
	stats_stop(stats);
	bpf_object__close(obj);
	session_close(&session);

	event_begin(&ev, "detached");
	event_int(&ev, "count", detached);
	event_str(&ev, "cause", cause);
	event_emit(&ev);
	return attached == 0 ? 1 : 0;
}

int mode_trace(void)
{
	struct session session;
	const char *cause;
	struct event ev;

	if (session_init(&session) < 0) {
		emit_error("other", errno, "cannot set up signal handling", NULL);
		return 1;
	}
	if (!session_open_trace(&session)) {
		session_close(&session);
		return 1;
	}
	cause = session_wait(&session);
	session_close(&session);
	event_begin(&ev, "stopped");
	event_str(&ev, "cause", cause);
	event_emit(&ev);
	return 0;
}
