/* The event maps of `run`: every ring buffer and perf event array of the object is read while
 * the programs run, and what they carry goes to stdout as batched "records" events (base64 of
 * each record), with "lost" events for what the kernel could not deliver. See loader/README.md. */
#ifndef BPFDEV_EVMAPS_H
#define BPFDEV_EVMAPS_H

#include <bpf/libbpf.h>
#include <stdbool.h>

#include "session.h"

/* Per-CPU pages of each perf event array's buffer (power of two); 0 takes the default. */
void evmaps_set_perf_pages(unsigned pages);

struct evmaps;

/* Opens a reader on each event map of the loaded object and registers it with the session,
 * emitting "events-unavailable" for a map that cannot be read. NULL when the object has none. */
struct evmaps *evmaps_open(struct bpf_object *obj, struct session *s);

/* Reads what is left (the last records before detach) and frees everything. */
void evmaps_close(struct evmaps *em);

#endif
