/* What a project's own user space sets on an object between open and load (map sizes, inner
 * maps, program types), set here instead so the object's programs can be loaded as they would
 * be in production. Each change is reported as a "fixup" event. */
#ifndef BPFDEV_FIXUP_H
#define BPFDEV_FIXUP_H

#include <bpf/libbpf.h>
#include <stdbool.h>

enum prepare_mode {
	/* Everything that lets the programs load, including not pinning maps: a verification
	 * must neither reuse nor leave behind files in /sys/fs/bpf. */
	PREPARE_VERIFY,
	/* Only what the program needs to run: pins are the user's to keep. */
	PREPARE_RUN,
};

/* Applies the fix-ups to a freshly opened object; with `emit`, writes one "fixup" event per
 * change. Returns the number of changes. Call object_prepare_release() after closing it. */
int object_prepare(struct bpf_object *obj, enum prepare_mode mode, bool emit);

/* Closes the placeholder inner maps the last object_prepare() created. */
void object_prepare_release(void);

#endif
