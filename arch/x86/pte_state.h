/*
 * What each page state means to the x86 MMU (both widths): the one table of hardware
 * bits per state, and pte_make, the one constructor of page-table
 * entries.  Every entry C code writes is built here: arch/x86/mmu_32.c
 * (mmu_set, the boot window, the temporary boot maps) and the host's
 * simulated MMU (arch/host/sim.c), whose page protections follow the P
 * and W bits of these same entries.  The format is arch/x86/pte.h.
 *
 * Promises: pte_make(state, frame) is present exactly for the states
 * pagestate_is_mapped() names, and then maps frame; KEPT is not present
 * and holds its frame's number all the same (pagestate_has_frame); any
 * other state holds only its state.  Debug builds assert all three, and
 * that the frame fits.
 *
 * Context: pure; no locking.
 */
#ifndef ARCH_X86_PTE_STATE_H
#define ARCH_X86_PTE_STATE_H

#include "arch/x86/pte.h"
#include "mm/pagestate.h"

_Static_assert(PS_COUNT <= 1 << PTE_STATE_BITS, "page states must fit PTE bits 9-11");
_Static_assert(PS_KEPT == PTE_STATE_KEPT, "arch/x86/pte.h names the state that keeps a frame");

/*
 * P, W, PCD and NX of each state (docs/page-states.md draws the entries).
 * Heap and device pages are never executed: NX where the width has it
 * (x86_64; PTE_NX is 0 on i386).  WIRED pages include the kernel's text.
 */
static inline pte_t pte_hw_bits(unsigned state)
{
	static const pte_t hw[PS_COUNT] = {
		[PS_PRESENT] = PTE_P | PTE_W | PTE_NX,
		[PS_ZERO] = PTE_P | PTE_NX,	/* read-only: a write faults (CR0.WP) */
		[PS_MMIO] = PTE_P | PTE_W | PTE_PCD | PTE_NX,
		[PS_WIRED] = PTE_P | PTE_W,
		/* the rest: not present, state bits only */
	};

	return hw[state % PS_COUNT];
}

/* The entry for a page in state, mapping frame (PFN_NONE when frameless). */
static inline pte_t pte_make(unsigned state, pfn_t frame)
{
	pte_t e = pte_pack(state, 0, pte_hw_bits(state));

	KASSERT(state < PS_COUNT && !(e & PTE_P) == !pagestate_is_mapped(state));
	KASSERT((frame != PFN_NONE) == pagestate_has_frame(state) &&
		(frame == PFN_NONE ||
		 !((uint64_t)frame << PTE_FRAME_SHIFT & ~(uint64_t)PTE_FRAME_MASK)));
	if (frame != PFN_NONE)
		e |= pte_pack(0, frame, 0);
	return e;
}

#endif
