/*
 * The i386 kernel's side of mm/platform.h: inline primitives.  The MMU
 * reads decode entries with arch/x86/pte.h, as every other reader does.
 */
#ifndef ARCH_X86_ARCH_GLUE_H
#define ARCH_X86_ARCH_GLUE_H

#include "arch/x86/irq.h"
#include "arch/x86/layout.h"
#include "arch/x86/pte.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u
#define MMU_EAGER  0		/* demand faults tell the heap about writes */

static inline uint64_t cycles(void) { return rdtsc(); }

/*
 * The magazine layer's caches: one per CPU.  cpu_id() is the CPU's number
 * in its per-CPU data, at %fs:0 (arch/x86/percpu.h).
 */
#define CPU_MAX     16
#define MAG_NCACHES CPU_MAX
static inline unsigned cpu_id(void)
{
	unsigned id;

	__asm__("movl %%fs:0, %0" : "=r"(id));
	return id;
}
static inline unsigned cache_id(void) { return cpu_id(); }
static inline unsigned long cache_pin(void) { return irq_save(); }
static inline void cache_unpin(unsigned long f) { irq_restore(f); }

/* The entry for va through the recursive window; 0 when no page table. */
static inline uint32_t mmu_entry(uintptr_t va)
{
	if (!(((volatile uint32_t *)PD_WINDOW)[va >> 22] & PTE_P))
		return 0;
	return ((volatile uint32_t *)PT_WINDOW)[va >> 12];
}

static inline unsigned mmu_state(uintptr_t va)
{
	return pte_state(mmu_entry(va));
}

static inline pfn_t mmu_frame(uintptr_t va)
{
	uint32_t e = mmu_entry(va);

	return (e & PTE_P) ? pte_frame(e) : PFN_NONE;
}

#endif
