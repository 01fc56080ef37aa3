/*
 * The heap built into libkheap.so, a malloc for Linux programs.  Linux
 * backs the region's pages itself when they are first written, so no
 * fault tells the heap about a write: committed pages turn PRESENT at
 * once (MMU_EAGER) and the scavenger's release is madvise(MADV_DONTNEED).
 * The "interrupts off" pair is one process-wide recursive lock.
 */
#ifndef ARCH_LIB_ARCH_GLUE_H
#define ARCH_LIB_ARCH_GLUE_H

#include <stdint.h>
#include <stdbool.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u
#define MMU_EAGER  1

/* One CPU: spinlocks (mm/spinlock.h) see only cpu 0. */
#define CPU_MAX 1
static inline unsigned cpu_id(void) { return 0; }

/* The magazine layer's caches: one per thread, its own. */
#define MAG_CACHE_PER_THREAD 1
static inline unsigned long cache_pin(void) { return 0; }
static inline void cache_unpin(unsigned long f) { (void)f; }

unsigned long irq_save(void);
void irq_restore(unsigned long flags);
unsigned mmu_state(uintptr_t va);
pfn_t mmu_frame(uintptr_t va);

static inline uint64_t cycles(void) { return __builtin_ia32_rdtsc(); }

#endif
