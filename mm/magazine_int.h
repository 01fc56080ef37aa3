/*
 * The magazine layer's internals (design in docs/magazines.md), for the
 * API (mm/kheap.c), the scavenger and the figures: mm/ only.
 *
 * Each cache (one per CPU, or per thread: mm/platform.h) holds for each
 * cached class a loaded and a previous magazine, Bonwick's pair: the
 * loaded one takes and gives single objects, the previous one is always
 * full or empty, so a miss swaps them before it goes to the depot.  The
 * round counts live in the cache, not in the magazine, so a new cache
 * (all zero) misses both ways and needs no set-up.
 *
 * A cached object's first word holds its key, mag_secret ^ its address;
 * nothing else in the heap is meant to hold it, and a free that finds it
 * asks the slow path, which searches the magazines (mag_holds) before it
 * calls the free a double free.
 *
 * Context: the fast paths (mag_pop, mag_push) run without the heap lock,
 * as restartable sections where the platform has them (the kernel:
 * arch/x86/restart.h) and with the current cache pinned elsewhere
 * (cache_pin); the swaps pin it everywhere; everything else here asserts
 * the heap lock.
 */
#ifndef MM_MAGAZINE_INT_H
#define MM_MAGAZINE_INT_H

#include "mm/magazine.h"
#include "mm/heap_int.h"

#define MAG_CLASSES	29		/* classes 0..28: 8 to MAG_MAX_SIZE (4096) bytes */
#define MAG_ROUNDS	63		/* the largest magazine; a class may use fewer */
/*
 * A class's magazine holds MAG_BYTES / size rounds, at least
 * MAG_MIN_ROUNDS and at most MAG_ROUNDS: 63 up to 128 bytes, 8 of 1024,
 * 4 from 1792 up, so none caches more than 16 KiB of objects (4 of 4096
 * bytes); docs/magazines.md says why.
 */
#define MAG_BYTES	8192
#define MAG_MIN_ROUNDS	4

struct magazine {
	struct magazine *next;		/* depot list; pool */
	void *round[MAG_ROUNDS];
};

/*
 * One class of a cache: 16 bytes on i386, 32 on 64-bit (23 padded to a
 * power of two, so the class's offset is one shift), so the fast paths
 * reach all of it from one pointer or offset (the hit counter is here,
 * not in the cache, for that).  Only kmalloc's hits are counted: a kfree hit adds a round, so
 * free hits are alloc_hits + the rounds held - what the slow paths and swaps moved
 * in (struct mag_cache's moved), all mod 2^32 (mag_stats).
 */
struct mag_class_cache {
	struct magazine *loaded, *prev;
	uint32_t alloc_hits;		/* 32 bits: one add on the fast path; wraps */
	uint8_t rounds, prounds;	/* objects in each (MAG_ROUNDS fits) */
	uint8_t size;			/* rounds a magazine holds; 0 with none loaded */
} __attribute__((aligned(4 * sizeof(void *))));

struct mag_cache {
	struct mag_class_cache cc[MAG_CLASSES];
	uint32_t moved;			/* rounds the slow paths added, less those they took; wraps */
	uint32_t alloc_swaps, free_swaps;	/* misses served by a swap, no lock: wraps */
	uint32_t swapping;		/* claimed by its swap or mag_take_prevs (magazine.c) */
	uint64_t alloc_misses, free_misses;	/* the rest: under the heap lock */
	struct mag_cache *next, *prev;	/* the registry (heap lock) */
	bool joined, left;
};

extern uintptr_t mag_secret;
extern bool mag_on;
/*
 * kfree's one gate (mag_push): MAG_CLASSES when the magazines are on and
 * kfree is not traced, else 0 (a traced push writes its line with
 * interrupts off, in the slow path, which gates with mag_on instead).
 */
extern unsigned mag_ncls;
extern size_t mag_fast_size;		/* MAG_MAX_SIZE when on and untraced, else 0: the same */

static inline __attribute__((always_inline)) uintptr_t mag_key(const void *p) { return mag_secret ^ (uintptr_t)p; }
static inline __attribute__((always_inline)) uintptr_t *mag_word(void *p) { return (uintptr_t *)p; }

#ifdef MAG_CACHE_PER_THREAD
extern __thread struct mag_cache mag_thread_cache __attribute__((tls_model("initial-exec")));
static inline struct mag_cache *mag_current(void) { return &mag_thread_cache; }
#else
extern struct mag_cache mag_caches[MAG_NCACHES];
#ifdef CACHE_CURRENT
/* &mag_caches[cache_id()], which mag_init gave the platform: one load (the kernel's per-CPU segment). */
static inline struct mag_cache *mag_current(void) { return cache_current(); }
#else
/*
 * &mag_caches[i], set by mag_init: one load from the CPU's number.  The
 * fast paths reach a class as the cache's address plus 16 * cls; indexing
 * the array instead lets gcc fold the two products into one and build it
 * from four leas and shifts.
 */
extern struct mag_cache *mag_cache_at[MAG_NCACHES];
static inline struct mag_cache *mag_current(void) { return mag_cache_at[cache_id()]; }
#endif
#endif

/*
 * Take a cached object of class cls (< MAG_CLASSES) for kmalloc into *p;
 * false on a miss.  Its key is still in its first word: the caller checks
 * and clears it (kheap.c reports a key that changed while cached).
 * Always inlined: the hit is the whole of a kmalloc's fast path.
 *
 * Where the platform has restartable sections (CACHE_RESTART: the
 * kernel, arch/x86/restart.h) the hit is one, with interrupts on: read
 * the round count, take the top round, store the count less one (the
 * commit).  An interrupt inside it is sent back to its start by the
 * entry before its handler runs, so a handler's own kmalloc or kfree on
 * this cache completes first and the hit then reads the cache afresh.
 * Elsewhere the cache is pinned around the same steps.
 */
#ifdef CACHE_RESTART
/*
 * Where the class's part of the current cache is for the sections: an
 * offset in the cache, which the platform's sections add to the current
 * cache's address themselves (the kernel: the base of a per-CPU segment).
 */
static inline __attribute__((always_inline)) uintptr_t mag_class_at(unsigned cls)
{
	return __builtin_offsetof(struct mag_cache, cc) + cls * sizeof(struct mag_class_cache);
}

/*
 * mag_class_at(slab_class_of(n)) at [(n - 1) / 8] for n of 1 to
 * MAG_MAX_SIZE: kmalloc's class and its offset in one load (mag_pop_size).
 * mag_init fills it from slab_class_for, the one table of classes.
 */
extern uint16_t mag_at_for[MAG_MAX_SIZE / 8];

static inline __attribute__((always_inline)) bool mag_pop_at(uintptr_t cc, void **p)
{
	void *q;

	cache_restart_pop(cc, __builtin_offsetof(struct mag_class_cache, rounds),
			  __builtin_offsetof(struct mag_class_cache, loaded),
			  __builtin_offsetof(struct magazine, round),
			  __builtin_offsetof(struct mag_class_cache, alloc_hits), q, miss);
	*p = q;
	return true;
	/* cppcheck-suppress unusedLabel ; the section's jump (asm goto) */
miss:
	return false;
}

static inline __attribute__((always_inline)) bool mag_pop(unsigned cls, void **p)
{
	return mag_pop_at(mag_class_at(cls), p);
}

/* mag_pop of the class of a kmalloc of size_less1 + 1 bytes (< MAG_MAX_SIZE). */
static inline __attribute__((always_inline)) bool mag_pop_size(size_t size_less1, void **p)
{
	return mag_pop_at(mag_at_for[size_less1 / 8], p);
}
#else
static inline __attribute__((always_inline)) bool mag_pop(unsigned cls, void **p)
{
	unsigned long f = cache_pin();
	struct mag_class_cache *cc = &mag_current()->cc[cls];
	unsigned n = cc->rounds;

	if (__builtin_expect(n == 0, 0)) {
		cache_unpin(f);
		return false;
	}
	cc->rounds = (uint8_t)--n;
	*p = cc->loaded->round[n];
	cc->alloc_hits++;
	cache_unpin(f);
	return true;
}

static inline __attribute__((always_inline)) bool mag_pop_size(size_t size_less1, void **p)
{
	return mag_pop(slab_class_of_less1(size_less1), p);
}
#endif

/*
 * p (valid, keyed) onto the loaded magazine of class cls of the current
 * cache if it has room: a restartable section as mag_pop's (write the
 * slot above the count, then store the count plus one: the commit), or
 * pinned.
 */
#ifdef CACHE_RESTART
static inline __attribute__((always_inline)) bool mag_put(unsigned cls, void *p)
{
	uintptr_t cc = mag_class_at(cls);

	cache_restart_push(cc, __builtin_offsetof(struct mag_class_cache, rounds),
			   __builtin_offsetof(struct mag_class_cache, loaded),
			   __builtin_offsetof(struct magazine, round),
			   __builtin_offsetof(struct mag_class_cache, size), p, full);
	return true;
	/* cppcheck-suppress unusedLabel ; the section's jump (asm goto) */
full:
	return false;
}
#else
static inline __attribute__((always_inline)) bool mag_put(unsigned cls, void *p)
{
	unsigned long f = cache_pin();
	struct mag_class_cache *cc = &mag_current()->cc[cls];
	unsigned n = cc->rounds;

	if (__builtin_expect(n >= cc->size, 0)) {
		cache_unpin(f);
		return false;
	}
	cc->loaded->round[n] = p;
	cc->rounds = (uint8_t)(n + 1);	/* counted as a hit by the rounds it adds */
	cache_unpin(f);
	return true;
}
#endif

/*
 * MAG_UNCACHED: p is on a slab page of a class at or above the gate (not
 * cached, or the magazines off, or kfree traced).  MAG_REMOTE: p is valid, its key not
 * yet looked at, and its slab is owned by another cache: it goes back to its slab, so that
 * this cache never hands out an object on another cache's lines.
 */
enum mag_push {
	MAG_PUSHED, MAG_BYPASS, MAG_KEYED, MAG_NO_ROOM, MAG_UNCACHED, MAG_REMOTE
};

/*
 * Take the free of p into the current cache if p is the start of a live
 * object of a cached class (below mag_ncls, or for a traced free every
 * one while the magazines are on) and the loaded magazine has room.  Otherwise:
 * MAG_BYPASS (not a cached class, or not a valid pointer: the slow path
 * says which), MAG_KEYED (p holds its key: cached already, or data that
 * looks like it; the slow path searches), MAG_REMOTE (a remote free: p
 * valid, its slab another cache's, its key unread; the slow path checks
 * it as MAG_KEYED and frees it to its slab),
 * MAG_NO_ROOM (p is valid and now holds its key; the slow path finds a
 * magazine or frees it).
 *
 * The key is written before the cache is read: that write may fault (a
 * page the caller never wrote), and the fault may run a scavenger pass
 * that empties this cache.
 */
static inline __attribute__((always_inline)) enum mag_push mag_push(void *p, bool traced)
{
	uint32_t i = pagerun_index((uintptr_t)p);
	const struct pgdesc *d;
	const struct slab *s;
	unsigned cls;
	uint32_t idx;
	uintptr_t key;

	if (__builtin_expect(i == PG_NONE, 0))
		return MAG_BYPASS;
	d = pagerun_desc(i);
	cls = d->cls;
	if (__builtin_expect(d->kind != PK_SLAB, 0))
		return MAG_BYPASS;
	if (__builtin_expect(cls >= (traced ? (mag_on ? MAG_CLASSES : 0u) : mag_ncls), 0))
		return MAG_UNCACHED;
	s = d->u.slab;
	idx = slab_class_div_exact((uint32_t)((uintptr_t)p - s->base), cls);	/* s's class */
	if (__builtin_expect(idx >= s->nobj || slab_object_free(s, idx), 0))
		return MAG_BYPASS;
	if (slab_owned_elsewhere(s))
		return MAG_REMOTE;		/* before the key: the slow path searches */
	key = mag_key(p);
	if (__builtin_expect(*mag_word(p) == key, 0))
		return MAG_KEYED;
	*mag_word(p) = key;
	return __builtin_expect(mag_put(cls, p), 1) ? MAG_PUSHED : MAG_NO_ROOM;
}

/* --- the slow paths (heap lock held) ---------------------------------- */

void mag_init(void);
/*
 * The misses a swap serves, without the heap lock (the current cache
 * pinned, as on a hit): kmalloc's when the loaded magazine is empty and
 * the previous one full (*p: a cached object, its key still in it), and
 * kfree's when the loaded one is full and the previous one empty (p valid
 * and keyed, as mag_push left it on MAG_NO_ROOM).  False when a swap
 * would not serve: the caller takes the lock and calls mag_alloc_miss or
 * mag_free_miss.
 */
bool mag_swap_pop(unsigned cls, void **p);
bool mag_swap_push(void *p, unsigned cls);
/* A miss of kmalloc: a cached object after a swap or a depot exchange, or NULL. */
void *mag_alloc_miss(unsigned cls);
/*
 * A free that found no room (p valid, keyed): cache it after a swap or a
 * depot exchange (true), or clear its key and return false (the caller
 * frees it to its slab).
 */
bool mag_free_miss(void *p, unsigned cls);
/* Does a magazine, of any cache or the depot, hold p (of class cls)? */
bool mag_holds(const void *p, unsigned cls);
/*
 * Before a scavenger pass: the working-set trim of the depot, or (all)
 * the current cache and the whole depot back to the slabs.
 */
void mag_reclaim(bool all);
/*
 * Every cache's previous magazine to the depot (before mag_reclaim(true)
 * empties it): other CPUs' and threads' caches too; their hits never touch
 * it, and their lock-free swaps claim the cache as this does (a cache
 * claimed at the time keeps its magazine until the next such pass).
 * Per-thread caches whose thread the platform could stop
 * (platform_cache_stop) give their loaded magazines too.
 * Walks every cache: for the idle and alloc-failed passes.
 */
void mag_take_prevs(void);
/* Objects and bytes in magazines (caches and depot). */
void mag_count(size_t *objs, size_t *bytes);
/*
 * The live figures as callers see them: the heap's counters (which count
 * a cached object as allocated) less what the magazines hold.  What
 * kheap_stats reports and the trace's stats line carries.
 */
void mag_live(size_t *bytes, size_t *allocs);
/* Every magazine invariant of docs/magazines.md; logs the first problem. */
bool mag_check(void);

#endif
