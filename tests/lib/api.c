/*
 * The malloc API of libkheap.so, checked from a program run under
 * LD_PRELOAD (tests/lib/run): C and POSIX semantics, threads, fork, and
 * the one-line report and abort on misuse.
 *   api            run the checks; "N passed, N failed"
 *   api misuse K   commit misuse K (the runner expects an abort, or at
 *                  a level that does not check it, "did not abort")
 *   api lookalikes objects holding what poison, canaries and magazine keys
 *                  look like, strings filling every usable byte: no report
 *   api once       one malloc and free, then exit 0 (for environment checks)
 *   api thread-exits  32 threads in turn allocate and free small blocks and exit
 *   api owned-slabs  two threads taking turns: no page holds blocks of both
 *   api decay-keeps|decay-idle|decay-fork|decay-threads|decay-slabs|decay-loaded  the decay schedule
 *                  (run with KHEAP_DECAY_MS): exit 0 when it held
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int pass, fail;

#define CHECK(c) do { if (c) pass++; else { fail++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *slot[64] = { 0 };
	long bad = 0;

	for (int i = 0; i < 200000; i++) {
		int k = rand_r(&seed) % 64;
		size_t n = rand_r(&seed) % 3000 + 1;

		if (slot[k]) {
			if (((unsigned char *)slot[k])[0] != (unsigned char)k)
				bad++;
			free(slot[k]);
		}
		slot[k] = malloc(n);
		memset(slot[k], k, n);
	}
	for (int k = 0; k < 64; k++)
		free(slot[k]);
	return (void *)bad;
}

static void *fork_while_busy(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (pid == 0) {			/* the child must be able to allocate */
			void *p = malloc(1000);
			_exit(p ? 0 : 1);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			return (void *)1;
	}
	return NULL;
}

/*
 * The process's resident set, in bytes.  Read with open and read: stdio's
 * buffer would be allocated and freed at each look, and the decay's quiet
 * time counts frees.
 */
static size_t rss(void)
{
	static char buf[4096];
	ssize_t n = 0;
	int fd = open("/proc/self/status", O_RDONLY);
	char *l;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	l = strstr(buf, "\nVmRSS:");
	return l ? strtoul(l + 7, NULL, 10) * 1024 : 0;
}

/*
 * The resident set once it is at most bound, looking every 20 ms for up
 * to 30 s (the decay thread gives pages back on its schedule, a second by
 * default; the wait is only how long the check may take under load).
 */
static size_t rss_down_to(size_t bound)
{
	struct timespec step = { 0, 20 * 1000000L };
	size_t r = rss();

	for (int i = 0; i < 1500 && r > bound; i++) {
		nanosleep(&step, NULL);
		r = rss();
	}
	return r;
}

/*
 * RSS follows the live data: 64 MiB written in blocks of mixed sizes,
 * then every other block freed, then the rest.  After each step the
 * resident set may exceed what is live by the cushion the library keeps
 * (a quarter of the live bytes, or 256 KiB), one threshold of not yet
 * scavenged frees (a sixteenth of the live bytes, or 256 KiB; the bound
 * allows an eighth) and 4 MiB of metadata and slack, once the freed
 * pages' decay time has passed.
 */
#define RSS_BLOCKS 2048
static void check_rss_follows_live(void)
{
	static void *b[RSS_BLOCKS];
	size_t n[RSS_BLOCKS], live = 0, base;

	base = rss();
	for (int i = 0; i < RSS_BLOCKS; i++) {
		n[i] = (size_t)(i % 7 + 1) * 8192 - 1000 * (i % 3);
		b[i] = malloc(n[i]);
		memset(b[i], 1, n[i]);
		live += n[i];
	}
	CHECK(rss() >= base + live - live / 64);
	for (int i = 0; i < RSS_BLOCKS; i += 2) {
		free(b[i]);
		live -= n[i];
	}
	CHECK(rss_down_to(base + live + live / 4 + live / 8 + (4u << 20)) <=
	      base + live + live / 4 + live / 8 + (4u << 20));
	printf("rss: %zu KiB above the start with %zu KiB live\n", (rss() - base) >> 10, live >> 10);
	for (int i = 1; i < RSS_BLOCKS; i += 2)
		free(b[i]);
	CHECK(rss_down_to(base + (4u << 20)) <= base + (4u << 20));
	printf("rss: %zu KiB above the start with nothing live\n", (rss() - base) >> 10);
}

__attribute__((noinline)) void *misuse_thread(void *p);
__attribute__((noinline)) void *misuse_thread(void *p)
{
	free(p);
	return NULL;
}

/* Frees p, says so, and stays (its magazine holds p). */
static volatile int remote_freed;
static void *free_and_stay(void *p)
{
	free(p);
	remote_freed = 1;
	for (;;)
		pause();
}

/*
 * With every block guarded (KHEAP_CHECK=3, or KHEAP_SAMPLE=1): one of n
 * bytes at the end of its pages, below the guard page after it, or at
 * their start, above the one before it.  Samples in a row alternate, so
 * one of two mallocs is placed as asked; the other is freed.  Inline:
 * the allocation site is misuse.
 */
static inline __attribute__((always_inline)) char *guarded(size_t n, bool at_start)
{
	char *a = malloc(n), *b = malloc(n);

	if ((((uintptr_t)a & 4095) == 0) == at_start) {
		free(b);
		return a;
	}
	free(a);
	return b;
}
#define at_end(n) guarded(n, false)
#define at_start(n) guarded(n, true)

__attribute__((noinline)) void misuse(int k);
__attribute__((noinline)) void misuse(int k)
{
	char *p = malloc(100), *q = malloc(50000);
	void *volatile v;
	char *volatile w;
	pthread_t t;

	switch (k) {
	case 0: free(p); free(p); break;		/* double free */
	case 1: free(p + 16); break;			/* not the start */
	case 2: free(q + 4096); break;			/* inside a large block */
	case 3: free((void *)&k); break;		/* not a heap pointer */
	case 4: p = realloc(p + 8, 200); break;		/* bad realloc pointer */
	case 5: free(p); p = realloc(p, 200); break;	/* realloc after free */
	case 6: free(p); v = p; memset(v, 0, 16); v = malloc(100); break; /* write after free */
	case 7: free(p);				/* double free from another thread */
		pthread_create(&t, NULL, misuse_thread, p);
		pthread_join(t, NULL);
		break;
	case 8: free(p); v = p; printf("%zu\n", malloc_usable_size(v)); break;
	case 9: w = p; w[100] = 0; free(p); break;	/* a string's zero one past the end */
	case 10: w = p; memset(w + 100, 'x', 8); free(p); break;	/* 8 bytes over */
	case 11: w = q; w[50000] = 'x'; free(q); break;	/* 1 byte over a large block */
	case 12: w = q; memset(w + 50000, 'x', 8); free(q); break;
	case 13: w = malloc(100); w[-1] = 'x'; free(w); break;	/* before the start */
	case 14: free(p); w = p; w[10] = 'x';		/* after free: found at reuse */
		for (int i = 0; i < 200; i++)
			v = malloc(100);
		break;
	case 15: w = at_end(112); w[112] = 'x'; break;	/* into the guard page after it */
	case 16: free(q); w = q; printf("%d\n", w[100]); break;	/* read after free, large */
	case 17: free(p); w = p; w[10] = 'x'; break;	/* write after free, at the write */
	case 18: w = at_start(100); w[-1] = 'x'; break;	/* into the guard page before it */
	case 19: w = at_end(100); w[-1] = 'x'; free(w); break;	/* before it: found at free */
	case 20: pthread_create(&t, NULL, misuse_thread, p);	/* a remote free, back in */
		pthread_join(t, NULL);				/* p's slab at the exit, */
		free(p);					/* then freed again */
		break;
	case 21: pthread_create(&t, NULL, free_and_stay, p);	/* a remote free, cached */
		while (!remote_freed)				/* by a thread still there, */
			sched_yield();
		free(p);					/* then freed again */
		break;
	}
	printf("misuse %d did not abort\n", k);
	exit(0);
}

/*
 * What a debug level must not mistake for misuse: contents that look like
 * poison (0x6B), like canaries (0xC0 | low address bits), like a magazine
 * key (an object's own address), and strings that fill every usable byte,
 * through malloc, realloc, calloc and free.  At a level above 0 the usable
 * size is the requested size.
 */
static int lookalikes(void)
{
	const char *lv = getenv("KHEAP_CHECK");
	bool exact = lv && strcmp(lv, "0");
	int bad = 0;

	for (size_t n = 1; n < 20000; n += n < 300 ? 1 : 997) {
		unsigned char *p = malloc(n), *q;
		size_t u = malloc_usable_size(p);

		bad += exact && u != n;
		memset(p, 0x6B, u);
		free(p);
		p = malloc(n);
		for (size_t i = 0; i < u; i++)
			p[i] = (unsigned char)(0xC0 | (((uintptr_t)p + i) & 0x3F));
		if (n >= sizeof(uintptr_t)) {
			uintptr_t self = (uintptr_t)p;		/* its own address, as a key */

			memcpy(p, &self, sizeof(self));
		}
		q = realloc(p, n + 1);
		memset(q, 'a', malloc_usable_size(q) - 1);
		q[malloc_usable_size(q) - 1] = 0;
		bad += strlen((char *)q) != malloc_usable_size(q) - 1;
		free(q);
		q = calloc(1, n);
		bad += q[n - 1] != 0;
		free(q);
	}
	printf("lookalikes: %d wrong\n", bad);
	return bad != 0;
}

/*
 * Blocks freed by another thread, then allocated again: no two live
 * blocks may overlap, and none may lose its contents.
 */
#define XBLOCKS 4096
static void *xb[XBLOCKS];
static size_t xn[XBLOCKS];

static void *free_all(void *arg)
{
	(void)arg;
	for (int i = 0; i < XBLOCKS; i++)
		free(xb[i]);
	return NULL;
}

static int by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static void check_cross_thread(void)
{
	static void *sorted[XBLOCKS];
	size_t bad = 0;
	pthread_t t;

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < XBLOCKS; i++) {
			xn[i] = 1 + (size_t)(i * 7919 + round) % 1100;
			xb[i] = malloc(xn[i]);
			memset(xb[i], (i + round) & 0xFF, xn[i]);
		}
		for (int i = 0; i < XBLOCKS; i++)
			bad += ((unsigned char *)xb[i])[xn[i] - 1] != ((i + round) & 0xFF);
		memcpy(sorted, xb, sizeof(xb));
		qsort(sorted, XBLOCKS, sizeof(void *), by_address);
		for (int i = 1; i < XBLOCKS; i++)
			bad += (uintptr_t)sorted[i - 1] + malloc_usable_size(sorted[i - 1]) > (uintptr_t)sorted[i];
		pthread_create(&t, NULL, free_all, NULL);
		pthread_join(t, NULL);
	}
	CHECK(bad == 0);
}

/*
 * An owner thread exits while others still free its blocks: it allocates
 * and writes them and exits; two threads each free half of them while
 * they allocate, write and check blocks of their own; then no two live
 * blocks may overlap and none may lose its contents.
 */
#define OBLOCKS 4096
static void *ob[OBLOCKS];

static void *alloc_and_exit(void *arg)
{
	(void)arg;
	for (int i = 0; i < OBLOCKS; i++) {
		ob[i] = malloc(1 + (size_t)(i * 7919) % 1024);
		memset(ob[i], i & 0xFF, 1 + (size_t)(i * 7919) % 1024);
	}
	return NULL;
}

static void *free_half_and_churn(void *arg)
{
	int half = (int)(uintptr_t)arg;
	void *mine[OBLOCKS / 2];
	size_t bad = 0;

	for (int i = 0; i < OBLOCKS / 2; i++) {
		int k = half * (OBLOCKS / 2) + i;

		bad += ((unsigned char *)ob[k])[(size_t)(k * 7919) % 1024] != (k & 0xFF);
		free(ob[k]);
		mine[i] = malloc(1 + (size_t)i % 700);
		memset(mine[i], half + 1, 1 + (size_t)i % 700);
	}
	for (int i = 0; i < OBLOCKS / 2; i++) {
		bad += ((unsigned char *)mine[i])[(size_t)i % 700] != half + 1;
		ob[half * (OBLOCKS / 2) + i] = mine[i];	/* what is live now */
	}
	return (void *)bad;
}

static void check_owner_exits(void)
{
	static void *sorted[OBLOCKS];
	pthread_t t[2];
	void *bad[2];
	size_t overlaps = 0;

	pthread_create(&t[0], NULL, alloc_and_exit, NULL);
	pthread_join(t[0], NULL);
	for (int h = 0; h < 2; h++)
		pthread_create(&t[h], NULL, free_half_and_churn, (void *)(uintptr_t)h);
	for (int h = 0; h < 2; h++)
		pthread_join(t[h], &bad[h]);
	CHECK(bad[0] == NULL && bad[1] == NULL);
	memcpy(sorted, ob, sizeof(ob));
	qsort(sorted, OBLOCKS, sizeof(void *), by_address);
	for (int i = 1; i < OBLOCKS; i++)
		overlaps += (uintptr_t)sorted[i - 1] + malloc_usable_size(sorted[i - 1]) > (uintptr_t)sorted[i];
	CHECK(overlaps == 0);
	for (int i = 0; i < OBLOCKS; i++)
		free(ob[i]);
}

/*
 * Two threads taking turns get their blocks from slabs of their own: no
 * page holds blocks of both (a fresh process, so no magazine of another
 * thread's blocks waits in the depot).  Exit 0 when none is shared.
 */
#define TURNS 300
static void *turn_blocks[2][TURNS];
static pthread_mutex_t turn_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void *take_turns(void *arg)
{
	int me = (int)(uintptr_t)arg;

	for (int i = 0; i < TURNS; i++) {
		pthread_mutex_lock(&turn_mu);
		while (turn != 2 * i + me)
			pthread_cond_wait(&turn_cv, &turn_mu);
		turn_blocks[me][i] = malloc(16 + (size_t)(i % 4) * 16);
		turn++;
		pthread_cond_broadcast(&turn_cv);
		pthread_mutex_unlock(&turn_mu);
	}
	return NULL;
}

static int owned_slabs(void)
{
	pthread_t t[2];
	int shared = 0;

	free(malloc(16));	/* this thread's cache first: the two turn-takers make three */
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, take_turns, (void *)(uintptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < TURNS; i++)
		for (int j = 0; j < TURNS; j++)
			shared += (uintptr_t)turn_blocks[0][i] / 4096 == (uintptr_t)turn_blocks[1][j] / 4096;
	printf("owned-slabs: %d pairs of blocks of the two threads share a page\n", shared);
	return shared != 0;
}

/* Threads that allocate and free small blocks, then exit, one after another. */
static void *churn_and_exit(void *arg)
{
	void *keep[2000];

	(void)arg;
	for (int i = 0; i < 2000; i++)
		keep[i] = malloc(16 + (size_t)(i * 37) % 1009);
	for (int i = 0; i < 2000; i++)
		free(keep[i]);
	return NULL;
}

static void thread_exits(void)
{
	for (int i = 0; i < 32; i++) {
		pthread_t t;

		pthread_create(&t, NULL, churn_and_exit, NULL);
		pthread_join(t, NULL);
	}
}

/*
 * Decay (tests/lib/run sets KHEAP_DECAY_MS): 32 MiB in blocks of 64 KiB
 * written and freed, and what the resident set does after.  rss_base is
 * the resident set before, with the library set up; "back" is at most 2%
 * above it plus DECAY_SLACK: the metadata the heap keeps for pages it once
 * used, the slabs the idle threads' own magazines hold, the decay thread's
 * stack, a joined thread's stack that glibc keeps for the next (measured:
 * 0.6-1.5 MiB; docs/libkheap.md, "Limits"); far less than the 32 MiB freed.
 */
#define DBLOCKS 512
#define DBLOCK (64u << 10)
#define DECAY_SLACK (2u << 20)
static void *db[DBLOCKS];
static size_t rss_base;

static void fill_and_free(unsigned seed)
{
	for (int i = 0; i < DBLOCKS; i++) {
		db[i] = malloc(DBLOCK);
		memset(db[i], (int)(seed + i), DBLOCK);
	}
	for (int i = 0; i < DBLOCKS; i++)
		free(db[i]);
}

static size_t back(void) { return rss_base + rss_base / 50 + DECAY_SLACK; }

/* RSS once back at the start (or 30 s later), printed; true if back. */
static bool came_back(const char *who)
{
	size_t r = rss_down_to(back());

	printf("%s: rss %zu KiB at the start, %zu KiB after the decay (bound %zu)\n", who,
	       rss_base >> 10, r >> 10, back() >> 10);
	return r <= back();
}

/* Decay time of minutes: nothing freed goes back in the first moments. */
static int decay_keeps(void)
{
	struct timespec t = { 0, 200 * 1000000L };

	fill_and_free(1);
	nanosleep(&t, NULL);
	printf("decay-keeps: %zu KiB above the start after freeing %u KiB\n",
	       (rss() - rss_base) >> 10, DBLOCKS * DBLOCK >> 10);
	return rss() < rss_base + (size_t)DBLOCKS * DBLOCK;
}

/*
 * Many slabs, then idle: 32768 blocks of 2000 bytes fill 16384 one-page
 * slabs (64 MiB) whose descriptors take 104 bytes each, about 420
 * metadata pages (1.7 MiB).  Once idle, the pages of unused descriptors
 * go back too, so RSS ends within 2% of the start plus the block array
 * this case touched, the per-page arrays of the pages it used (about 36
 * bytes a page: state, frame, page descriptor; the bound allows 48) and
 * 512 KiB of library code and stacks paged in; the descriptors alone
 * would exceed that by 1 MiB.
 */
#define SBLOCKS 32768
#define SBLOCK 2000
#define SPAGES (SBLOCKS / 2)
static void *sb[SBLOCKS];

static int decay_slabs(void)
{
	size_t bound = rss_base + rss_base / 50 + sizeof(sb) + SPAGES * 48 + (512u << 10), r;

	for (int i = 0; i < SBLOCKS; i++) {
		sb[i] = malloc(SBLOCK);
		memset(sb[i], i, SBLOCK);
	}
	for (int i = 0; i < SBLOCKS; i++)
		free(sb[i]);
	r = rss_down_to(bound);
	printf("decay-slabs: rss %zu KiB at the start, %zu KiB after the decay (bound %zu)\n",
	       rss_base >> 10, r >> 10, bound >> 10);
	return r > bound;
}

/* The program goes idle after its last free: the decay thread brings RSS back. */
static int decay_idle(void)
{
	fill_and_free(2);
	return !came_back("decay-idle");
}

/*
 * Fork while the freed pages wait on the schedule: in the child they go
 * back after one small free (the child's own decay thread), the child's
 * heap works (it allocates and frees 32 MiB of its own, which go back
 * too), and the parent's decay goes on.
 */
static int decay_fork(void)
{
	pid_t pid;
	int st;

	fill_and_free(3);
	pid = fork();
	if (pid == 0) {
		char *volatile small = malloc(16);

		small[0] = 1;
		free(small);			/* the parent's freed pages decay here too */
		st = came_back("decay-fork child, the parent's pages");
		fill_and_free(4);
		st = came_back("decay-fork child, its own") && st;
		fflush(stdout);
		_exit(st ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return !came_back("decay-fork parent") || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

/*
 * Producer and consumer: main allocates blocks of mixed sizes and hands
 * them over a ring of 4096 (about 28 MiB live); the consumer checks each
 * and frees it.  Then both stop, and RSS must come back.
 */
#define RING 4096
#define HANDED 200000
static void *ring[RING];
static size_t ring_len[RING];
static unsigned ring_head, ring_tail;
static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv = PTHREAD_COND_INITIALIZER;

static void *consume(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < HANDED; i++) {
		void *p;
		size_t n;

		pthread_mutex_lock(&ring_mu);
		while (ring_head == ring_tail)
			pthread_cond_wait(&ring_cv, &ring_mu);
		p = ring[ring_tail % RING];
		n = ring_len[ring_tail % RING];
		ring_tail++;
		pthread_cond_broadcast(&ring_cv);
		pthread_mutex_unlock(&ring_mu);
		bad += ((unsigned char *)p)[n - 1] != (unsigned char)n;
		free(p);
	}
	return (void *)bad;
}

static int decay_threads(void)
{
	pthread_t t;
	void *bad;

	pthread_create(&t, NULL, consume, NULL);
	for (int i = 0; i < HANDED; i++) {
		size_t n = 1 + (size_t)(i * 7919) % (i % 16 ? 2000 : 200000);
		void *p = malloc(n);

		memset(p, (int)n, n);
		pthread_mutex_lock(&ring_mu);
		while (ring_head - ring_tail == RING)
			pthread_cond_wait(&ring_cv, &ring_mu);
		ring[ring_head % RING] = p;
		ring_len[ring_head % RING] = n;
		ring_head++;
		pthread_cond_broadcast(&ring_cv);
		pthread_mutex_unlock(&ring_mu);
	}
	pthread_join(t, &bad);
	printf("decay-threads: %ld blocks arrived changed\n", (long)bad);
	return !came_back("decay-threads") || bad != NULL;
}

/*
 * Idle threads' loaded magazines: LTHREADS threads each fill 63 slabs of
 * each of eight small classes (one page each, magazines of 63 rounds),
 * free every object but one of each slab, then the one left of each (so
 * their last frees, in the loaded magazines, each pin a slab of their
 * own: up to LTHREADS * 8 * 63 pages, 16 MiB), and wait, calling nothing
 * of the allocator, until main has looked.  RSS must come back to 2% of
 * the start plus 2 MiB (the threads' stacks, the per-page arrays, the
 * decay thread): only if the idle pass empties the idle threads' loaded
 * magazines (arch/lib/stop.c).  The pointer arrays are mmap'd, and
 * unmapped before the wait, so they are not in the figure.
 */
#define LTHREADS 8
#define LSLABS 63
static const unsigned lsizes[] = { 16, 32, 48, 64, 80, 96, 112, 128 };
static pthread_mutex_t idle_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle_done, idle_release;

/* Every object of one class's LSLABS slabs, the last of each slab freed last. */
static void fill_class(unsigned size, void **v)
{
	unsigned per = 4096 / size, n = per * LSLABS;

	for (unsigned i = 0; i < n; i++)
		*(char *)(v[i] = malloc(size)) = 1;
	for (unsigned k = 0; k < per; k++)
		for (unsigned j = 0; j < LSLABS; j++)
			free(v[j * per + (per - 1 - k)]);
}

static void *fill_and_idle(void *arg)
{
	size_t bytes = 4096 / 16 * LSLABS * sizeof(void *);
	void **v = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	for (unsigned c = 0; c < sizeof(lsizes) / sizeof(lsizes[0]); c++)
		fill_class(lsizes[c], v);
	munmap(v, bytes);
	pthread_mutex_lock(&idle_mu);
	idle_done++;
	pthread_cond_broadcast(&idle_cv);
	while (!idle_release)
		pthread_cond_wait(&idle_cv, &idle_mu);
	pthread_mutex_unlock(&idle_mu);
	return NULL;
}

static int decay_loaded(void)
{
	pthread_t t[LTHREADS];
	bool ok;

	for (int i = 0; i < LTHREADS; i++)
		pthread_create(&t[i], NULL, fill_and_idle, NULL);
	pthread_mutex_lock(&idle_mu);
	while (idle_done < LTHREADS)
		pthread_cond_wait(&idle_cv, &idle_mu);
	pthread_mutex_unlock(&idle_mu);
	ok = came_back("decay-loaded");
	pthread_mutex_lock(&idle_mu);
	idle_release = 1;
	pthread_cond_broadcast(&idle_cv);
	pthread_mutex_unlock(&idle_mu);
	for (int i = 0; i < LTHREADS; i++)
		pthread_join(t[i], NULL);
	return !ok;
}

static int decay_case(const char *name)
{
	free(malloc(1));
	rss_base = rss();
	if (!strcmp(name, "decay-keeps"))
		return decay_keeps();
	if (!strcmp(name, "decay-idle"))
		return decay_idle();
	if (!strcmp(name, "decay-fork"))
		return decay_fork();
	if (!strcmp(name, "decay-threads"))
		return decay_threads();
	if (!strcmp(name, "decay-slabs"))
		return decay_slabs();
	if (!strcmp(name, "decay-loaded"))
		return decay_loaded();
	printf("no case %s\n", name);
	return 2;
}

int main(int argc, char **argv)
{
	void *p, *q, *r;
	pthread_t t[4];

	if (argc == 3 && !strcmp(argv[1], "misuse"))
		misuse(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "thread-exits")) {
		thread_exits();
		return 0;
	}
	if (argc == 2 && !strncmp(argv[1], "decay-", 6))
		return decay_case(argv[1]);
	if (argc == 2 && !strcmp(argv[1], "lookalikes"))
		return lookalikes();
	if (argc == 2 && !strcmp(argv[1], "owned-slabs"))
		return owned_slabs();
	if (argc == 2 && !strcmp(argv[1], "once")) {
		free(malloc(10));
		return 0;
	}

	p = malloc(0);
	q = malloc(0);
	CHECK(p && q && p != q);
	free(p);
	free(q);
	free(NULL);
	errno = 0;
	CHECK(malloc(SIZE_MAX) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(malloc((size_t)PTRDIFF_MAX + 1) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
	p = calloc(1000, 10);
	CHECK(p && !memcmp(p, (char[10000]){ 0 }, 10000));
	free(p);
	p = malloc(100);
	memset(p, 0x5A, 100);
	errno = 0;
	CHECK(realloc(p, SIZE_MAX / 2) == NULL && errno == ENOMEM);
	CHECK(((unsigned char *)p)[99] == 0x5A);		/* the block survives */
	errno = 0;
	CHECK(reallocarray(p, SIZE_MAX / 2, 4) == NULL && errno == ENOMEM);
	p = realloc(p, 10000);
	CHECK(p && ((unsigned char *)p)[99] == 0x5A && malloc_usable_size(p) >= 10000);
	free(p);
	CHECK(malloc_usable_size(NULL) == 0);
	for (size_t a = 8; a <= 1 << 20; a *= 2) {
		p = NULL;
		CHECK(posix_memalign(&p, a, 100) == 0 && (uintptr_t)p % a == 0);
		free(p);
	}
	CHECK(posix_memalign(&p, 24, 100) == EINVAL);
	CHECK(posix_memalign(&p, 4, 100) == EINVAL);
	errno = 0;
	CHECK(aligned_alloc(3, 64) == NULL && errno == EINVAL);
	p = aligned_alloc(64, 64);
	q = memalign(4096, 10);
	r = valloc(10);
	CHECK(p && (uintptr_t)p % 64 == 0 && q && (uintptr_t)q % 4096 == 0 && r && (uintptr_t)r % 4096 == 0);
	free(p);
	free(q);
	free(r);
	p = pvalloc(10);
	CHECK(p && (uintptr_t)p % 4096 == 0 && malloc_usable_size(p) >= 4096);
	free(p);
	check_rss_follows_live();
	check_cross_thread();
	check_owner_exits();
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, i == 3 ? fork_while_busy : worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 4; i++) {
		void *bad;

		pthread_join(t[i], &bad);
		CHECK(bad == NULL);
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail != 0;
}
