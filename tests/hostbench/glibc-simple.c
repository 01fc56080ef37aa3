/*
 * glibc-simple: batches of N same-size mallocs, then the N frees in the
 * same order, for several sizes and batch lengths.  After the idea of
 * glibc's benchtests/bench-malloc-simple, written afresh.
 *   glibc-simple [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

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
