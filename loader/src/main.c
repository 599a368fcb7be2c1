/* bpfdev-loader: verifies, runs and traces BPF objects on a target host for the bpfdev
 * editor tooling. Output is machine-read: see output.h for the line format. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaps.h"
#include "modes.h"
#include "session.h"
#include "output.h"
#include "util.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: bpfdev-loader verify OBJ [--log-level N] [--btf PATH] [--verbose]\n"
	"       bpfdev-loader run OBJ [--trace] [--heartbeat SECONDS] [--btf PATH] [--verbose]\n"
	"                 [--only NAME]... [--skip NAME]... [--iface IFACE] [--perf-pages N] [--no-stats]\n"
	"       bpfdev-loader trace [--heartbeat SECONDS]\n"
	"       bpfdev-loader probe [--calls]\n"
	"       bpfdev-loader --version\n"
	"\n"
	"Events are written to stdout, one per line: byte 0x1e, then a JSON object.\n"
	"run and trace stop when stdin reaches end of file or on SIGTERM/SIGINT/SIGHUP.\n"
	"While run is attached, the stdin line \"maps [MAX_ENTRIES] [btf]\" dumps its maps.\n"
	"run reads every ring buffer and perf event array (\"records\" events) and reports run-time\n"
	"statistics every second (\"stats\" events) unless --no-stats.\n";

/* Prepared before anything can crash, because a crash handler cannot format. */
static struct event crash_event;

static void on_crash(int signo)
{
	if (out_line_open() && write(STDOUT_FILENO, "\n", 1) < 0)
		_exit(1);
	if (crash_event.data && write(STDOUT_FILENO, crash_event.data, crash_event.len) < 0)
		_exit(1);
	signal(signo, SIG_DFL);
	_exit(1);
}

/* libbpf trusts the ELF and BTF it parses: some corrupt objects make it crash. That must
 * still end in an "error" event, never in a silent segfault. Anything attached dies with the
 * process, since nothing is pinned. */
static void install_crash_guard(const char *path)
{
	static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	static char alt_stack[64 * 1024];
	stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack) };
	struct sigaction sa;
	char reason[512];
	size_t i;

	snprintf(reason, sizeof(reason),
		 "libbpf crashed while processing %s, which means the object is corrupt (broken ELF or BTF data): recompile it with clang -target bpf -g -O2 -c",
		 path);
	event_begin(&crash_event, "error");
	event_str(&crash_event, "code", "bad-object");
	event_int(&crash_event, "errno", 0);
	event_str(&crash_event, "reason", reason);
	event_finish(&crash_event);

	/* An overflowing stack (deep recursion on cyclic types) still needs room to report. */
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		sigaction(crash_signals[i], &sa, NULL);
}

static int usage(const char *problem)
{
	if (problem)
		fprintf(stderr, "bpfdev-loader: %s\n", problem);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static bool parse_log_level(const char *text, unsigned int *out)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 0);
	/* Levels 1, 2 and 4 (stats) can be combined; anything else the kernel rejects. */
	if (errno || end == text || *end || value == 0 || value > 7)
		return false;
	*out = (unsigned int)value;
	return true;
}

int main(int argc, char **argv)
{
	struct load_options opts = { 0 };
	struct run_options run = { .stats = true };
	const char *mode;
	bool verbose = false, calls = false;
	int i;

	if (argc < 2)
		return usage(NULL);
	mode = argv[1];
	if (strcmp(mode, "--version") == 0 || strcmp(mode, "version") == 0) {
		printf("bpfdev-loader %s (libbpf %u.%u)\n", BPFDEV_LOADER_VERSION, libbpf_major_version(),
		       libbpf_minor_version());
		return 0;
	}
	if (strcmp(mode, "--help") == 0 || strcmp(mode, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(mode, "verify") && strcmp(mode, "run") && strcmp(mode, "trace") && strcmp(mode, "probe"))
		return usage("unknown mode");

	for (i = 2; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--log-level") == 0 && strcmp(mode, "verify") == 0) {
			if (++i >= argc || !parse_log_level(argv[i], &opts.log_level))
				return usage("--log-level needs a number from 1 to 7");
		} else if (strcmp(arg, "--btf") == 0 && (!strcmp(mode, "verify") || !strcmp(mode, "run"))) {
			if (++i >= argc)
				return usage("--btf needs a path");
			opts.btf_path = argv[i];
		} else if (strcmp(arg, "--trace") == 0 && strcmp(mode, "run") == 0) {
			run.trace = true;
		} else if ((strcmp(arg, "--only") == 0 || strcmp(arg, "--skip") == 0) && strcmp(mode, "run") == 0) {
			bool only = arg[2] == 'o';
			int *count = only ? &run.only_count : &run.skip_count;

			if (++i >= argc || !argv[i][0])
				return usage("--only and --skip need a program name");
			if (*count >= RUN_SELECT_MAX)
				return usage("too many --only/--skip names");
			(only ? run.only : run.skip)[(*count)++] = argv[i];
		} else if (strcmp(arg, "--iface") == 0 && strcmp(mode, "run") == 0) {
			if (++i >= argc || !argv[i][0])
				return usage("--iface needs a network interface name");
			run.iface = argv[i];
		} else if (strcmp(arg, "--perf-pages") == 0 && strcmp(mode, "run") == 0) {
			char *end = NULL;
			unsigned long pages = ++i < argc ? strtoul(argv[i], &end, 10) : 0;

			/* perf_buffer__new wants a power of two. */
			if (!end || *end || pages == 0 || pages > 65536 || (pages & (pages - 1)))
				return usage("--perf-pages needs a power of two from 1 to 65536");
			evmaps_set_perf_pages((unsigned)pages);
		} else if (strcmp(arg, "--no-stats") == 0 && strcmp(mode, "run") == 0) {
			run.stats = false;
		} else if (strcmp(arg, "--heartbeat") == 0 && (!strcmp(mode, "run") || !strcmp(mode, "trace"))) {
			char *end = NULL;
			unsigned long seconds = ++i < argc ? strtoul(argv[i], &end, 10) : 0;

			if (!end || *end || seconds == 0 || seconds > 3600)
				return usage("--heartbeat needs a number of seconds from 1 to 3600");
			session_set_heartbeat((unsigned)seconds);
		} else if (strcmp(arg, "--calls") == 0 && strcmp(mode, "probe") == 0) {
			/* The helper and kfunc tables: thousands of tiny loads, 0.5-4 s, so only when asked. */
			calls = true;
		} else if (strcmp(arg, "--verbose") == 0) {
			verbose = true;
		} else if (arg[0] == '-' || opts.path || !strcmp(mode, "trace") || !strcmp(mode, "probe")) {
			fprintf(stderr, "bpfdev-loader: unexpected argument '%s'\n", arg);
			return usage(NULL);
		} else {
			opts.path = arg;
		}
	}
	if ((!strcmp(mode, "verify") || !strcmp(mode, "run")) && !opts.path)
		return usage("missing the object file");

	if (opts.path)
		install_crash_guard(opts.path);
	libbpf_capture_install(verbose);
	libbpf_capture_echo(verbose);

	if (!strcmp(mode, "verify"))
		return mode_verify(&opts);
	if (!strcmp(mode, "run"))
		return mode_run(&opts, &run);
	if (!strcmp(mode, "trace"))
		return mode_trace();
	return mode_probe(calls);
}
