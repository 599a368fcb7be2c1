#include "output.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool stdout_broken;
static volatile sig_atomic_t stop_requested;
/* A write that gave up halfway leaves a partial line; the next event must start afresh. */
static bool line_open;

bool out_broken(void)
{
	return stdout_broken;
}

void out_set_stop_requested(void)
{
	stop_requested = 1;
}

bool out_stop_requested(void)
{
	return stop_requested != 0;
}

int out_write(const void *data, size_t len)
{
	const char *p = data;

	if (stdout_broken)
		return -1;
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			line_open = p[-1] != '\n';
			/* On a blocking stdout a short write means a signal cut in; after a stop
			 * request that is the cue to give up rather than block again. */
			if (len > 0 && stop_requested)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			/* Signals are installed without SA_RESTART exactly so that a reader that
			 * stopped reading cannot keep us from detaching. */
			if (stop_requested)
				return -1;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			/* Someone handed us a non-blocking stdout; wait instead of spinning. */
			struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };

			if (poll(&pfd, 1, -1) < 0 && errno == EINTR && stop_requested)
				return -1;
			continue;
		}
		stdout_broken = true;
		return -1;
	}
	return 0;
}

static void reserve(struct event *ev, size_t extra)
{
	size_t need, cap;
	char *grown;

	if (ev->out_of_memory)
		return;
	need = ev->len + extra + 1;
	if (need <= ev->cap)
		return;
	cap = ev->cap ? ev->cap : 256;
	while (cap < need)
		cap *= 2;
	grown = realloc(ev->data, cap);
	if (!grown) {
		ev->out_of_memory = true;
		return;
	}
	ev->data = grown;
	ev->cap = cap;
}

static void append(struct event *ev, const char *s, size_t n)
{
	reserve(ev, n);
	if (ev->out_of_memory)
		return;
	memcpy(ev->data + ev->len, s, n);
	ev->len += n;
	ev->data[ev->len] = '\0';
}

static void append_cstr(struct event *ev, const char *s)
{
	append(ev, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are not one. */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not valid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_append_string(struct event *ev, const char *value, size_t len)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t i = 0, run_start = 0;
	char esc[8];

	/* Worst case every byte becomes \u00XX; reserving up front keeps the loop cheap
	 * for multi-megabyte verifier logs. */
	reserve(ev, len + 2);
	append(ev, "\"", 1);
	while (i < len) {
		size_t seq = utf8_sequence_length(s + i, len - i);
		const char *replacement = NULL;

		if (seq == 1) {
			switch (s[i]) {
			case '"': replacement = "\\\""; break;
			case '\\': replacement = "\\\\"; break;
			case '\n': replacement = "\\n"; break;
			case '\t': replacement = "\\t"; break;
			case '\r': replacement = "\\r"; break;
			default:
				if (s[i] < 0x20 || s[i] == 0x7f) {
					snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
					replacement = esc;
				}
			}
		} else if (seq == 0) {
			/* Not UTF-8: keep the byte's value visible as the Latin-1 code point. */
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			replacement = esc;
			seq = 1;
		}
		if (replacement) {
			append(ev, (const char *)s + run_start, i - run_start);
			append_cstr(ev, replacement);
			run_start = i + seq;
		}
		i += seq;
	}
	append(ev, (const char *)s + run_start, len - run_start);
	append(ev, "\"", 1);
}

void json_append_raw(struct event *ev, const char *json, size_t len)
{
	append(ev, json, len);
}

static void key(struct event *ev, const char *name)
{
	if (!ev->first_field)
		append(ev, ",", 1);
	ev->first_field = false;
	json_append_string(ev, name, strlen(name));
	append(ev, ":", 1);
}

void event_begin(struct event *ev, const char *name)
{
	memset(ev, 0, sizeof(*ev));
	ev->first_field = true;
	append(ev, "\x1e{", 2);
	event_str(ev, "event", name);
}

void event_strn(struct event *ev, const char *name, const char *value, size_t len)
{
	key(ev, name);
	json_append_string(ev, value, len);
}

void event_str(struct event *ev, const char *name, const char *value)
{
	if (!value) {
		event_null(ev, name);
		return;
	}
	event_strn(ev, name, value, strlen(value));
}

void event_int(struct event *ev, const char *name, long long value)
{
	char num[32];

	key(ev, name);
	snprintf(num, sizeof(num), "%lld", value);
	append_cstr(ev, num);
}

void event_bool(struct event *ev, const char *name, bool value)
{
	key(ev, name);
	append_cstr(ev, value ? "true" : "false");
}

void event_null(struct event *ev, const char *name)
{
	key(ev, name);
	append_cstr(ev, "null");
}

void event_raw(struct event *ev, const char *name, const char *json)
{
	key(ev, name);
	append_cstr(ev, json);
}

void event_finish(struct event *ev)
{
	append(ev, "}\n", 2);
}

bool out_line_open(void)
{
	return line_open;
}

int event_emit(struct event *ev)
{
	static const char oom_line[] =
		"\x1e{\"event\":\"error\",\"code\":\"other\",\"errno\":12,"
		"\"reason\":\"the loader ran out of memory while formatting an event\"}\n";
	int ret;

	event_finish(ev);
	if (line_open && out_write("\n", 1) < 0) {
		free(ev->data);
		return -1;
	}
	if (ev->out_of_memory)
		ret = out_write(oom_line, sizeof(oom_line) - 1);
	else
		ret = out_write(ev->data, ev->len);
	free(ev->data);
	memset(ev, 0, sizeof(*ev));
	return ret;
}
