/*
 * mstress-style: growth and release phases.  Each round grows a set of
 * blocks to a peak (sizes mostly small, 1/64 up to 256 KiB), reallocating
 * a random member every eighth step, then releases nine in ten at random
 * and grows again.  After the idea of mimalloc-bench's mstress, single
 * thread, written afresh.
 *   mstress-style [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define PEAK 40000

static void *blk[PEAK];
static size_t len[PEAK];

static size_t grow_size(void)
{
	unsigned bound;

	if (rnd() % 64 == 0)
		return 4096 + rnd() % (256 << 10);
	bound = 32u << (rnd() % 6);	/* 32..1024, each as likely */
	return 8 + rnd() % bound;		/* so mostly small */
}

/* realloc block k to about half or 1.5 times its size; write the new tail */
static void resize(unsigned k)
{
	size_t old = len[k], n = rnd() % 2 ? old + old / 2 + 1 : old / 2 + 1;
	unsigned char *p = realloc(blk[k], n);

	if (!p) {
		perror("realloc");
		exit(1);
	}
	sum = sum * 31 + p[0];		/* contents kept by realloc */
	if (n > old)
		memset(p + old, (int)(n * 7 + 1), n - old);
	p[n - 1] = (unsigned char)(n * 7 + 1);
	nops++;
	live += n - old;
	if (live > peak)
		peak = live;
	blk[k] = p;
	len[k] = n;
}

int main(int argc, char **argv)
{
	int rounds = quick(argc, argv) ? 3 : 24;
	unsigned n = 0;

	for (int r = 0; r < rounds; r++) {
		for (long i = 0; n < PEAK; i++) {
			if (i % 8 == 7 && n) {
				resize(rnd() % n);
				continue;
			}
			len[n] = grow_size();
			blk[n] = get(len[n]);
			n++;
		}
		while (n > PEAK / 10) {
			unsigned k = rnd() % n;

			put(blk[k], len[k]);
			n--;
			blk[k] = blk[n];
			len[k] = len[n];
		}
	}
	while (n--)
		put(blk[n], len[n]);
	report("mstress-style");
	return 0;
}
