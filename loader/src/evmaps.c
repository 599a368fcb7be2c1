#include "evmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "util.h"

/* Records per "records" line: big enough that 200k records/s cost a few hundred lines, small
 * enough that a line stays well under a megabyte. */
#define BATCH_RECORDS 512
#define BATCH_BYTES (256 * 1024)
/* Records taken from one ring buffer per wake-up before the loop serves the others. */
#define RINGBUF_BUDGET 8192
#define PERF_DEFAULT_PAGES 64
/* A callback's way to stop ring_buffer__consume() once its budget is spent. */
#define STOP_CONSUMING (-EAGAIN)

static unsigned perf_pages = PERF_DEFAULT_PAGES;

void evmaps_set_perf_pages(unsigned pages)
{
	perf_pages = pages ? pages : PERF_DEFAULT_PAGES;
}

struct evmap {
	const char *name;
	bool is_ringbuf;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	/* The batch being built: JSON array bodies, without brackets. */
	struct event cpus;
	struct event data;
	int pending;
	int budget;
};

struct evmaps {
	struct evmap *maps;
	int count;
};

static const char base64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void append_base64(struct event *out, const unsigned char *in, size_t len)
{
	char chunk[4 * 256];
	size_t i = 0, used = 0;

	json_append_raw(out, "\"", 1);
	while (i < len) {
		unsigned v = (unsigned)in[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;

		if (n > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		chunk[used++] = base64_chars[(v >> 18) & 63];
		chunk[used++] = base64_chars[(v >> 12) & 63];
		chunk[used++] = n > 1 ? base64_chars[(v >> 6) & 63] : '=';
		chunk[used++] = n > 2 ? base64_chars[v & 63] : '=';
		i += n;
		if (used == sizeof(chunk)) {
			json_append_raw(out, chunk, used);
			used = 0;
		}
	}
	json_append_raw(out, chunk, used);
	json_append_raw(out, "\"", 1);
}

static void flush(struct evmap *m)
{
	struct event ev;

	if (m->pending == 0)
		return;
	event_begin(&ev, "records");
	event_str(&ev, "map", m->name);
	json_append_raw(&ev, ",\"cpus\":[", 9);
	json_append_raw(&ev, m->cpus.data, m->cpus.len);
	json_append_raw(&ev, "],\"data\":[", 10);
	json_append_raw(&ev, m->data.data, m->data.len);
	json_append_raw(&ev, "]", 1);
	/* Out of memory in a batch buffer: the event_emit of `ev` reports it. */
	if (m->cpus.out_of_memory || m->data.out_of_memory)
		ev.out_of_memory = true;
	event_emit(&ev);
	m->cpus.len = 0;
	m->data.len = 0;
	m->cpus.out_of_memory = m->data.out_of_memory = false;
	m->pending = 0;
}

static void add_record(struct evmap *m, int cpu, const void *bytes, size_t len)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%s%d", m->pending ? "," : "", cpu);

	json_append_raw(&m->cpus, num, (size_t)n);
	if (m->pending)
		json_append_raw(&m->data, ",", 1);
	append_base64(&m->data, bytes, len);
	if (++m->pending >= BATCH_RECORDS || m->data.len >= BATCH_BYTES)
		flush(m);
}

/* A ring buffer does not say which CPU wrote a record: -1. */
static int on_ringbuf_record(void *ctx, void *data, size_t len)
{
	struct evmap *m = ctx;

	add_record(m, -1, data, len);
	return --m->budget > 0 ? 0 : STOP_CONSUMING;
}

static void on_perf_record(void *ctx, int cpu, void *data, __u32 len)
{
	add_record(ctx, cpu, data, len);
}

static void emit_lost(struct evmap *m, int cpu, unsigned long long count)
{
	struct event ev;

	/* Records already taken come first, so order matches what the kernel saw. */
	flush(m);
	event_begin(&ev, "lost");
	event_str(&ev, "map", m->name);
	if (cpu >= 0)
		event_int(&ev, "cpu", cpu);
	event_int(&ev, "count", (long long)count);
	event_emit(&ev);
}

static void on_perf_lost(void *ctx, int cpu, __u64 count)
{
	emit_lost(ctx, cpu, count);
}

static void pump(void *ctx)
{
	struct evmap *m = ctx;
	int err;

	if (m->is_ringbuf) {
		m->budget = RINGBUF_BUDGET;
		err = ring_buffer__consume(m->rb);
	} else {
		err = perf_buffer__consume(m->pb);
	}
	flush(m);
	(void)err; /* STOP_CONSUMING is the budget; real errors leave the data for the next wake-up */
}

static void emit_unavailable(const char *name, int err, const char *why)
{
	struct event ev;
	char *reason = str_format("%s: %s", why, errno_text(err));

	event_begin(&ev, "events-unavailable");
	event_str(&ev, "map", name);
	event_int(&ev, "errno", err);
	event_str(&ev, "reason", reason);
	event_emit(&ev);
	free(reason);
}

struct evmaps *evmaps_open(struct bpf_object *obj, struct session *s)
{
	struct evmaps *em;
	struct bpf_map *map;
	int count = 0;

	bpf_object__for_each_map(map, obj) {
		enum bpf_map_type type = bpf_map__type(map);

		if (type == BPF_MAP_TYPE_RINGBUF || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			count++;
	}
	if (count == 0)
		return NULL;
	em = calloc(1, sizeof(*em));
	if (!em || !(em->maps = calloc((size_t)count, sizeof(*em->maps)))) {
		free(em);
		return NULL;
	}
	bpf_object__for_each_map(map, obj) {
		enum bpf_map_type type = bpf_map__type(map);
		struct evmap *m = &em->maps[em->count];
		int fd = bpf_map__fd(map), poll_fd;

		if (type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			continue;
		memset(m, 0, sizeof(*m));
		m->name = bpf_map__name(map);
		m->is_ringbuf = type == BPF_MAP_TYPE_RINGBUF;
		/* One reader per map, each its own poll source, so one busy map cannot keep
		 * the loop from the others (ring_buffer__consume stops at the first error). */
		if (m->is_ringbuf) {
			m->rb = ring_buffer__new(fd, on_ringbuf_record, m, NULL);
			if (!m->rb) {
				emit_unavailable(m->name, errno, "cannot read this ring buffer");
				continue;
			}
			poll_fd = ring_buffer__epoll_fd(m->rb);
		} else {
			m->pb = perf_buffer__new(fd, perf_pages, on_perf_record, on_perf_lost, m, NULL);
			if (!m->pb) {
				emit_unavailable(m->name, errno, "cannot open the perf buffers of this perf event array");
				continue;
			}
			poll_fd = perf_buffer__epoll_fd(m->pb);
		}
		if (!session_add_source(s, poll_fd, pump, m)) {
			emit_unavailable(m->name, EMFILE, "too many event maps");
			ring_buffer__free(m->rb);
			perf_buffer__free(m->pb);
			continue;
		}
		em->count++;
	}
	return em;
}

void evmaps_close(struct evmaps *em)
{
	int i;

	if (!em)
		return;
	for (i = 0; i < em->count; i++) {
		struct evmap *m = &em->maps[i];

		if (!out_broken())
			pump(m);
		ring_buffer__free(m->rb);
		perf_buffer__free(m->pb);
		free(m->cpus.data);
		free(m->data.data);
	}
	free(em->maps);
	free(em);
}
