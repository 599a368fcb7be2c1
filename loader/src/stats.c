#include "stats.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

struct stats {
	struct bpf_object *obj;
	int enable_fd; /* -1 when the kernel refused */
};

struct stats *stats_start(struct bpf_object *obj)
{
	struct stats *st = calloc(1, sizeof(*st));
	struct event ev;

	if (!st)
		return NULL;
	st->obj = obj;
	st->enable_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (st->enable_fd < 0) {
		int err = errno;
		char *reason = str_format("cannot turn on BPF run-time statistics (BPF_ENABLE_STATS needs Linux 5.8+ and CAP_SYS_ADMIN): %s; run counts stay 0 unless sysctl kernel.bpf_stats_enabled is 1",
					  errno_text(err));

		event_begin(&ev, "stats-unavailable");
		event_int(&ev, "errno", err);
		event_str(&ev, "reason", reason);
		event_emit(&ev);
		free(reason);
	}
	return st;
}

void stats_emit(void *ctx)
{
	struct stats *st = ctx;
	struct bpf_program *prog;
	struct event ev, list;
	bool first = true;

	memset(&list, 0, sizeof(list));
	json_append_raw(&list, "[", 1);
	bpf_object__for_each_program(prog, st->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		char num[128];
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			continue;
		json_append_raw(&list, first ? "{\"name\":" : ",{\"name\":", first ? 8 : 9);
		json_append_string(&list, bpf_program__name(prog), strlen(bpf_program__name(prog)));
		snprintf(num, sizeof(num), ",\"id\":%u,\"runCount\":%llu,\"runTimeNs\":%llu}", info.id,
			 (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
		json_append_raw(&list, num, strlen(num));
		first = false;
	}
	json_append_raw(&list, "]", 1);
	event_begin(&ev, "stats");
	event_raw(&ev, "programs", list.out_of_memory ? "[]" : list.data);
	event_emit(&ev);
	free(list.data);
}

void stats_stop(struct stats *st)
{
	if (!st)
		return;
	if (!out_broken())
		stats_emit(st);
	if (st->enable_fd >= 0)
		close(st->enable_fd);
	free(st);
}
