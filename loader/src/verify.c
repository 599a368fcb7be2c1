#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfscan.h"
#include "fixup.h"
#include "modes.h"
#include "output.h"
#include "util.h"

/* libbpf refused the whole object: its programs are still listed, from the ELF symbols, each
 * with the object's error as its reason, so none goes missing from the report. */
static void report_unopened_programs(const struct load_options *opts, const struct object_error *error)
{
	struct elf_program *programs;
	int count, i;

	if (strcmp(error->code, "no-file") == 0)
		return;
	count = elf_list_programs(opts->path, &programs);
	for (i = 0; i < count; i++) {
		enum bpf_attach_type attach_type = 0;
		enum bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
		struct program_report report = {
			.name = programs[i].name,
			.section = programs[i].section,
			.verdict = "not-loaded",
			.err = error->err,
			.log = "",
			.libbpf_log = error->libbpf_log,
			.insns_processed = -1,
			.code = error->code,
			.reason = error->reason,
		};

		if (libbpf_prog_type_by_name(programs[i].section, &type, &attach_type) == 0) {
			report.prog_type = libbpf_bpf_prog_type_str(type);
			report.attach_type = attach_type ? libbpf_bpf_attach_type_str(attach_type) : NULL;
		}
		if (!report.prog_type)
			report.prog_type = "unknown";
		report.attach_to = section_attach_target(programs[i].section);
		program_report_emit(&report);
		free(report.attach_to);
	}
	elf_programs_free(programs, count);
}

int mode_verify(const struct load_options *opts)
{
	struct object_error error;
	struct bpf_object *obj;
	bool reported_no_btf = false;
	struct program_report *reports;
	bool all_at_once;
	int count, ok = 0, unsupported = 0, i;
	struct event ev;

	obj = object_open(opts, &error);
	if (!obj) {
		object_error_emit(&error);
		report_unopened_programs(opts, &error);
		object_error_free(&error);
		return 1;
	}
	count = object_program_count(obj);
	/* Reported once here; each program's own load below makes the same changes silently. */
	object_prepare(obj, PREPARE_VERIFY, true);
	bpf_object__close(obj);
	object_prepare_release();
	if (count == 0) {
		emit_error("bad-object", 0,
			   "the object contains no BPF programs: put each program in a function marked with SEC(\"...\")",
			   libbpf_capture_text());
		return 1;
	}

	/* When every program loads, one load says so; otherwise each program gets an object of
	 * its own, so one rejection cannot hide the verdict on the others. Parsing the kernel's
	 * BTF dominates a load with CO-RE, so this saves that per program. */
	reports = calloc((size_t)count, sizeof(*reports));
	all_at_once = reports && verify_all_at_once(opts, count, reports);
	for (i = 0; i < count; i++) {
		struct program_report report;

		if (all_at_once)
			report = reports[i];
		else
			verify_program(opts, i, &report);
		if (report_is_permission_failure(&report, &error)) {
			object_error_emit(&error);
			object_error_free(&error);
			program_report_free(&report);
			free(reports);
			return 1;
		}
		if (report.code && strcmp(report.code, "no-btf") == 0 && !reported_no_btf) {
			emit_error("no-btf", report.err, report.reason, report.libbpf_log);
			reported_no_btf = true;
		}
		program_report_emit(&report);
		if (strcmp(report.verdict, "ok") == 0)
			ok++;
		else if (strcmp(report.verdict, "unsupported") == 0)
			unsupported++;
		program_report_free(&report);
		if (out_broken()) {
			free(reports);
			return 1;
		}
	}
	free(reports);

	event_begin(&ev, "done");
	event_int(&ev, "programs", count);
	event_int(&ev, "ok", ok);
	event_int(&ev, "failed", count - ok - unsupported);
	/* What this kernel cannot load is a fact about the kernel, not a failure of the program. */
	event_int(&ev, "unsupported", unsupported);
	event_emit(&ev);
	return ok + unsupported == count ? 0 : 1;
}
