/*
 * Magazines: caches of freed small objects in front of the heap lock,
 * after Bonwick and Adams, "Magazines and Vmem" (USENIX 2001).  The API
 * (kmalloc, kfree: mm/kheap.c) uses them; this header is what front ends
 * and figures need besides (docs/magazines.md has the design).
 *
 * Promises:
 *  - Objects of the slab classes up to MAG_MAX_SIZE bytes that kfree
 *    takes are kept in the current cache's magazines, and kmalloc of that
 *    class takes them back, with no heap lock.  "The current cache" is the
 *    platform's (mm/platform.h): the current CPU in the kernel, the
 *    current thread in libkheap.
 *  - Every free is checked as before it is cached; a cached object carries
 *    a key, so a second free, krealloc or ksize of it is reported.
 *  - A scavenger pass trims the depot to its working set; an explicit or
 *    alloc-failed pass empties the current cache and the depot.
 *
 * Context: mag_set_enabled and mag_cache_leave from any context but the
 * fault path; mag_after_fork_child in a fork child with the heap lock
 * held.
 */
#ifndef MM_MAGAZINE_H
#define MM_MAGAZINE_H

#include "mm/platform.h"

#define MAG_MAX_SIZE	4096		/* the largest cached object: slab classes 0..28 */

struct mag_cache;

/* Magazines on or off (default on).  Turning them off empties every cache. */
void mag_set_enabled(bool on);
bool mag_enabled(void);
/*
 * Hold kmalloc's fast path off (every call takes the slow path: a
 * sampled guarded block is armed, mm/heapguard.c), or let it run as the
 * magazines are.  Heap lock held.
 */
void mag_fast_hold(bool hold);
/*
 * End a working-set interval: the depot gives back the magazines no cache
 * asked for since the last (every scavenger pass does this first).
 */
void mag_trim(void);
/* Give a cache's magazines to the depot and stop caching in it (a thread exits). */
void mag_cache_leave(struct mag_cache *c);
/* In a fork child: only the current cache is still used. */
void mag_after_fork_child(void);

struct mag_stats {
	uint64_t alloc_hits, alloc_misses, free_hits, free_misses;
	uint64_t alloc_swaps, free_swaps;	/* of the misses: a swap served them, no heap lock */
	size_t cached_objs, cached_bytes;	/* in caches and the depot */
	size_t depot_full, depot_empty, magazines;
	uint64_t trimmed;			/* magazines the working-set trim gave back */
};
void mag_stats(struct mag_stats *st);

#endif
