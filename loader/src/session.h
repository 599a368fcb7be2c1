/* The long-running part of `run` and `trace`: wait for the end of stdin, a signal or a
 * closed stdout, copying trace_pipe to stdout meanwhile. Lines written to stdin are commands
 * (e.g. "maps"); only the end of stdin means "detach". */
#ifndef BPFDEV_SESSION_H
#define BPFDEV_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#define SESSION_COMMAND_MAX 256
#define SESSION_SOURCES_MAX 64

/* Another fd the run waits on (an event map's epoll fd): `ready` is called once per wake-up
 * and must do a bounded amount of work, so no source starves the others or trace_pipe. */
struct session_source {
	int fd;
	void (*ready)(void *ctx);
	void *ctx;
};

struct session {
	int trace_fd; /* -1 when not tracing */
	char *trace_buf;
	size_t trace_pending; /* bytes of an incomplete line kept at the start of trace_buf */
	int signal_pipe[2];
	/* Called with each complete stdin line (without '\n'); NULL answers every command with
	 * a "command-error" event. */
	void (*on_command)(const char *line, void *ctx);
	void *command_ctx;
	char command[SESSION_COMMAND_MAX];
	size_t command_len;
	bool command_too_long; /* the line being read overflowed: drop it at its newline */
	int heartbeat_ms; /* 0: off; else stdin must deliver something at least this often */
	long long last_input_ms;
	struct session_source sources[SESSION_SOURCES_MAX];
	int source_count;
	/* Called every tick_ms while waiting (runtime stats); 0: never. */
	void (*on_tick)(void *ctx);
	void *tick_ctx;
	int tick_ms;
	long long next_tick_ms;
};

/* With a heartbeat, a run also ends when stdin stays silent for SECONDS: a network that died
 * without closing the connection (no FIN, no keepalive reply yet) then detaches as surely as
 * a closed stdin. The caller sends a newline well within the interval. */
void session_set_heartbeat(unsigned seconds);

/* Installs the stop signals (without SA_RESTART) and asks for SIGTERM if our parent dies. */
int session_init(struct session *s);

/* Opens trace_pipe, emitting "tracing", "trace-busy" or "trace-unavailable". Returns true
 * when tracing. */
bool session_open_trace(struct session *s);

/* Runs until stdin ends, a stop signal arrives or stdout goes away. Returns why, as the
 * "cause" reported in the final event (e.g. "stdin-closed", "SIGTERM", "stdout-closed"). */
const char *session_wait(struct session *s);

void session_close(struct session *s);

/* Returns false when the table is full. */
bool session_add_source(struct session *s, int fd, void (*ready)(void *ctx), void *ctx);
void session_set_tick(struct session *s, int ms, void (*tick)(void *ctx), void *ctx);

/* Answers a command that could not be carried out with a "command-error" event. */
void session_command_error(const char *command, const char *reason);

#endif
