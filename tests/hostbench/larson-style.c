/*
 * larson-style: an array of blocks of uniform random size 8..1000 is
 * filled, then each round a random quarter of it is replaced: all of
 * the chosen blocks are freed first, then allocated anew.  After the
 * idea of the Larson server benchmark, single thread, written afresh.
 *   larson-style [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define SLOTS 16384		/* a power of two: odd strides visit every slot */
#define CHUNK (SLOTS / 4)

static void *blk[SLOTS];
static size_t len[SLOTS];
static unsigned pick[CHUNK];

int main(int argc, char **argv)
{
	int rounds = quick(argc, argv) ? 200 : 1600;

	for (unsigned s = 0; s < SLOTS; s++) {
		len[s] = 8 + rnd() % 993;
		blk[s] = get(len[s]);
	}
	for (int r = 0; r < rounds; r++) {
		/* a random start and odd stride: CHUNK distinct slots */
		unsigned at = rnd() % SLOTS, step = 1 + 2 * (rnd() % 64);

		for (unsigned i = 0; i < CHUNK; i++) {
			pick[i] = at;
			put(blk[at], len[at]);
			at = (at + step) % SLOTS;
		}
		for (unsigned i = 0; i < CHUNK; i++) {
			len[pick[i]] = 8 + rnd() % 993;
			blk[pick[i]] = get(len[pick[i]]);
		}
	}
	for (unsigned s = 0; s < SLOTS; s++)
		put(blk[s], len[s]);
	report("larson-style");
	return 0;
}
