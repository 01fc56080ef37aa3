/*
 * large-churn: large blocks, 64 KiB .. 4 MiB (about log-uniform), in a
 * small table of slots: each step frees a random slot's block and puts a
 * new one there, written all over, so every page is faulted in.
 *   large-churn [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define SLOTS 8

static void *blk[SLOTS];
static size_t len[SLOTS];

int main(int argc, char **argv)
{
	long steps = quick(argc, argv) ? 250 : 2000;

	for (long i = 0; i < steps; i++) {
		unsigned s = rnd() % SLOTS;
		size_t base = (size_t)64 << 10 << (rnd() % 6);	/* 64 KiB .. 2 MiB */

		if (blk[s])
			put(blk[s], len[s]);
		len[s] = base + rnd() % base;
		blk[s] = get(len[s]);
	}
	for (unsigned s = 0; s < SLOTS; s++)
		if (blk[s])
			put(blk[s], len[s]);
	report("large-churn");
	return 0;
}
