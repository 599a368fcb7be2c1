#ifndef BPFDEV_MODES_H
#define BPFDEV_MODES_H

#include <stdbool.h>

#include "object.h"

#define RUN_SELECT_MAX 64

struct run_options {
	bool trace;
	bool stats; /* turn on BPF run-time statistics and report them */
	/* --only / --skip: program names; with any --only, every other program is off. */
	const char *only[RUN_SELECT_MAX];
	int only_count;
	const char *skip[RUN_SELECT_MAX];
	int skip_count;
	/* --iface: where XDP and tc programs attach (NULL: they cannot). */
	const char *iface;
};

/* Each returns the process exit code. */
int mode_verify(const struct load_options *opts);
int mode_run(const struct load_options *opts, const struct run_options *run);
int mode_trace(void);
int mode_probe(bool calls);

#endif
