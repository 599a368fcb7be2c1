#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

/* Large reads keep up with chatty programs; a line longer than the spare room is cut. */
#define TRACE_READ_SIZE (256 * 1024)
#define TRACE_PARTIAL_MAX (64 * 1024)
#define FINAL_WRITE_SECONDS 5

static int signal_write_fd = -1;

static void on_stop_signal(int signo)
{
	unsigned char byte = (unsigned char)signo;
	int saved = errno;

	out_set_stop_requested();
	if (write(signal_write_fd, &byte, 1) < 0) {
		/* The pipe is full only if stop signals are already queued: nothing to add. */
	}
	errno = saved;
}

static unsigned heartbeat_seconds;

void session_set_heartbeat(unsigned seconds)
{
	heartbeat_seconds = seconds;
}

static long long monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int session_init(struct session *s)
{
	/* SIGALRM only bounds the final write (see session_close). */
	static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM };
	struct sigaction sa;
	pid_t parent = getppid();
	size_t i;

	memset(s, 0, sizeof(*s));
	s->trace_fd = -1;
	s->heartbeat_ms = (int)heartbeat_seconds * 1000;
	s->last_input_ms = monotonic_ms();
	if (pipe2(s->signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	signal_write_fd = s->signal_pipe[1];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a write blocked on a reader that stopped reading must return so we
	 * can still detach. */
	sa.sa_flags = 0;
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Belt and braces next to stdin EOF: if whoever started us (sudo, sshd's shell, the
	 * editor) dies, we are told too. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		raise(SIGTERM);
	return 0;
}

/* "pid 12 (cat)" for each process holding trace_pipe open, so the user knows what to stop. */
static void describe_trace_readers(char *out, size_t size)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	size_t used = 0;

	out[0] = '\0';
	if (!proc)
		return;
	while ((entry = readdir(proc)) != NULL && used + 64 < size) {
		char fd_dir[300], link[600], target[PATH_MAX];
		struct dirent *fd_entry;
		DIR *fds;
		bool holds = false;

		if (entry->d_name[0] < '1' || entry->d_name[0] > '9' || atoi(entry->d_name) == getpid())
			continue;
		snprintf(fd_dir, sizeof(fd_dir), "/proc/%s/fd", entry->d_name);
		fds = opendir(fd_dir);
		if (!fds)
			continue;
		while (!holds && (fd_entry = readdir(fds)) != NULL) {
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", fd_dir, fd_entry->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			holds = strstr(target, "tracing/trace_pipe") != NULL;
		}
		closedir(fds);
		if (holds) {
			char comm_path[300], comm[64] = "?";
			FILE *f;

			snprintf(comm_path, sizeof(comm_path), "/proc/%s/comm", entry->d_name);
			f = fopen(comm_path, "r");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(f);
			}
			used += (size_t)snprintf(out + used, size - used, "%spid %s (%s)",
						 used ? ", " : "", entry->d_name, comm);
		}
	}
	closedir(proc);
}

static bool tracing_is_on(const char *dir)
{
	char path[PATH_MAX], value[8] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/tracing_on", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* cannot tell; do not cry wolf */
	n = read(fd, value, sizeof(value) - 1);
	close(fd);
	return n <= 0 || value[0] != '0';
}

bool session_open_trace(struct session *s)
{
	const char *dir = tracefs_dir();
	char path[64];
	struct event ev;
	int err;

	if (!dir) {
		event_begin(&ev, "trace-unavailable");
		event_str(&ev, "reason",
			  "tracefs is not mounted, so bpf_printk output cannot be read: mount it with 'mount -t tracefs nodev /sys/kernel/tracing'");
		event_emit(&ev);
		return false;
	}
	snprintf(path, sizeof(path), "%s/trace_pipe", dir);
	s->trace_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->trace_fd < 0) {
		char readers[1024], reason[1400];

		err = errno;
		if (err == EBUSY) {
			describe_trace_readers(readers, sizeof(readers));
			snprintf(reason, sizeof(reason),
				 "another process is reading %s (%s), and the kernel allows only one reader: stop it to see bpf_printk output here; the programs run anyway",
				 path, readers[0] ? readers : "could not tell which");
			event_begin(&ev, "trace-busy");
		} else {
			snprintf(reason, sizeof(reason), "cannot open %s: %s%s", path, strerror(err),
				 err == EACCES || err == EPERM ? " (reading it needs root)" : "");
			event_begin(&ev, "trace-unavailable");
		}
		event_str(&ev, "reason", reason);
		event_str(&ev, "path", path);
		event_int(&ev, "errno", err);
		event_emit(&ev);
		return false;
	}
	s->trace_buf = malloc(TRACE_READ_SIZE + TRACE_PARTIAL_MAX + 1);
	if (!s->trace_buf) {
		close(s->trace_fd);
		s->trace_fd = -1;
		return false;
	}
	event_begin(&ev, "tracing");
	event_str(&ev, "path", path);
	event_bool(&ev, "tracingOn", tracing_is_on(dir));
	if (!tracing_is_on(dir))
		event_str(&ev, "reason", "tracing is switched off (tracing_on is 0), so bpf_printk output is dropped: echo 1 > tracing_on");
	event_emit(&ev);
	return true;
}

/* Writes the complete lines in buf[0..len) and returns how many bytes it consumed. */
static size_t write_trace_lines(char *buf, size_t len)
{
	char *end = memrchr(buf, '\n', len), *line = buf;

	if (!end)
		return 0;
	/* A trace line starting with the event mark would pass for an event. */
	while (line <= end) {
		if (*line == EVENT_MARK)
			*line = '?';
		line = (char *)memchr(line, '\n', (size_t)(end - line) + 1) + 1;
	}
	out_write(buf, (size_t)(end - buf) + 1);
	return (size_t)(end - buf) + 1;
}

static void flush_partial_line(struct session *s)
{
	if (s->trace_pending == 0)
		return;
	s->trace_buf[s->trace_pending++] = '\n';
	write_trace_lines(s->trace_buf, s->trace_pending);
	s->trace_pending = 0;
}

/* Returns false when tracing stopped for good. */
static bool pump_trace(struct session *s)
{
	ssize_t n = read(s->trace_fd, s->trace_buf + s->trace_pending, TRACE_READ_SIZE);
	size_t total, used;

	if (n < 0) {
		struct event ev;

		if (errno == EAGAIN || errno == EINTR)
			return true;
		event_begin(&ev, "trace-unavailable");
		event_str(&ev, "reason", "reading trace_pipe failed; tracing stopped");
		event_int(&ev, "errno", errno);
		event_emit(&ev);
		return false;
	}
	total = s->trace_pending + (size_t)n;
	used = write_trace_lines(s->trace_buf, total);
	memmove(s->trace_buf, s->trace_buf + used, total - used);
	s->trace_pending = total - used;
	if (s->trace_pending > TRACE_PARTIAL_MAX)
		flush_partial_line(s);
	return true;
}

void session_command_error(const char *command, const char *reason)
{
	struct event ev;

	event_begin(&ev, "command-error");
	event_str(&ev, "command", command);
	event_str(&ev, "reason", reason);
	event_emit(&ev);
}

static void run_command(struct session *s, const char *line)
{
	if (line[0] == '\0')
		return;
	if (s->on_command)
		s->on_command(line, s->command_ctx);
	else
		session_command_error(line, "this mode takes no commands; close stdin to stop");
}

/* Splits what stdin delivered into command lines; an over-long line is dropped whole, so a
 * stray stream of bytes cannot be taken for a command by its tail. */
static void feed_commands(struct session *s, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = data[i];

		if (c == '\n') {
			if (s->command_too_long)
				session_command_error("", "command longer than 255 bytes, ignored");
			else {
				if (s->command_len && s->command[s->command_len - 1] == '\r')
					s->command_len--;
				s->command[s->command_len] = '\0';
				run_command(s, s->command);
			}
			s->command_len = 0;
			s->command_too_long = false;
		} else if (s->command_len + 1 < SESSION_COMMAND_MAX) {
			s->command[s->command_len++] = c;
		} else {
			s->command_too_long = true;
		}
	}
}

static const char *signal_cause(int signo)
{
	switch (signo) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	case SIGALRM: return "SIGALRM";
	default: return "signal";
	}
}

bool session_add_source(struct session *s, int fd, void (*ready)(void *ctx), void *ctx)
{
	if (s->source_count >= SESSION_SOURCES_MAX)
		return false;
	s->sources[s->source_count++] = (struct session_source){ .fd = fd, .ready = ready, .ctx = ctx };
	return true;
}

void session_set_tick(struct session *s, int ms, void (*tick)(void *ctx), void *ctx)
{
	s->tick_ms = ms;
	s->on_tick = tick;
	s->tick_ctx = ctx;
	s->next_tick_ms = monotonic_ms() + ms;
}

/* Fixed slots first, then the sources. */
enum { POLL_SIGNAL, POLL_STDIN, POLL_STDOUT, POLL_TRACE, POLL_FIXED };

const char *session_wait(struct session *s)
{
	struct pollfd fds[POLL_FIXED + SESSION_SOURCES_MAX];
	int i;

	for (;;) {
		/* stdout is watched with no events: POLLERR/POLLHUP arrive when its reader is
		 * gone, so a dead consumer ends the run even while nothing is being written.
		 * A negative fd (no trace_pipe) is skipped by poll. */
		nfds_t nfds = POLL_FIXED + (nfds_t)s->source_count;
		int timeout = -1;
		int polled;
		long long now;

		fds[POLL_SIGNAL] = (struct pollfd){ .fd = s->signal_pipe[0], .events = POLLIN };
		fds[POLL_STDIN] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		fds[POLL_STDOUT] = (struct pollfd){ .fd = STDOUT_FILENO, .events = 0 };
		fds[POLL_TRACE] = (struct pollfd){ .fd = s->trace_fd, .events = POLLIN };
		for (i = 0; i < s->source_count; i++)
			fds[POLL_FIXED + i] = (struct pollfd){ .fd = s->sources[i].fd, .events = POLLIN };

		if (out_broken())
			return "stdout-closed";
		now = monotonic_ms();
		if (s->heartbeat_ms) {
			long long silent = now - s->last_input_ms;

			if (silent >= s->heartbeat_ms)
				return "heartbeat-lost";
			timeout = (int)(s->heartbeat_ms - silent);
		}
		if (s->on_tick) {
			if (now >= s->next_tick_ms) {
				s->on_tick(s->tick_ctx);
				s->next_tick_ms = now + s->tick_ms;
			}
			if (timeout < 0 || s->next_tick_ms - now < timeout)
				timeout = (int)(s->next_tick_ms - now);
		}
		polled = poll(fds, nfds, timeout);
		if (polled < 0) {
			if (errno == EINTR)
				continue;
			return "poll-failed";
		}
		if (polled == 0)
			continue;
		if (fds[POLL_SIGNAL].revents) {
			unsigned char signo = 0;

			if (read(s->signal_pipe[0], &signo, 1) == 1)
				return signal_cause(signo);
		}
		if (fds[POLL_STDIN].revents) {
			char input[4096];
			ssize_t n;

			/* A closed or invalid stdin means whoever started us is gone. */
			if (fds[POLL_STDIN].revents & POLLNVAL)
				return "stdin-closed";
			n = read(STDIN_FILENO, input, sizeof(input));
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				return "stdin-closed";
			if (n > 0) {
				s->last_input_ms = monotonic_ms();
				feed_commands(s, input, (size_t)n);
			}
		}
		if (fds[POLL_STDOUT].revents & (POLLERR | POLLHUP | POLLNVAL))
			return "stdout-closed";
		if (s->trace_fd >= 0 && fds[POLL_TRACE].revents) {
			if (!pump_trace(s)) {
				close(s->trace_fd);
				s->trace_fd = -1;
			}
		}
		/* One bounded helping each: a ring buffer filled faster than we drain it waits
		 * its turn behind trace_pipe and stdin instead of taking the whole loop. */
		for (i = 0; i < s->source_count; i++)
			if (fds[POLL_FIXED + i].revents)
				s->sources[i].ready(s->sources[i].ctx);
	}
}

void session_close(struct session *s)
{
	/* What is left to write are the last events; if the reader stopped reading, give up on
	 * them after a while instead of hanging around with everything already detached. */
	alarm(FINAL_WRITE_SECONDS);
	if (s->trace_fd >= 0) {
		flush_partial_line(s);
		close(s->trace_fd);
	}
	free(s->trace_buf);
	close(s->signal_pipe[0]);
	close(s->signal_pipe[1]);
	signal_write_fd = -1;
	s->trace_fd = -1;
	s->trace_buf = NULL;
}
