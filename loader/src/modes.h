#ifndef BPFDEV_MODES_H
#define BPFDEV_MODES_H

#include <stdbool.h>

#include "object.h"

/* Each returns the process exit code. */
int mode_verify(const struct load_options *opts);
int mode_run(const struct load_options *opts, bool trace);
int mode_trace(void);
int mode_probe(bool calls);

#endif
