/*
 * libkheap.so: the kernel heap (mm/) as the C library's malloc, for
 * LD_PRELOAD.  The region is one large MAP_NORESERVE mapping; Linux backs
 * its pages as they are written, and the scavenger hands free pages back
 * with MADV_DONTNEED, so the resident size follows the live data.
 *
 * Thread-safe: each thread's magazines of small objects (mm/magazine.h,
 * the thread's cache by the glue's MAG_CACHE_PER_THREAD) in front of one
 * process-wide lock that every other call takes; fork-safe (the lock
 * is held across fork and released in both processes).  It sets itself up on the
 * first call without calling malloc.  A misuse (invalid or double free,
 * bad realloc pointer) prints one line naming the pointer, what was wrong
 * and the caller, then aborts.
 *
 * Scavenging: after a free, once the freed-bytes counter reaches
 * KHEAP_THRESHOLD (256 KiB) or a sixteenth of the live bytes, whichever is
 * more (or that much is resident in free pages beyond the cushion), a pass
 * gives back the free pages beyond a cushion: KHEAP_RETAIN pages, or a
 * percentage of the live bytes (25%, or the environment's
 * KHEAP_RETAIN=percent) when that is more.  The cushion is what a steady
 * churn reuses without refaulting; a heap that empties keeps 256 KiB.
 * Pages beyond it go only once free for KHEAP_DECAY_MS (1000; 0: at once),
 * the scavenger's decay schedule, which the decay thread (arch/lib/decay.c)
 * also runs when the program stops freeing; after a whole quiet decay
 * time everything free goes, the cushion too.
 *
 * Pages committed again after being given back are backed at once
 * (MADV_POPULATE_WRITE) when the range is at most 4 MiB (KHEAP_PREFAULT=KiB;
 * 0 turns it off); a page's first use faults in lazily.
 *
 * KHEAP_STATS=1 prints the heap's figures on stderr at exit.
 *
 * KHEAP_CHECK=0..3 sets the heap's debug level (mm/kheap.h: canaries and
 * poison from 1, allocation and free sites from 2); KHEAP_LEAKS=1 prints
 * the leak report (live allocations by site) at exit, the default at
 * level 2 and above.  KHEAP_SAMPLE=N (0 for none) makes one allocation
 * in N a guarded block at every level (mm/heapguard.c, made inaccessible
 * by arch/lib/guard.c; at level 0 only allocations that miss the
 * magazines count): by default KHEAP_SAMPLE_DEFAULT; every one at level 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "arch/lib/lib.h"
#include "mm/kheap.h"
#include "mm/magazine.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/pagestate.h"

#define API __attribute__((visibility("default")))
#define KHEAP_PAGES	(2u << 20)		/* an 8 GiB region */
#define KHEAP_THRESHOLD	(256u << 10)		/* or a sixteenth of the live bytes */
#define KHEAP_RETAIN	64u			/* pages */
#define KHEAP_RETAIN_PCT 25u			/* of the live bytes; KHEAP_RETAIN= */
#define KHEAP_PREFAULT	4096u			/* KiB; KHEAP_PREFAULT= */
#define KHEAP_DECAY_MS	1000u			/* KHEAP_DECAY_MS= */
#define KHEAP_SAMPLE_DEFAULT 2000u		/* docs/debugging.md, "Guarded blocks": its cost */

static volatile int ready;

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		panic("cannot map %zu bytes for the heap", bytes);
	return p;
}

static void before_fork(void) { irq_save(); }
static void after_fork_parent(void) { irq_restore(0); }
static volatile int force_pass;		/* the next free runs the schedule */

static void after_fork_child(void)
{
	lib_lock_reset_in_child();
	mag_after_fork_child();
	if (lib_decay_after_fork_child())
		force_pass = 1;			/* the child's own decay thread */
}

/* A thread's magazines go to the depot when it exits (the key's destructor). */
static pthread_key_t exit_key;
static bool have_exit_key;

static void on_thread_exit(void *c) { mag_cache_leave(c); }

void platform_cache_joined(struct mag_cache *c)
{
	lib_stop_note_cache(c);
	if (have_exit_key && pthread_setspecific(exit_key, c))
		klog(LOG_WARN, "no thread-exit hook for a magazine cache: it stays loaded");
}

/* A number from the environment (0-max), or def; a bad one is said and ignored. */
static size_t env_number(const char *name, size_t def, size_t max, const char *what)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v)
		return def;
	n = strtoul(v, &end, 10);
	if (end == v || *end || n > max) {
		klog(LOG_WARN, "%s='%s' is not %s 0-%zu: using %zu", name, v, what, max, def);
		return def;
	}
	return n;
}

static void print_leaks(void) { kheap_print_leaks(); }

/* KHEAP_CHECK: the debug level; KHEAP_LEAKS: the leak report at exit (default from 2). */
static void setup_checks(void)
{
	size_t level = env_number("KHEAP_CHECK", 0, 3, "a level");

	size_t every = env_number("KHEAP_SAMPLE", KHEAP_SAMPLE_DEFAULT, 1u << 30, "a count");

	if (level)
		kheap_set_check((unsigned)level);
	if (every)
		guard_init((unsigned)every);
	if (env_number("KHEAP_LEAKS", level >= 2, 1, "a switch"))
		atexit(print_leaks);
}

/* KHEAP_STATS=1: the heap's and the scavenger's figures on stderr at exit. */
static void print_stats(void)
{
	uint64_t all, contended;

	kheap_print_stats();
	scavenge_print_stats();
	lib_lock_counts(&all, &contended);
	kprintf("heap: lock taken %llu times, %llu of them waiting for another thread",
		(unsigned long long)all, (unsigned long long)contended);
}

static void setup(void)
{
	struct phys_range ram = { 1u << 20, ((uint64_t)KHEAP_PAGES + 256) * PAGE_SIZE, PR_RAM };
	struct scav_config cfg = {
		.threshold_bytes = KHEAP_THRESHOLD,
		.bg_pages_per_tick = 1u << 30,
		.bg_retain_pages = KHEAP_RETAIN,
		.bg_retain_live_pct = KHEAP_RETAIN_PCT,
	};
	pfn_t max = frame_max_pfn(&ram, 1);
	uintptr_t region = (uintptr_t)map((size_t)KHEAP_PAGES * PAGE_SIZE);

	lib_mmu_init(region, KHEAP_PAGES, map((size_t)KHEAP_PAGES * sizeof(uint32_t)),
		     map(KHEAP_PAGES / 32 * sizeof(uint32_t)));
	frame_init(map(frame_db_size(max)), max, &ram, 1);	/* a frame per page: never short */
	pagestate_init(frame_alloc());
	pagestate_watch_uniform(region, KHEAP_PAGES, PS_AOW);	/* the array reads AOW when zero */
	kheap_init(region, KHEAP_PAGES, map(kheap_meta_size(KHEAP_PAGES)), false);
	cfg.bg_retain_live_pct = env_number("KHEAP_RETAIN", KHEAP_RETAIN_PCT, 10000, "a percentage");
	lib_set_prefault(env_number("KHEAP_PREFAULT", KHEAP_PREFAULT, 1u << 20, "a size in KiB") << 10);
	cfg.decay_ms = (uint32_t)env_number("KHEAP_DECAY_MS", KHEAP_DECAY_MS, 3600000, "a time in ms");
	scavenge_init(&cfg);
	have_exit_key = !pthread_key_create(&exit_key, on_thread_exit);
	if (!env_number("KHEAP_TCACHE", 1, 1, "a switch"))
		mag_set_enabled(false);
	setup_checks();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (getenv("KHEAP_STATS"))
		atexit(print_stats);
}

static inline void init(void)
{
	if (__builtin_expect(ready, 1))
		return;
	irq_save();
	if (!ready) {
		setup();
		ready = 1;
	}
	irq_restore(0);
}

/*
 * The paced pass, when a threshold's worth was freed since the last pass
 * (or since a try that found no more than the cushion resident, without
 * which every free past the threshold would try again), or when a
 * threshold's worth of free pages is resident beyond the cushion: freeing
 * the last few objects of many slabs frees whole pages for few bytes.
 * The figures are read without the lock: a stale one only moves a pass
 * by one call.
 */
static size_t tried_at;

static void maybe_scavenge(void)
{
	size_t f = kheap_freed(), t = MAX(KHEAP_THRESHOLD, kheap_live_bytes() / 16);

	if (!force_pass && (f < t || (f >= tried_at && f - tried_at < t)) &&
	    scavenge_excess() < t / PAGE_SIZE)
		return;
	force_pass = 0;
	if (scavenge_decay(lib_now_ms()))	/* the clock only here: a pass may run */
		lib_decay_kick();
	tried_at = kheap_freed();
}

/* No object is larger than PTRDIFF_MAX: such a size never reaches the heap. */
static bool too_large(size_t n) { return n > PTRDIFF_MAX; }

/* How every entry point refuses for want of memory: NULL, errno ENOMEM. */
static void *enomem(void)
{
	errno = ENOMEM;
	return NULL;
}

API void *malloc(size_t n)
{
	void *p;

	init();
	p = too_large(n) ? NULL : kheap_malloc_from(n, CALLER());	/* the thread's magazines first */
	return p ? p : enomem();
}

API void free(void *p)
{
	if (!p)
		return;
	init();
	kheap_free_from(p, CALLER());
	maybe_scavenge();
}

API void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	init();
	if (__builtin_mul_overflow(n, size, &total) || too_large(total))
		return enomem();
	p = kheap_malloc_from(total, CALLER());
	if (!p)
		return enomem();
	memset(p, 0, total);
	return p;
}

API void *realloc(void *p, size_t n)
{
	void *q;

	init();
	if (too_large(n))
		return enomem();
	q = kheap_realloc_from(p, n, CALLER());
	if (!q)
		return enomem();	/* p, if any, is untouched */
	if (p && q != p)
		maybe_scavenge();
	return q;
}

API void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return enomem();
	return realloc(p, total);
}

static bool pow2(size_t a) { return a && !(a & (a - 1)); }

/* Aligned allocation for every entry point; a is a power of two. */
static void *aligned(size_t a, size_t n, uintptr_t caller)
{
	void *p;

	init();
	if (too_large(n))
		return enomem();
	p = a <= 8 ? kheap_malloc_from(n, caller) : kheap_aligned_from(n, a, caller);
	return p ? p : enomem();
}

API int posix_memalign(void **out, size_t a, size_t n)
{
	void *p;

	if (!pow2(a) || a % sizeof(void *))
		return EINVAL;
	p = aligned(a, n, CALLER());
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

API void *aligned_alloc(size_t a, size_t n)
{
	if (!pow2(a)) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(a, n, CALLER());
}

API void *memalign(size_t a, size_t n)
{
	if (!pow2(a)) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(a, n, CALLER());
}

API void *valloc(size_t n)
{
	return aligned(PAGE_SIZE, n, CALLER());
}

API void *pvalloc(size_t n)
{
	if (too_large(n) || too_large(n + PAGE_SIZE))	/* the rounding cannot wrap */
		return enomem();
	return aligned(PAGE_SIZE, (n + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1), CALLER());
}

API size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	init();
	return kheap_size_from(p, CALLER());
}
