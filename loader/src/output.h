/* Event output: one line per event, 0x1e + compact JSON + '\n', written straight to fd 1
 * so event lines and raw trace_pipe lines keep their order and never share a line. */
#ifndef BPFDEV_OUTPUT_H
#define BPFDEV_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define EVENT_MARK '\x1e'

struct event {
	char *data;
	size_t len;
	size_t cap;
	bool out_of_memory;
	bool first_field;
};

/* Starts an event object with its "event" field. */
void event_begin(struct event *ev, const char *name);
void event_str(struct event *ev, const char *key, const char *value); /* NULL -> null */
void event_strn(struct event *ev, const char *key, const char *value, size_t len);
void event_int(struct event *ev, const char *key, long long value);
void event_bool(struct event *ev, const char *key, bool value);
void event_null(struct event *ev, const char *key);
/* Appends an already-encoded JSON value (arrays built by the caller). */
void event_raw(struct event *ev, const char *key, const char *json);
/* Closes the object and adds the newline without writing: for lines prepared in advance. */
void event_finish(struct event *ev);
/* Writes the line and frees the buffer. Returns 0, or -1 when stdout is gone. */
int event_emit(struct event *ev);

/* Appends `value` as a JSON string literal (with quotes) to a growable buffer. */
void json_append_string(struct event *ev, const char *value, size_t len);
/* Appends already-encoded JSON text: nested arrays and objects (the maps dump) are built in a
 * second buffer with these two and attached with event_raw(). */
void json_append_raw(struct event *ev, const char *json, size_t len);

/* Writes bytes to stdout, retrying short writes. Returns 0 or -1 (stdout gone, or given up
 * because a stop was requested while the write was blocked). */
int out_write(const void *data, size_t len);
bool out_broken(void);
/* Set by the signal handler: a write blocked on a slow reader then gives up. */
void out_set_stop_requested(void);
bool out_stop_requested(void);
/* True when a write gave up in the middle of a line. */
bool out_line_open(void);

#endif
