/* The "maps" command of `run`: a snapshot of the running object's maps, keys and values in
 * hex, so the editor can show live values (it decodes them with the object's own BTF). */
#ifndef BPFDEV_MAPS_H
#define BPFDEV_MAPS_H

#include <bpf/libbpf.h>
#include <stdbool.h>

#define MAPS_DEFAULT_ENTRIES 256
#define MAPS_MAX_ENTRIES 65536

/* Emits one "maps" event with at most `max_entries` entries per map, and with the object's
 * BTF (hex) when `with_btf`. */
void maps_emit(struct bpf_object *obj, unsigned int max_entries, bool with_btf);

/* Carries out a "maps [MAX_ENTRIES] [btf]" command line; anything else gets a "command-error". */
void maps_command(const char *line, void *obj);

#endif
