/*
 * rptest-style: sizes 16..8000 bytes skewed small (80% below 256) with
 * random lifetimes, most short, a quarter long.  Each step allocates one
 * block and frees those whose lifetime ends now, kept on a timing wheel.
 * After the idea of rpmalloc's benchmark, single thread, written afresh.
 *   rptest-style [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
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

#define WHEEL 131072	/* longest lifetime, in steps; also max live blocks */

static void *blk[WHEEL];
static size_t len[WHEEL];
static int next[WHEEL];		/* chains records: per wheel slot, and free ones */
static int due[WHEEL];		/* wheel slot -> first record, -1 if none */
static int spare = -1;		/* first free record */

static size_t small_skewed(void)
{
	unsigned r = rnd() % 100;

	if (r < 80)
		return 16 + rnd() % 240;
	if (r < 95)
		return 256 + rnd() % 1792;
	return 2048 + rnd() % 5953;	/* up to 8000 */
}

static void expire(unsigned slot)
{
	int r;

	while ((r = due[slot]) >= 0) {
		due[slot] = next[r];
		put(blk[r], len[r]);
		next[r] = spare;
		spare = r;
	}
}

int main(int argc, char **argv)
{
	long steps = quick(argc, argv) ? 500000 : 4000000;

	for (int i = 0; i < WHEEL; i++) {
		due[i] = -1;
		next[i] = spare;
		spare = i;
	}
	for (long t = 0; t < steps; t++) {
		unsigned life = rnd() % 4 ? 1 + rnd() % 64 : 1 + rnd() % (WHEEL - 1);
		unsigned slot = (t + life) % WHEEL;
		int r = spare;

		spare = next[r];
		len[r] = small_skewed();
		blk[r] = get(len[r]);
		next[r] = due[slot];
		due[slot] = r;
		expire((t + 1) % WHEEL);
	}
	for (unsigned s = 0; s < WHEEL; s++)
		expire(s);
	report("rptest-style");
	return 0;
}
