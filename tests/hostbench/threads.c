/*
 * threads: N threads, each doing a fixed number of random free/malloc
 * replacements (1..512 bytes) in its own table of 64 slots, every block
 * written and checked; what one lock costs when threads allocate at once.
 *   threads N [-q] [--shared-lines] [--pass]	(-q: 1/8 of the operations)
 * Prints one line: threads= ops= bad=  (bad: blocks found overwritten)
 *
 * --pass (producer-consumer): a replaced block is not freed by the thread
 * that allocated it but handed to the next thread (id + 1 mod N) through
 * a single-producer single-consumer ring, and each thread frees what
 * waits in its own ring before each replacement; so nearly every free is
 * remote, and every thread also allocates.  A full ring: the block is
 * freed at home.
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
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long steps = 2000000;
static int record;			/* --shared-lines */
static int pass, nthreads;		/* --pass */

#define RING 256
/* Blocks handed to one thread: head written by the thread before it, tail by it. */
static struct ring {
	_Alignas(64) _Atomic unsigned long head;
	_Alignas(64) _Atomic unsigned long tail;
	uintptr_t p[RING];		/* blocks, as integers: the analysers lose nothing in a ring */
} rings[64];

/* Hand b to ring r; false when it is full. */
static int ring_put(struct ring *r, unsigned char *b)
{
	unsigned long h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (h - atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
		return 0;
	r->p[h % RING] = (uintptr_t)b;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 1;
}

/* Free every block waiting in r (each begins with its slot's byte, below 64); the bad ones. */
static long ring_drain(struct ring *r)
{
	unsigned long t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned long h = atomic_load_explicit(&r->head, memory_order_acquire);
	long bad = 0;

	for (; t != h; t++) {
		unsigned char *b = (unsigned char *)r->p[t % RING];

		bad += b[0] >= 64;
		free(b);
	}
	atomic_store_explicit(&r->tail, t, memory_order_release);
	return bad;
}

/* The old block of a replacement to the next thread (--pass); false: free it here. */
static int hand_over(int id, unsigned char *b)
{
	return pass && b && ring_put(&rings[(id + 1) % nthreads], b);
}

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

static _Alignas(64) unsigned char *slots[64][64];	/* per thread: its table of blocks */

/* The block that replaces old: old handed over (--pass) or freed. */
static unsigned char *replace(int id, unsigned char *old, size_t n)
{
	unsigned char *b;

	if (!hand_over(id, old))
		free(old);
	b = malloc(n);
	if (!b) {
		perror("malloc");
		exit(1);
	}
	return b;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg;
	int id = (int)(size_t)arg - 1;
	unsigned char **slot = slots[id];
	long bad = 0;

	for (long i = 0; i < steps; i++) {
		int k = rand_r(&seed) % 64;
		size_t n = rand_r(&seed) % 512 + 1;

		if (slot[k] && slot[k][0] != (unsigned char)k)
			bad++;
		if (pass)
			bad += ring_drain(&rings[id]);
		slot[k] = replace(id, slot[k], n);
		memset(slot[k], k, n);
		if (record)
			record_block(id, slot[k], n);
	}
	for (int k = 0; k < 64; k++)
		if (!hand_over(id, slot[k]))
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
		else if (!strcmp(argv[i], "--pass"))
			pass = 1;
		else
			n = 0;
	}
	if (n < 1 || n > 64) {
		fprintf(stderr, "threads: usage: threads N [-q] [--shared-lines] [--pass] (N 1..64)\n");
		return 2;
	}
	nthreads = n;
	for (int i = 0; record && i < n; i++)
		table_new(&got[i]);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
	for (int i = 0; i < n; i++) {
		void *b;

		pthread_join(t[i], &b);
		bad += (long)b;
	}
	for (int i = 0; pass && i < n; i++)
		bad += ring_drain(&rings[i]);
	printf("threads=%d ops=%ld bad=%ld\n", n, 2 * steps * n, bad);
	if (record)
		report_lines(n);
	return bad != 0;
}
