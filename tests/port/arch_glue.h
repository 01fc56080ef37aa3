/*
 * The minimal port's side of mm/platform.h (docs/porting.md): mm/ built
 * freestanding into a program with no C library, over a static array
 * standing in for the heap's memory.  One CPU, no interrupts, no faults:
 * MMU_EAGER, as in libkheap.  Every name here is a hook the document
 * lists as "header"; scripts/check-port checks that this file defines
 * those and nothing else.
 */
#ifndef PORT_ARCH_GLUE_H
#define PORT_ARCH_GLUE_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u
#define MMU_EAGER  1		/* nothing faults: committed pages are PRESENT at once */

/* No interrupts to mask, one thread: the lock pair only keeps the nesting. */
static inline unsigned long irq_save(void) { return 0; }
static inline void irq_restore(unsigned long flags) { (void)flags; }

/* No clock: the figures that time passes read zero. */
static inline uint64_t cycles(void) { return 0; }

/* One CPU, one magazine cache. */
#define CPU_MAX 1
static inline unsigned cpu_id(void) { return 0; }
#define MAG_NCACHES 1
static inline unsigned cache_id(void) { return 0; }
static inline unsigned long cache_pin(void) { return 0; }
static inline void cache_unpin(unsigned long flags) { (void)flags; }

/* The page table's reads: out of line here (tests/port/platform.c). */
unsigned mmu_state(uintptr_t va);
pfn_t mmu_frame(uintptr_t va);

#endif
