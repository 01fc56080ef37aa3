#ifndef ARCH_LIB_LIB_H
#define ARCH_LIB_LIB_H

#include "mm/platform.h"

/* The page-state array for the region (arch/lib/platform.c). */
void lib_mmu_init(uintptr_t region, size_t pages, uint32_t *entries, uint32_t *given_back);
void lib_lock_reset_in_child(void);
/*
 * The heap lock's outermost takes since the start, and how many of them
 * found it held by another thread (KHEAP_STATS prints both).
 */
void lib_lock_counts(uint64_t *all, uint64_t *contended);
/* Does this thread hold the heap's lock? */
bool lib_lock_mine(void);

/*
 * Stopping other threads' fast paths for the idle pass (arch/lib/stop.c):
 * lib_stop_note_cache when a thread's cache joins, lib_stop_end when the
 * heap lock is let go.
 */
struct mag_cache;
void lib_stop_note_cache(struct mag_cache *c);
void lib_stop_end(void);
/* Commit ranges up to this many bytes are backed at once (0: never). */
void lib_set_prefault(size_t bytes);

/*
 * The decay thread (arch/lib/decay.c): lib_now_ms is the schedule's clock
 * (CLOCK_MONOTONIC); lib_decay_kick, never under the heap lock, wakes the
 * thread (starting it the first time) after a pass left pages waiting;
 * lib_decay_after_fork_child forgets it in a child, true if there was one.
 */
uint64_t lib_now_ms(void);
void lib_decay_kick(void);
bool lib_decay_after_fork_child(void);

/*
 * Guarded blocks (arch/lib/guard.c; the heap's own, mm/heapguard.c):
 * guard_init(N) installs the SIGSEGV handler that reports their faults
 * and sets the rate (kheap_set_sample); lib_guard_page makes a page
 * entering the GUARD state inaccessible, or one leaving it accessible
 * again (mmu_set calls it, heap lock held).
 */
void guard_init(unsigned every);
void lib_guard_page(uintptr_t va, bool guard);

#endif
