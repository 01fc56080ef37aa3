/*
 * glibc-simple: batches of N same-size mallocs, then the N frees in the
 * same order, for several sizes and batch lengths.  After the idea of
 * glibc's benchtests/bench-malloc-simple, written afresh.
 *   glibc-simple [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
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

#define MAXBATCH 1600

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 16, 64, 256, 1024, 4096 };
	static const int batch[] = { 25, 100, 400, MAXBATCH };
	static void *blk[MAXBATCH];
	long base = quick(argc, argv) ? 4000 : 32000;	/* blocks per (size, batch) */

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (unsigned b = 0; b < sizeof(batch) / sizeof(batch[0]); b++)
			for (long rep = 0; rep < base / batch[b]; rep++) {
				for (int i = 0; i < batch[b]; i++)
					blk[i] = get(sizes[s]);
				for (int i = 0; i < batch[b]; i++)
					put(blk[i], sizes[s]);
			}
	report("glibc-simple");
	return 0;
}
