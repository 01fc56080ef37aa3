/*
 * The kmalloc family's internals, shared by mm/kheap.c (the calls) and
 * mm/kheap_debug.c (the same calls at a debug level above 0): mm/kheap*.c
 * only.
 *
 * Locking: the *_locked helpers and check_live need the heap lock; the
 * dbg_* entry points take it themselves, as the public calls do.
 */
#ifndef MM_KHEAP_INT_H
#define MM_KHEAP_INT_H

#include "mm/heap_int.h"
#include "mm/heapreport.h"

struct lookup {
	uint32_t page;
	struct pgdesc *d;
	size_t usable;
};

/* Allocate size bytes at align and count them; NULL when out of memory. */
void *alloc_locked(size_t size, size_t align, uintptr_t caller);
/* Is p the start of a live allocation (and not in a magazine)?  NULL or what is wrong. */
const struct heap_misuse *check_live(uintptr_t p, struct lookup *l);
/* Free what check_live located; NULL when freed. */
const struct heap_misuse *free_locked(uintptr_t p, struct lookup *l);
/* Report a misuse found by call fn (heap lock held). */
void report(const char *fn, const void *p, const struct heap_misuse *what, uintptr_t caller);
/* A kfree's end (heap lock held): the report of why, or the trace line of the free. */
void end_free(void *p, const struct heap_misuse *why, size_t usable, uintptr_t caller);

/* --- heapcheck level 1 and above (mm/kheap_debug.c) ------------------ */

void *dbg_alloc(size_t size, size_t align, uintptr_t caller);
void dbg_free(void *p, uintptr_t caller);
size_t dbg_size(const void *p, uintptr_t caller);
void *dbg_realloc(void *p, size_t size, uintptr_t caller);
/*
 * Free p if it is a guarded block (mm/heapguard.c), at any level; false
 * when it is not one.  Heap lock held.  At level 0 the calls ask only on
 * their error path: a block's pointer is never a run's start.
 */
bool dbg_free_guarded(void *p, uintptr_t caller);
/*
 * Level 0, the sampling countdown spent on a slow path (mm/heapguard.c,
 * guarded_take): the guarded block of size when this call is the armed
 * sample; NULL otherwise (arming it for the next call): allocate as usual.
 */
void *dbg_sample(size_t size, uintptr_t caller);
/* The size asked for of the live guarded block p, 0 when p is not one (heap lock held). */
size_t dbg_guarded_size(const void *p);
/* The object and sites a report at ptr can name (heap lock held). */
void dbg_describe(struct heap_report *r);
/* Every recorded canary and poisoned object; reports the first problem. */
bool dbg_check(void);

#endif
