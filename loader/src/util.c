#include "util.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRACEFS_MAGIC_NUMBER 0x74726163

/* Values the kernel can return to user space that glibc has no name for. */
static const struct {
	int err;
	const char *name;
	const char *text;
} extra_errnos[] = {
	{ 512, "ERESTARTSYS", "interrupted, restart system call" },
	{ 514, "ERESTARTNOHAND", "interrupted, restart if no handler" },
	{ 515, "ENOIOCTLCMD", "no ioctl command" },
	{ 524, "ENOTSUPP", "operation not supported by this kernel (ENOTSUPP)" },
	{ LIBBPF_ERRNO__LIBELF, "LIBBPF_ERRNO__LIBELF", "libelf error" },
	{ LIBBPF_ERRNO__FORMAT, "LIBBPF_ERRNO__FORMAT", "not a valid BPF object file" },
	{ LIBBPF_ERRNO__KVERSION, "LIBBPF_ERRNO__KVERSION", "kernel version section missing or wrong" },
	{ LIBBPF_ERRNO__ENDIAN, "LIBBPF_ERRNO__ENDIAN", "object endianness does not match this host" },
	{ LIBBPF_ERRNO__INTERNAL, "LIBBPF_ERRNO__INTERNAL", "internal libbpf error" },
	{ LIBBPF_ERRNO__RELOC, "LIBBPF_ERRNO__RELOC", "relocation failed" },
	{ LIBBPF_ERRNO__LOAD, "LIBBPF_ERRNO__LOAD", "program load failed" },
	{ LIBBPF_ERRNO__VERIFY, "LIBBPF_ERRNO__VERIFY", "rejected by the kernel verifier" },
	{ LIBBPF_ERRNO__PROG2BIG, "LIBBPF_ERRNO__PROG2BIG", "program too big" },
	{ LIBBPF_ERRNO__KVER, "LIBBPF_ERRNO__KVER", "wrong kernel version" },
	{ LIBBPF_ERRNO__PROGTYPE, "LIBBPF_ERRNO__PROGTYPE", "program type not supported by this kernel" },
	{ LIBBPF_ERRNO__WRNGPID, "LIBBPF_ERRNO__WRNGPID", "wrong pid in netlink message" },
	{ LIBBPF_ERRNO__INVSEQ, "LIBBPF_ERRNO__INVSEQ", "invalid netlink sequence" },
	{ LIBBPF_ERRNO__NLPARSE, "LIBBPF_ERRNO__NLPARSE", "netlink parse error" },
};

const char *errno_name(int err)
{
	const char *name;
	size_t i;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "OK";
	for (i = 0; i < sizeof(extra_errnos) / sizeof(extra_errnos[0]); i++)
		if (extra_errnos[i].err == err)
			return extra_errnos[i].name;
	name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

const char *errno_text(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(extra_errnos) / sizeof(extra_errnos[0]); i++)
		if (extra_errnos[i].err == err)
			return extra_errnos[i].text;
	return strerror(err);
}

static struct {
	char *text;
	size_t len;
	size_t cap;
	bool include_debug;
	bool echo;
} capture;

static void capture_append(const char *s, size_t n)
{
	if (capture.len + n + 1 > capture.cap) {
		size_t cap = capture.cap ? capture.cap : 4096;
		char *grown;

		while (cap < capture.len + n + 1)
			cap *= 2;
		grown = realloc(capture.text, cap);
		if (!grown)
			return; /* losing libbpf chatter is better than dying over it */
		capture.text = grown;
		capture.cap = cap;
	}
	memcpy(capture.text + capture.len, s, n);
	capture.len += n;
	capture.text[capture.len] = '\0';
}

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[4096];
	char *heap = NULL;
	const char *text = line;
	va_list copy;
	int n;

	if (level == LIBBPF_DEBUG && !capture.include_debug)
		return 0;
	va_copy(copy, args);
	n = vsnprintf(line, sizeof(line), fmt, args);
	if (n >= (int)sizeof(line)) {
		/* Long messages are whole verifier logs when libbpf owns the buffer; keep them. */
		heap = malloc((size_t)n + 1);
		if (heap) {
			vsnprintf(heap, (size_t)n + 1, fmt, copy);
			text = heap;
		} else {
			n = sizeof(line) - 1;
		}
	}
	va_end(copy);
	if (n > 0) {
		capture_append(text, (size_t)n);
		if (capture.echo)
			fputs(text, stderr);
	}
	free(heap);
	return n;
}

void libbpf_capture_install(bool include_debug)
{
	capture.include_debug = include_debug;
	libbpf_set_print(capture_print);
}

void libbpf_capture_echo(bool echo)
{
	capture.echo = echo;
}

void libbpf_capture_reset(void)
{
	capture.len = 0;
	if (capture.text)
		capture.text[0] = '\0';
}

const char *libbpf_capture_text(void)
{
	return capture.text ? capture.text : "";
}

long long monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* statfs() needs no permission on the directory itself, so this also answers for users who
 * cannot look inside tracefs (it is mode 0700). */
static bool is_tracefs(const char *dir)
{
	struct statfs fs;

	return statfs(dir, &fs) == 0 && (unsigned long)fs.f_type == TRACEFS_MAGIC_NUMBER;
}

const char *tracefs_dir(void)
{
	if (is_tracefs("/sys/kernel/tracing"))
		return "/sys/kernel/tracing";
	if (is_tracefs("/sys/kernel/debug/tracing"))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

bool kernel_has_kprobes(void)
{
	const char *tracefs = tracefs_dir();
	char path[256];

	if (path_exists("/sys/bus/event_source/devices/kprobe"))
		return true;
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs ? tracefs : "/sys/kernel/tracing");
	return path_exists(path);
}

bool kernel_has_uprobes(void)
{
	const char *tracefs = tracefs_dir();
	char path[256];

	if (path_exists("/sys/bus/event_source/devices/uprobe"))
		return true;
	snprintf(path, sizeof(path), "%s/uprobe_events", tracefs ? tracefs : "/sys/kernel/tracing");
	return path_exists(path);
}

char *str_format(const char *fmt, ...)
{
	va_list args;
	char *out = NULL;

	va_start(args, fmt);
	if (vasprintf(&out, fmt, args) < 0)
		out = NULL;
	va_end(args);
	return out;
}

bool read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* securityfs is often not mounted (containers, minimal VMs). Mounting it in a throwaway
 * private mount namespace reads the file without touching the host's mounts. */
static bool securityfs_read_via_private_mount(const char *path, char *out, size_t size)
{
	int fds[2], status;
	ssize_t n;
	pid_t child;

	if (geteuid() != 0 || pipe2(fds, O_CLOEXEC) < 0)
		return false;
	child = fork();
	if (child < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (child == 0) {
		char buf[512];

		close(fds[0]);
		if (unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) == 0 &&
		    read_small_file(path, buf, sizeof(buf)) &&
		    write(fds[1], buf, strlen(buf)) > 0)
			_exit(0);
		_exit(1);
	}
	close(fds[1]);
	n = read(fds[0], out, size - 1);
	close(fds[0]);
	waitpid(child, &status, 0);
	if (n <= 0)
		return false;
	out[n] = '\0';
	return true;
}

bool securityfs_read(const char *name, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/security/%s", name);
	return read_small_file(path, buf, size) || securityfs_read_via_private_mount(path, buf, size);
}

int kernel_bpf_lsm_active(void)
{
	char list[512], *token, *save = NULL;

	if (!securityfs_read("lsm", list, sizeof(list)))
		return -1;
	for (token = strtok_r(list, ",\n", &save); token; token = strtok_r(NULL, ",\n", &save))
		if (strcmp(token, "bpf") == 0)
			return 1;
	return 0;
}
