/*
 * What every host benchmark workload shares: get/put that write and read
 * back every block and keep the live and peak figures, the -q switch, the
 * one-line report with the process's RSS (at the start, after freeing
 * everything, and at its peak; HOSTBENCH_TAIL_MS= adds its course after the
 * final free), and a fixed-seed generator.
 * Included once by each workload program.
 */
#ifndef HOSTBENCH_COMMON_H
#define HOSTBENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static unsigned long nops, live, peak, rss_start;
static uint64_t sum;

/* Take a fresh block of n bytes into the figures: write all of it. */
static void *track(void *p, size_t n, const char *what)
{
	if (!p) {
		perror(what);
		exit(1);
	}
	memset(p, (int)(n * 7 + 1), n);
	nops++;
	live += n;
	if (live > peak)
		peak = live;
	return p;
}

__attribute__((unused)) static void *get(size_t n)
{
	return track(malloc(n), n, "malloc");
}

__attribute__((unused)) static void put(void *p, size_t n)
{
	const unsigned char *c = p;

	sum = sum * 31 + c[0] + c[n - 1];
	nops++;
	live -= n;
	free(p);
}

/*
 * VmRSS / VmHWM from /proc/self/status, in bytes.  Read with open and read,
 * not stdio: a FILE's buffer is allocated and freed, and the RSS after the
 * final free must see no allocator activity of its own.
 */
static unsigned long status_bytes(const char *key)
{
	static char buf[4096];
	ssize_t n = 0;
	size_t klen = strlen(key);
	int fd = open("/proc/self/status", O_RDONLY);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, klen) && l[klen] == ':')
			return strtoul(l + klen + 1, NULL, 10) * 1024;
	return 0;
}

/* The resident set before the workload allocates (the allocator set up). */
__attribute__((constructor)) static void note_start(void)
{
	free(malloc(1));
	rss_start = status_bytes("VmRSS");
}

static int quick(int argc, char **argv)
{
	return (argc > 1 && !strcmp(argv[1], "-q")) || getenv("HOSTBENCH_QUICK");
}

/*
 * HOSTBENCH_TAIL_MS=N: after the report, the RSS every 100 ms for N ms
 * after the final free (what a decaying allocator keeps meanwhile), as
 * one more line: rss_tail=MS:BYTES,MS:BYTES,...
 */
static void print_rss_tail(void)
{
	const char *v = getenv("HOSTBENCH_TAIL_MS");
	long ms = v ? atol(v) : 0;
	struct timespec step = { 0, 100 * 1000000L };

	if (ms <= 0)
		return;
	printf("rss_tail=0:%lu", status_bytes("VmRSS"));
	for (long t = 100; t <= ms; t += 100) {
		nanosleep(&step, NULL);
		printf(",%ld:%lu", t, status_bytes("VmRSS"));
	}
	printf("\n");
}

static void report(const char *name)
{
	unsigned long rss = status_bytes("VmRSS"), hwm = status_bytes("VmHWM");

	printf("workload=%s ops=%lu peak_live=%lu checksum=%llu rss_start=%lu rss_after_free=%lu peak_rss=%lu\n",
	       name, nops, peak, (unsigned long long)sum, rss_start, rss, hwm);
	fflush(stdout);
	print_rss_tail();
}

static uint64_t rs = 0x2545f4914f6cdd1dull;	/* fixed seed */

__attribute__((unused)) static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

#endif
