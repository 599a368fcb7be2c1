/* Runtime cost of the running programs: while a run is watched, the kernel's BPF run-time
 * statistics are on (BPF_ENABLE_STATS), and a "stats" event reports each program's run count
 * and total run time every second and at exit. */
#ifndef BPFDEV_STATS_H
#define BPFDEV_STATS_H

#include <bpf/libbpf.h>

struct stats;

/* Turns the statistics on for as long as the returned handle lives. The kernel ties that to an
 * fd: however the loader ends, even killed, closing it takes back our request, and a setting
 * someone else made (sysctl kernel.bpf_stats_enabled) stays as it was. On failure a
 * "stats-unavailable" event says why and the run goes on; the handle still reports counts. */
struct stats *stats_start(struct bpf_object *obj);
void stats_emit(void *stats);
/* Emits the last "stats" event and turns our request off. */
void stats_stop(struct stats *stats);

#endif
