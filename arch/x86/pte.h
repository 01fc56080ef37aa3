/*
 * The x86 page-table entry as this kernel lays it out, both widths: the
 * hardware bits, the page state in the three bits the MMU leaves to
 * software (9-11, values from mm/pagestate.h), the frame above bit 12; and
 * the one way to pack and unpack an entry.  What differs by width (the
 * entry type pte_t, the frame field's extent, NX) is arch/x86/pte_32.h
 * (two-level, no PAE, 32-bit entries) or arch/x86/pte_64.h (four-level,
 * 64-bit entries, NX in bit 63).
 *
 * Promises: an entry is pte_pack(state, frame, hw); pte_state and
 * pte_frame read back what was packed.  Nothing here knows the state
 * names but the one not-present state that keeps a frame
 * (PTE_STATE_KEPT); which hardware bits a state gets is
 * arch/x86/pte_state.h.
 *
 * Why two headers: this one depends on nothing, so arch_glue.h can pull
 * it into mm/platform.h, where the fault path reads entries inline; the
 * constructor needs mm/pagestate.h, which itself includes mm/platform.h,
 * so it cannot live here.  The constants are usable from assembly:
 * boot_32.S and boot_64.S build the first entries (present, writable, state 0) before C
 * runs.  The host's simulated MMU (arch/host/sim.c) includes both
 * headers, so its entries are the kernel's entries, bit for bit.
 *
 * Context: pure functions of their arguments; no locking.
 */
#ifndef ARCH_X86_PTE_H
#define ARCH_X86_PTE_H

#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_U		0x004
#define PTE_PCD		0x010
#define PTE_A		0x020
#define PTE_D		0x040
#define PTE_PS		0x080
#define PTE_G		0x100
#define PTE_STATE_SHIFT	9		/* bits 9-11: enum page_state */
#define PTE_STATE_BITS	3
#define PTE_STATE_MASK	(((1 << PTE_STATE_BITS) - 1) << PTE_STATE_SHIFT)
#define PTE_FRAME_SHIFT	12

#ifdef CONFIG_X86_64
#include "arch/x86/pte_64.h"
#else
#include "arch/x86/pte_32.h"
#endif

#define PTE_FRAME_MAX	(PTE_FRAME_MASK >> PTE_FRAME_SHIFT)
/*
 * The one not-present state whose entry keeps a frame (PS_KEPT, checked
 * in arch/x86/pte_state.h): a freed heap page, its frame in the frame
 * field, which the CPU ignores when P is clear.
 */
#define PTE_STATE_KEPT	7

#ifndef __ASSEMBLY__
#include <stdint.h>

/* Pack raw fields; pte_make (arch/x86/pte_state.h) is what callers use. */
static inline pte_t pte_pack(unsigned state, pte_t frame, pte_t hw)
{
	return frame << PTE_FRAME_SHIFT | (pte_t)state << PTE_STATE_SHIFT | hw;
}

static inline unsigned pte_state(pte_t e)
{
	return (e & PTE_STATE_MASK) >> PTE_STATE_SHIFT;
}

/* The frame field; meaningful only when the entry holds a frame (pte_has_frame). */
static inline uint32_t pte_frame(pte_t e) { return (uint32_t)((e & PTE_FRAME_MASK) >> PTE_FRAME_SHIFT); }

/* Present, or not present but keeping its frame (the KEPT state). */
static inline int pte_has_frame(pte_t e)
{
	return (e & PTE_P) || pte_state(e) == PTE_STATE_KEPT;
}

/* The directory entry (any level) for a table in frame f: present, writable. */
static inline pte_t pde_make(pte_t frame)
{
	return frame << PTE_FRAME_SHIFT | PTE_P | PTE_W;
}
#endif

#endif
