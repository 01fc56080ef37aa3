/*
 * glibc-thread-style: one thread of glibc's benchtests/bench-malloc-thread
 * idea, written afresh: a fixed table of slots, each step picks a random
 * slot, frees its block and mallocs a new one of random size 1..16 KiB
 * (upper bound itself random, so small sizes dominate).
 *   glibc-thread-style [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long nops, live, peak;
static uint64_t sum;

static void *get(size_t n)
{
	unsigned char *p = malloc(n);

	if (!p) {
		perror("malloc");
		exit(1);
	}
	memset(p, (int)(n * 7 + 1), n);
	nops++;
	live += n;
	if (live > peak)
		peak = live;
	return p;
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
	size_t len = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			kb = strtoul(line + len + 1, NULL, 10);
	if (f)
		fclose(f);
	return kb * 1024;
}

static int quick(int argc, char **argv)
{
	return (argc > 1 && !strcmp(argv[1], "-q")) || getenv("HOSTBENCH_QUICK");
}

static void report(const char *name)
{
	unsigned long rss = status_bytes("VmRSS"), hwm = status_bytes("VmHWM");

	printf("workload=%s ops=%lu peak_live=%lu checksum=%llu rss_after_free=%lu peak_rss=%lu\n",
	       name, nops, peak, (unsigned long long)sum, rss, hwm);
}


static uint64_t rs = 0x2545f4914f6cdd1dull;	/* fixed seed */

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

#define SLOTS 4096

static void *blk[SLOTS];
static size_t len[SLOTS];

int main(int argc, char **argv)
{
	long steps = quick(argc, argv) ? 500000 : 4000000;

	for (long i = 0; i < steps; i++) {
		unsigned s = rnd() % SLOTS, bound;

		if (blk[s])
			put(blk[s], len[s]);
		bound = 16u << (rnd() % 11);	/* 16..16384, each as likely */
		len[s] = 1 + rnd() % bound;
		blk[s] = get(len[s]);
	}
	for (unsigned s = 0; s < SLOTS; s++)
		if (blk[s])
			put(blk[s], len[s]);
	report("glibc-thread-style");
	return 0;
}
