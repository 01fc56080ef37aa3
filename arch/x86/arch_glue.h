/*
 * The x86 kernel's side of mm/platform.h (both widths): inline
 * primitives.  The MMU reads decode entries with arch/x86/pte.h, as every
 * other reader does; finding the entry is the width's page-table walk
 * (arch/x86/pgtable_32.h or pgtable_64.h).
 */
#ifndef ARCH_X86_ARCH_GLUE_H
#define ARCH_X86_ARCH_GLUE_H

#include "arch/x86/irq.h"
#include "arch/x86/layout.h"
#include "arch/x86/pte.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u
#define MMU_EAGER  0		/* demand faults tell the heap about writes */
#define PHYS_ADDR_END PHYS_MAP_END	/* what frames the frame database covers */

static inline uint64_t cycles(void) { return rdtsc(); }

/* The magazine layer's caches: one per CPU (CPU_MAX and cpu_id: the width's cpu_id_*.h). */
#ifdef CONFIG_X86_64
#include "arch/x86/cpu_id_64.h"		/* up to 16, cpu_id() from %gs:0 */
#else
#include "arch/x86/cpu_id_32.h"		/* up to 16, cpu_id() from %fs:0 */
#endif
/* i386's #PF stub passes the address in %eax (isr_32.S): no push, no pop, no load. */
#ifndef CONFIG_X86_64
#define FAULT_FAST_ABI __attribute__((regparm(1)))
#endif
#define MAG_NCACHES CPU_MAX
static inline __attribute__((always_inline)) unsigned cache_id(void) { return cpu_id(); }
/* The current cache straight from the CPU's per-CPU data: cache_current, one load. */
#define CACHE_CURRENT 1
/*
 * The hits need no pin: they are restartable sections (arch/x86/restart.h,
 * cache_restart_pop and cache_restart_push).  The slow paths still pin.
 */
#define CACHE_RESTART 1
#include "arch/x86/restart.h"
static inline unsigned long cache_pin(void) { return irq_save(); }
/* irq_restore, laid out for the common case: interrupts were on. */
static inline void cache_unpin(unsigned long f)
{
	if (__builtin_expect(f & EFLAGS_IF, 1))
		sti();
}

/* mmu_set and mmu_set_if, inline, where mm/pagestate_int.h includes them. */
#define MMU_SET_INLINE "arch/x86/mmu_set.h"

#ifdef CONFIG_X86_64
#include "arch/x86/pgtable_64.h"	/* mmu_entry: four levels */
#else
#include "arch/x86/pgtable_32.h"	/* mmu_entry: two levels */
#endif

static inline unsigned mmu_state(uintptr_t va)
{
	return pte_state(mmu_entry(va));
}

static inline pfn_t mmu_frame(uintptr_t va)
{
	pte_t e = mmu_entry(va);

	return pte_has_frame(e) ? pte_frame(e) : PFN_NONE;
}

/* Both from one read of the entry (mm/pagestate_int.h: the scavenger's release reads each once). */
#define MMU_READ_INLINE 1
static inline unsigned mmu_read(uintptr_t va, pfn_t *frame)
{
	pte_t e = mmu_entry(va);

	*frame = pte_has_frame(e) ? pte_frame(e) : PFN_NONE;
	return pte_state(e);
}

#endif
