/*
 * alloc-test: mixed sizes (mostly small, some medium, a few up to 64 KiB)
 * with a working set that grows to a random high mark, shrinks to an
 * eighth of it, and grows again; 1/16 of the blocks come from calloc and
 * 1/32 from posix_memalign.  After the idea of the alloc-test benchmark,
 * written afresh.
 *   alloc-test [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define MAXN 16384

static void *blk[MAXN];
static size_t len[MAXN];

static size_t mixed_size(void)
{
	unsigned r = rnd() % 100;

	if (r < 70)
		return 8 + rnd() % 120;
	if (r < 95)
		return 128 + rnd() % 3968;
	return 4096 + rnd() % 61440;
}

/* a block from malloc, calloc or posix_memalign, written all over */
static void *alloc_mixed(size_t n)
{
	unsigned how = rnd() % 32;
	unsigned char *p;

	if (how >= 2)
		return get(n);
	if (how == 0) {
		p = calloc(1, n);
		if (p)
			sum += p[0] + p[n - 1];	/* must read back zero */
	} else if (posix_memalign((void **)&p, (size_t)16 << (rnd() % 5), n))
		p = NULL;
	return track(p, n, "calloc/posix_memalign");
}

int main(int argc, char **argv)
{
	long steps = quick(argc, argv) ? 300000 : 2400000;
	unsigned n = 0, hi = 1024, lo = 0;
	int growing = 1;

	for (long i = 0; i < steps; i++) {
		/* move towards the mark three times in four */
		int add = (rnd() % 4 != 0) == growing;

		if (add && n < MAXN) {
			len[n] = mixed_size();
			blk[n] = alloc_mixed(len[n]);
			n++;
		} else if (n) {
			unsigned k = rnd() % n;

			put(blk[k], len[k]);
			n--;
			blk[k] = blk[n];
			len[k] = len[n];
		}
		if (growing && n >= hi) {
			growing = 0;
			lo = hi / 8;
		} else if (!growing && n <= lo) {
			growing = 1;
			hi = 1024 + rnd() % (MAXN - 1024);
		}
	}
	while (n--)
		put(blk[n], len[n]);
	report("alloc-test");
	return 0;
}
