/*
 * rptest-style: sizes 16..8000 bytes skewed small (80% below 256) with
 * random lifetimes, most short, a quarter long.  Each step allocates one
 * block and frees those whose lifetime ends now, kept on a timing wheel.
 * After the idea of rpmalloc's benchmark, single thread, written afresh.
 *   rptest-style [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

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
