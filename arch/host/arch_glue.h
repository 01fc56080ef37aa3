/*
 * The host's side of mm/platform.h: mm/ built into a Linux program.
 * Interrupts do not exist here, so the irq pair only counts nesting (the
 * heap's lock assertions use it); cycles() is the TSC where there is one.
 */
#ifndef ARCH_HOST_ARCH_GLUE_H
#define ARCH_HOST_ARCH_GLUE_H

#include <stdint.h>
#include <stdbool.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u
#define MMU_EAGER  0		/* SIGSEGV-driven faults, as in the kernel */

/* One CPU: spinlocks (mm/spinlock.h) see only cpu 0. */
#define CPU_MAX 1
static inline unsigned cpu_id(void) { return 0; }


extern int host_irq_depth;

static inline unsigned long irq_save(void) { return (unsigned long)host_irq_depth++; }
static inline void irq_restore(unsigned long flags) { host_irq_depth = (int)flags; }

/*
 * The magazine layer's caches: an array, the current one chosen by a
 * variable the tests switch to play two CPUs (host_cache_id < MAG_NCACHES).
 */
#define MAG_NCACHES 4
extern unsigned host_cache_id;
static inline unsigned cache_id(void) { return host_cache_id; }
#define cache_switch(id) (host_cache_id = (id))	/* tests only: "run on another CPU" */
static inline unsigned long cache_pin(void) { return 0; }
static inline void cache_unpin(unsigned long f) { (void)f; }

unsigned mmu_state(uintptr_t va);
pfn_t mmu_frame(uintptr_t va);

static inline uint64_t cycles(void)
{
#if defined(__i386__) || defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

#endif
