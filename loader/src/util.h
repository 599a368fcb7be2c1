#ifndef BPFDEV_UTIL_H
#define BPFDEV_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* "EACCES" etc., including the kernel-internal ENOTSUPP (524) and libbpf's own codes
 * that plain strerrorname_np() does not know. Never NULL. */
const char *errno_name(int err);
/* Human text for an errno, including the values errno_name() adds. */
const char *errno_text(int err);

/* libbpf's messages are collected here per program/attempt so each event carries its own. */
void libbpf_capture_install(bool include_debug);
void libbpf_capture_reset(void);
const char *libbpf_capture_text(void);
/* Also echo libbpf's messages to stderr (--verbose). */
void libbpf_capture_echo(bool echo);

/* printf into a new malloc'd string; NULL when out of memory. */
char *str_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

long long monotonic_us(void);
bool path_exists(const char *path);

/* Tracefs mount point holding trace_pipe, or NULL. */
const char *tracefs_dir(void);

/* Whether this kernel can create kprobes / uprobes at all (PMU or legacy tracefs files). */
bool kernel_has_kprobes(void);
bool kernel_has_uprobes(void);

/* Reads a small file whole; false when it cannot be read. */
bool read_small_file(const char *path, char *buf, size_t size);
/* Reads /sys/kernel/security/NAME, mounting securityfs privately when it is not mounted. */
bool securityfs_read(const char *name, char *buf, size_t size);
/* 1 when "bpf" is among the active LSMs, 0 when not, -1 when the list cannot be read. */
int kernel_bpf_lsm_active(void);

#endif
