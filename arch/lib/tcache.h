/*
 * Per-thread caches of freed small objects in front of the heap lock
 * (arch/lib/tcache.c): a free of a small object goes to its thread's cache
 * for that size class, and a malloc of that class takes it back out, with
 * no lock and no atomic operation.  The magazine layer of Bonwick and Adams
 * ("Magazines and Vmem", USENIX 2001), one magazine per class per thread.
 *
 * Promises:
 *  - Only objects of classes 16 to TCACHE_MAX bytes are cached, at most a
 *    few dozen a class; the heap still counts them live, so they keep
 *    their slabs and are given back only when the cache flushes: half a
 *    class when it is full, under one lock; all of a thread's cache before
 *    a scavenger pass that thread runs, and when the thread exits.
 *  - Every pointer is checked before it is cached (kheap_small_class),
 *    and a cached object carries a key (a secret mixed with its address):
 *    freeing, reallocating or asking the size of a cached object is
 *    reported as a double free or use after free, from whichever thread.
 *    An object whose key or link was overwritten while cached is reported
 *    when it is taken out.
 *  - Off when tcache_init is told so (KHEAP_TCACHE=0): every call then
 *    goes to the heap.
 */
#ifndef ARCH_LIB_TCACHE_H
#define ARCH_LIB_TCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCACHE_MAX	1024		/* largest cached object size */

/* Once, from the library's setup, with the heap lock held. */
void tcache_init(bool on);
/* A cached object for a malloc of n bytes, or NULL. */
void *tcache_pop(size_t n, uintptr_t caller);
/* Take the free of p: 0 not taken (free it the usual way), 1 taken, 2 taken and the cache flushed some objects to the heap. */
int tcache_push(void *p, uintptr_t caller);
/* Give all of this thread's cache back to the heap (before a scavenger pass). */
void tcache_flush_mine(void);
/* Report (and abort) if p sits in a thread cache: fn was called on a freed object. */
void tcache_check_not_cached(const void *p, const char *fn, uintptr_t caller);
/* In the child after fork, with the heap lock held: only this thread's cache is left. */
void tcache_after_fork_child(void);

#endif
