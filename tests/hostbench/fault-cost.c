/*
 * fault-cost: what Linux charges for the page operations libkheap uses,
 * per 4 KiB page, over a 64 MiB anonymous mapping (best of 3): a
 * first-touch write fault, madvise(MADV_DONTNEED), and
 * madvise(MADV_POPULATE_WRITE) (0 when the kernel lacks it).
 * Prints one line: fault_ns= dontneed_ns= populate_ns=
 */
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define BYTES (64ul << 20)
#define PAGES (BYTES / 4096)

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double min(double a, double b) { return a < b ? a : b; }

int main(void)
{
	volatile char *p = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double fault = 1e18, dontneed = 1e18, populate = 1e18;
	int have_populate = 1;

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		double t = now_ns();
		for (unsigned long i = 0; i < BYTES; i += 4096)
			p[i] = 1;
		fault = min(fault, (now_ns() - t) / PAGES);
		t = now_ns();
		madvise((void *)p, BYTES, MADV_DONTNEED);
		dontneed = min(dontneed, (now_ns() - t) / PAGES);
		t = now_ns();
		if (madvise((void *)p, BYTES, MADV_POPULATE_WRITE))
			have_populate = 0;
		populate = min(populate, (now_ns() - t) / PAGES);
		madvise((void *)p, BYTES, MADV_DONTNEED);
	}
	printf("fault_ns=%.0f dontneed_ns=%.0f populate_ns=%.0f\n", fault, dontneed,
	       have_populate ? populate : 0.0);
	return 0;
}
