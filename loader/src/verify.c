#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "modes.h"
#include "output.h"
#include "util.h"

int mode_verify(const struct load_options *opts)
{
	struct object_error error;
	struct bpf_object *obj;
	bool reported_no_btf = false;
	int count, ok = 0, i;
	struct event ev;

	obj = object_open(opts, &error);
	if (!obj) {
		object_error_emit(&error);
		object_error_free(&error);
		return 1;
	}
	count = object_program_count(obj);
	bpf_object__close(obj);
	if (count == 0) {
		emit_error("bad-object", 0,
			   "the object contains no BPF programs: put each program in a function marked with SEC(\"...\")",
			   libbpf_capture_text());
		return 1;
	}

	/* Each program gets an object of its own, so one rejection cannot hide the verdict on
	 * the others. */
	for (i = 0; i < count; i++) {
		struct program_report report;

		verify_program(opts, i, &report);
		if (report_is_permission_failure(&report, &error)) {
			object_error_emit(&error);
			object_error_free(&error);
			program_report_free(&report);
			return 1;
		}
		if (report.code && strcmp(report.code, "no-btf") == 0 && !reported_no_btf) {
			emit_error("no-btf", report.err, report.reason, report.libbpf_log);
			reported_no_btf = true;
		}
		program_report_emit(&report);
		if (strcmp(report.verdict, "ok") == 0)
			ok++;
		program_report_free(&report);
		if (out_broken())
			return 1;
	}

	event_begin(&ev, "done");
	event_int(&ev, "programs", count);
	event_int(&ev, "ok", ok);
	event_int(&ev, "failed", count - ok);
	event_emit(&ev);
	return ok == count ? 0 : 1;
}
