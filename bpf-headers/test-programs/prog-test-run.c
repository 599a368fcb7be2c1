/*
 * Runs a pinned raw_tp program once with BPF_PROG_TEST_RUN, its context built from the
 * command line (one signed 64-bit value per argument), and prints the program's return value.
 * bpftool cannot do this for raw_tp: it always passes an output context, which the kernel
 * rejects for this program type.
 *
 *   prog-test-run /sys/fs/bpf/dir/prog 11 -22 33
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	unsigned long long ctx[12];
	union bpf_attr attr;
	int count = argc - 2, fd, i;

	if (argc < 2 || count > 12) {
		fprintf(stderr, "usage: %s <pinned raw_tp program> [up to 12 integer arguments]\n", argv[0]);
		return 2;
	}
	for (i = 0; i < count; i++)
		ctx[i] = (unsigned long long)strtoll(argv[i + 2], NULL, 0);

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (unsigned long)argv[1];
	fd = bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open pinned program: %s\n", argv[1], strerror(errno));
		return 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = fd;
	attr.test.ctx_in = (unsigned long)ctx;
	attr.test.ctx_size_in = count * sizeof(ctx[0]);
	if (bpf(BPF_PROG_TEST_RUN, &attr) < 0) {
		fprintf(stderr, "%s: BPF_PROG_TEST_RUN failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("%u\n", attr.test.retval);
	return 0;
}
