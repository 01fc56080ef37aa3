/*
 * What every host benchmark workload shares: get/put that write and read
 * back every block and keep the live and peak figures, the -q switch, the
 * one-line report with the process's RSS (at the start, after freeing
 * everything, and at its peak), and a fixed-seed generator.
 * Included once by each workload program.
 */
#ifndef HOSTBENCH_COMMON_H
#define HOSTBENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void *get(size_t n)
{
	return track(malloc(n), n, "malloc");
}

static void put(void *p, size_t n)
{
	const unsigned char *c = p;

	sum = sum * 31 + c[0] + c[n - 1];
	nops++;
	live -= n;
	free(p);
}

/* VmRSS / VmHWM from /proc/self/status, in bytes */
static unsigned long status_bytes(const char *key)
{
	char line[256];
	unsigned long kb = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			kb = strtoul(line + klen + 1, NULL, 10);
	if (f)
		fclose(f);
	return kb * 1024;
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

static void report(const char *name)
{
	unsigned long rss = status_bytes("VmRSS"), hwm = status_bytes("VmHWM");

	printf("workload=%s ops=%lu peak_live=%lu checksum=%llu rss_start=%lu rss_after_free=%lu peak_rss=%lu\n",
	       name, nops, peak, (unsigned long long)sum, rss_start, rss, hwm);
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
