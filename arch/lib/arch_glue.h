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

/*
 * The magazine layer's caches: one per thread, its own.  A pin marks the
 * thread as inside its cache (lib_pinned) and, if the idle pass is
 * stopping the fast paths (lib_stop, platform_cache_stop in
 * arch/lib/platform.c), waits for it to finish first.  The store of the
 * mark and the load of lib_stop are kept in that order by the compiler
 * only; the CPU's order comes from the stopper's membarrier(2).  Pins
 * do not nest: a malloc in a signal handler that interrupted the fast
 * path would corrupt the magazine anyway (malloc is not
 * async-signal-safe), so the mark is a plain flag.
 */
#define MAG_CACHE_PER_THREAD 1
extern __thread unsigned char lib_pinned __attribute__((tls_model("initial-exec")));
extern int lib_stop;
void lib_pin_wait(void);

static inline unsigned long cache_pin(void)
{
	lib_pinned = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(__atomic_load_n(&lib_stop, __ATOMIC_ACQUIRE), 0))
		lib_pin_wait();
	return 0;
}

static inline void cache_unpin(unsigned long f)
{
	(void)f;
	__atomic_store_n(&lib_pinned, 0, __ATOMIC_RELEASE);
}

unsigned long irq_save(void);
void irq_restore(unsigned long flags);
/*
 * Every thread is CPU 0, so a spinlock's holder is known only as CPU 0:
 * spin_held (mm/spinlock.h) also asks whether the caller is the thread
 * holding the interrupts-off lock (arch/lib/platform.c).
 */
bool lib_lock_mine(void);
#define irq_lock_mine() lib_lock_mine()
unsigned mmu_state(uintptr_t va);
pfn_t mmu_frame(uintptr_t va);

static inline uint64_t cycles(void) { return __builtin_ia32_rdtsc(); }

#endif
