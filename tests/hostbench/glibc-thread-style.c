/*
 * glibc-thread-style: one thread of glibc's benchtests/bench-malloc-thread
 * idea, written afresh: a fixed table of slots, each step picks a random
 * slot, frees its block and mallocs a new one of random size 1..16 KiB
 * (upper bound itself random, so small sizes dominate).
 *   glibc-thread-style [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

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
