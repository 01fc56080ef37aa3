/*
 * The x86 kernel's entry writes, inline: mm/platform.h's mmu_set and
 * mmu_set_if, and mm/pagestate_int.h's optional mmu_set_absent and the
 * heap region's reads (mmu_state_tabled, mmu_read_tabled).  mm/pagestate_int.h includes this header by the name
 * arch/x86/arch_glue.h gives it (MMU_SET_INLINE), so the page-state
 * machine and the fault path write entries without a call;
 * arch/x86/mmu.c includes it for its windows.  It cannot live in
 * arch_glue.h: every entry is pte_make's (arch/x86/pte_state.h), which
 * needs mm/pagestate.h, which needs mm/platform.h.
 *
 * Context: mmu_set as mm/platform.h (the caller serializes the page);
 * mmu_set_if is one atomic compare-and-swap, so CPUs faulting the same
 * page at once install one entry between them.
 */
#ifndef ARCH_X86_MMU_SET_H
#define ARCH_X86_MMU_SET_H

#include "arch/x86/pte_state.h"
#include "arch/x86/cpu.h"

static inline void mmu_set(uintptr_t va, unsigned state, pfn_t frame)
{
	pte_t e = pte_make(state, frame);	/* before the pointer: a register fewer */

	*pte_ptr(va) = e;
	invlpg(va);
}

/*
 * mmu_set over an entry that is not present (KEPT, AOW): no invlpg, as no
 * TLB holds such an entry.  Intel SDM Vol. 3A, 4.10.4.3 "Optional
 * Invalidation": "no TLB entry or paging-structure cache entry is created
 * with information from a paging-structure entry in which the P flag is
 * 0" (4.10.3.3 in older editions).  The caller knows the old entry.
 */
static inline void mmu_set_absent(uintptr_t va, unsigned state, pfn_t frame)
{
	*pte_ptr(va) = pte_make(state, frame);
}
#define mmu_set_absent mmu_set_absent

/*
 * A not-present entry is never in a TLB (above): only a present one needs invlpg.
 * Nor does the CPU write one (accessed and dirty bits go to present
 * entries), so a state that is neither mapped nor KEPT has one entry,
 * pte_make's, and the swap compares with it without reading the entry
 * first: inline with `from` known (the fault path's AOW), the read goes.
 */
static inline bool mmu_set_if(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	volatile pte_t *p = pte_ptr(va);
	bool one_entry = !(pte_hw_bits(from) & PTE_P) && from != PS_KEPT;
	pte_t old = one_entry ? pte_make(from, PFN_NONE) : *p, expect = old;

	if ((!one_entry && pte_state(old) != from) ||
	    !__atomic_compare_exchange_n(p, &expect, pte_make(to, frame), false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return false;
	if (old & PTE_P)
		invlpg(va);
	return true;
}

/*
 * mmu_state for an address a page table is known to cover (the heap
 * region: docs/porting.md, "What a platform does once, at boot", step 3),
 * read through the recursive window without testing the levels above
 * (three on x86_64, one on i386).  mm/pagestate_int.h says who may.
 */
static inline unsigned mmu_state_tabled(uintptr_t va)
{
	return pte_state(*pte_ptr(va));
}
#define mmu_state_tabled mmu_state_tabled

/*
 * Is the heap page at va AOW?  AOW's entry is pte_make's alone (above:
 * nothing else writes a not-present entry that holds no frame), so one
 * compare of the whole entry, no decoding of the state.
 */
static inline bool mmu_aow_tabled(uintptr_t va)
{
	return *pte_ptr(va) == pte_make(PS_AOW, PFN_NONE);
}
#define mmu_aow_tabled mmu_aow_tabled

/* mmu_read (arch/x86/arch_glue.h), the same way: one read of the entry, no walk above it. */
static inline unsigned mmu_read_tabled(uintptr_t va, pfn_t *frame)
{
	pte_t e = *pte_ptr(va);
	unsigned s = pte_state(e);

	*frame = s == PS_KEPT || (e & PTE_P) ? pte_frame(e) : PFN_NONE;	/* pte_has_frame */
	return s;
}
#define mmu_read_tabled mmu_read_tabled

#endif
