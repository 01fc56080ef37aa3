#ifndef ARCH_LIB_LIB_H
#define ARCH_LIB_LIB_H

#include "mm/platform.h"

/* The page-state array for the region (arch/lib/platform.c). */
void lib_mmu_init(uintptr_t region, size_t pages, uint32_t *entries);
void lib_lock_reset_in_child(void);
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
 * Sampled guarded blocks (arch/lib/guard.c): every guard_every-th
 * guard_alloc is a block at the end of its own pages with an
 * inaccessible page after it (NULL otherwise: the caller allocates as
 * usual); guard_free and guard_size answer for such blocks only (false,
 * 0 for any other pointer).  guard_init(N) installs the SIGSEGV handler
 * that reports their faults; 0 leaves sampling off.
 */
extern unsigned guard_every;
void guard_init(unsigned every);
void *guard_alloc(size_t n, uintptr_t caller);
bool guard_free(void *p, uintptr_t caller);
size_t guard_size(const void *p);

#endif
