/*
 * threads: N threads, each doing a fixed number of random free/malloc
 * replacements (1..512 bytes) in its own table of 64 slots, every block
 * written and checked; what one lock costs when threads allocate at once.
 *   threads N [-q] [--shared-lines]	(-q: 1/8 of the operations)
 * Prints one line: threads= ops= bad=  (bad: blocks found overwritten)
 *
 * --shared-lines (not for timing): each thread also records the 64-byte
 * cache lines of every block it got, and at the end a second line says
 * how many distinct lines the threads used, how many of them more than
 * one thread used, and how many allocations covered such a line (a line
 * two threads write moves between their cores at each write):
 *   shared-lines: lines= shared= allocs= allocs_on_shared=
 * The records are tables mmap'd apart from the allocator under test.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long steps = 2000000;
static int record;			/* --shared-lines */

#define LINE_SHIFT 6
#define TABLE_BITS 20			/* entries per table: far more than a run's distinct keys */

/* An open-addressing table of keys (0: empty slot) with a count or a mask each. */
struct table { uint64_t *key, *val; };

static void table_new(struct table *t)
{
	size_t bytes = sizeof(uint64_t) << TABLE_BITS;

	t->key = mmap(NULL, 2 * bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->key == MAP_FAILED) {
		perror("threads: mmap");
		exit(1);
	}
	t->val = t->key + ((size_t)1 << TABLE_BITS);
}

/* The value slot of key (> 0), made when missing. */
static uint64_t *table_at(struct table *t, uint64_t key)
{
	size_t mask = ((size_t)1 << TABLE_BITS) - 1, i = (size_t)(key * 0x9E3779B97F4A7C15ull >> 40) & mask;

	for (size_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		if (t->key[i] == key)
			return &t->val[i];
		if (!t->key[i]) {
			t->key[i] = key;
			return &t->val[i];
		}
	}
	fprintf(stderr, "threads: --shared-lines table full\n");
	exit(1);
}

static struct table got[64];		/* per thread: (first line << 4 | lines) -> allocations */

/* Thread id got a block p of n bytes: count it under its first line and line count. */
static void record_block(int id, const void *p, size_t n)
{
	uint64_t first = (uintptr_t)p >> LINE_SHIFT, last = ((uintptr_t)p + n - 1) >> LINE_SHIFT;

	(*table_at(&got[id], first << 4 | (last - first + 1)))++;
}

/* Each line any thread got, with the mask of threads that got it. */
static void lines_of(int nthreads, struct table *lines)
{
	table_new(lines);
	for (int id = 0; id < nthreads; id++)
		for (size_t i = 0; i < (size_t)1 << TABLE_BITS; i++) {
			uint64_t k = got[id].key[i];

			for (uint64_t l = 0; k && l < (k & 15); l++)
				*table_at(lines, (k >> 4) + l) |= (uint64_t)1 << id;
		}
}

static int shared(struct table *lines, uint64_t line)
{
	uint64_t m = *table_at(lines, line);

	return (m & (m - 1)) != 0;
}

static void report_lines(int nthreads)
{
	struct table lines;
	unsigned long nlines = 0, nshared = 0, allocs = 0, on_shared = 0;

	lines_of(nthreads, &lines);
	for (size_t i = 0; i < (size_t)1 << TABLE_BITS; i++)
		if (lines.key[i]) {
			nlines++;
			nshared += shared(&lines, lines.key[i]);
		}
	for (int id = 0; id < nthreads; id++)
		for (size_t i = 0; i < (size_t)1 << TABLE_BITS; i++) {
			uint64_t k = got[id].key[i];
			int any = 0;

			for (uint64_t l = 0; k && l < (k & 15); l++)
				any |= shared(&lines, (k >> 4) + l);
			allocs += got[id].val[i];
			on_shared += any ? got[id].val[i] : 0;
		}
	printf("shared-lines: lines=%lu shared=%lu allocs=%lu allocs_on_shared=%lu (%.2f%%)\n",
	       nlines, nshared, allocs, on_shared, allocs ? 100.0 * on_shared / allocs : 0.0);
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg;
	int id = (int)(size_t)arg - 1;
	unsigned char *slot[64] = { 0 };
	long bad = 0;

	for (long i = 0; i < steps; i++) {
		int k = rand_r(&seed) % 64;
		size_t n = rand_r(&seed) % 512 + 1;

		if (slot[k] && slot[k][0] != (unsigned char)k)
			bad++;
		free(slot[k]);
		slot[k] = malloc(n);
		if (!slot[k]) {
			perror("malloc");
			exit(1);
		}
		memset(slot[k], k, n);
		if (record)
			record_block(id, slot[k], n);
	}
	for (int k = 0; k < 64; k++)
		free(slot[k]);
	return (void *)bad;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	pthread_t t[64];
	long bad = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-q"))
			steps /= 8;
		else if (!strcmp(argv[i], "--shared-lines"))
			record = 1;
		else
			n = 0;
	}
	if (n < 1 || n > 64) {
		fprintf(stderr, "threads: usage: threads N [-q] [--shared-lines] (N 1..64)\n");
		return 2;
	}
	for (int i = 0; record && i < n; i++)
		table_new(&got[i]);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
	for (int i = 0; i < n; i++) {
		void *b;

		pthread_join(t[i], &b);
		bad += (long)b;
	}
	printf("threads=%d ops=%ld bad=%ld\n", n, 2 * steps * n, bad);
	if (record)
		report_lines(n);
	return bad != 0;
}
