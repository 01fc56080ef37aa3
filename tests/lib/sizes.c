/*
 * libkheap.so at the top of size_t (run under LD_PRELOAD by
 * scripts/test-all): every malloc entry point asked for any size from
 * SIZE_MAX - 2 pages to SIZE_MAX, or near PTRDIFF_MAX where the front end
 * hands over to the heap, refuses with ENOMEM and leaves every block it
 * was given as it was.  "N passed, N failed".
 *   sizes          the checks
 *   sizes kheap    the same, first checking libkheap.so is the malloc
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096
#define BAND (2 * PAGE + 1)		/* sizes in each band */

static int pass, fail;

static void result(int ok, const char *what, size_t at)
{
	if (ok) {
		pass++;
		return;
	}
	fail++;
	printf("FAIL %s: first wrong at size %#zx\n", what, at);
}

/* One entry point at one size: 1 when it refused with ENOMEM. */
typedef int (*refuses)(size_t n, void *arg);

static int null_enomem(void *p)
{
	return !p && errno == ENOMEM;
}

static int r_malloc(size_t n, void *a) { (void)a; errno = 0; return null_enomem(malloc(n)); }
static int r_calloc_1n(size_t n, void *a) { (void)a; errno = 0; return null_enomem(calloc(1, n)); }
static int r_calloc_n1(size_t n, void *a) { (void)a; errno = 0; return null_enomem(calloc(n, 1)); }
static int r_valloc(size_t n, void *a) { (void)a; errno = 0; return null_enomem(valloc(n)); }
static int r_pvalloc(size_t n, void *a) { (void)a; errno = 0; return null_enomem(pvalloc(n)); }
static int r_realloc(size_t n, void *a) { errno = 0; return null_enomem(realloc(a, n)); }
static int r_reallocarray(size_t n, void *a) { errno = 0; return null_enomem(reallocarray(a, n, 1)); }
static int r_reallocarray2(size_t n, void *a) { errno = 0; return null_enomem(reallocarray(a, 1, n)); }

static int r_aligned_alloc(size_t n, void *a)
{
	errno = 0;
	return null_enomem(aligned_alloc(*(size_t *)a, n));
}

static int r_memalign(size_t n, void *a)
{
	errno = 0;
	return null_enomem(memalign(*(size_t *)a, n));
}

static int r_posix_memalign(size_t n, void *a)
{
	void *out = &out;		/* must stay as it was */

	return posix_memalign(&out, *(size_t *)a, n) == ENOMEM && out == &out;
}

/* fn refuses every size of [lo, lo + BAND): checked and counted. */
static void band(const char *what, refuses fn, void *arg, size_t lo)
{
	for (size_t k = 0; k < BAND; k++)
		if (!fn(lo + k, arg)) {
			result(0, what, lo + k);
			return;
		}
	result(1, what, 0);
}

static const size_t lows[] = {
	SIZE_MAX - (BAND - 1),			/* up to SIZE_MAX */
	(size_t)PTRDIFF_MAX - PAGE,		/* across the front end's limit */
};

static void every_band(const char *what, refuses fn, void *arg)
{
	for (size_t b = 0; b < sizeof(lows) / sizeof(lows[0]); b++)
		band(what, fn, arg, lows[b]);
}

/* realloc and reallocarray of a block of `size`: refused, and the block intact. */
static void reallocs(size_t size)
{
	unsigned char *p = malloc(size);
	size_t usable = malloc_usable_size(p);
	int intact = 1;

	memset(p, 0xA7, size);
	every_band("realloc", r_realloc, p);
	every_band("reallocarray(p, n, 1)", r_reallocarray, p);
	every_band("reallocarray(p, 1, n)", r_reallocarray2, p);
	for (size_t i = 0; i < size; i++)
		intact &= p[i] == 0xA7;
	result(intact && malloc_usable_size(p) == usable, "the realloc'd block intact", size);
	free(p);
}

/* reallocarray and calloc products that overflow. */
static void products(void)
{
	const size_t half = (size_t)1 << (sizeof(size_t) * 4);
	const size_t pairs[][2] = { { SIZE_MAX / 2 + 1, 2 }, { half, half }, { SIZE_MAX, SIZE_MAX },
				    { SIZE_MAX / 3 + 1, 3 }, { SIZE_MAX / 3, 3 } };
	void *p = malloc(100);
	int ok = 1;

	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		errno = 0;
		ok &= null_enomem(calloc(pairs[k][0], pairs[k][1]));
		errno = 0;
		ok &= null_enomem(reallocarray(p, pairs[k][0], pairs[k][1]));
		errno = 0;
		ok &= null_enomem(reallocarray(NULL, pairs[k][1], pairs[k][0]));
	}
	result(ok, "calloc and reallocarray products", 0);
	free(p);
}

/* Is libkheap.so mapped into this process? */
static int kheap_loaded(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "libkheap.so") != NULL;
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	static size_t aligns[] = { 8, 16, 64, PAGE, 1 << 20 };
	static const size_t originals[] = { 1, 100, 16384, 16385, 3 * PAGE + 5, 1 << 20 };

	if (argc > 1 && !strcmp(argv[1], "kheap"))
		result(kheap_loaded(), "libkheap.so is loaded", 0);
	every_band("malloc", r_malloc, NULL);
	every_band("calloc(1, n)", r_calloc_1n, NULL);
	every_band("calloc(n, 1)", r_calloc_n1, NULL);
	every_band("valloc", r_valloc, NULL);
	every_band("pvalloc", r_pvalloc, NULL);
	every_band("realloc(NULL, n)", r_realloc, NULL);
	for (size_t k = 0; k < sizeof(aligns) / sizeof(aligns[0]); k++) {
		every_band("aligned_alloc", r_aligned_alloc, &aligns[k]);
		every_band("memalign", r_memalign, &aligns[k]);
		every_band("posix_memalign", r_posix_memalign, &aligns[k]);
	}
	for (size_t k = 0; k < sizeof(originals) / sizeof(originals[0]); k++)
		reallocs(originals[k]);
	products();
	printf("%d passed, %d failed\n", pass, fail);
	return fail != 0;
}
