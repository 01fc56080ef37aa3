/*
 * Page states: what every kernel virtual page is, kept in the page-table
 * entry itself (x86: PTE bits 9-11), after the design of "Virtual
 * allocator and paging design" (OSDev forum): "area types" and "page
 * states" kept in the entry's available bits.
 *
 *   state     present  frame            meaning
 *   --------  -------  ---------------  ----------------------------------
 *   UNUSABLE  no       none             nothing reserved here
 *   AOW       no       none             reserved; allocate on write
 *   PRESENT   rw       owned by heap    backed; the heap owns the frame
 *   ZERO      ro       shared zero      read before written: zero frame
 *   GUARD     no       none             reserved, never backed
 *   MMIO      rw       not owned        device or firmware memory
 *   WIRED     rw       owned by kernel  image, page tables, frame database
 *   SWAPPED   no       none             spare, for a swapped/compressed
 *                                       state; nothing enters it yet
 *
 * Legal transitions (pagestate_allowed):
 *
 *   UNUSABLE -> AOW | GUARD | MMIO | WIRED
 *   AOW      -> PRESENT (write fault) | ZERO (read fault) | UNUSABLE
 *   ZERO     -> PRESENT (write fault) | AOW (scavenger) | UNUSABLE
 *   PRESENT  -> AOW (scavenger; frame freed) | UNUSABLE (frame freed)
 *   GUARD | MMIO | WIRED -> UNUSABLE;  WIRED -> GUARD (stack guard)
 *
 * After boot every change goes through page_set_state(), which refuses an
 * illegal transition with a diagnostic naming the page and both states.
 * Before it, arch code lays out the boot window's entries directly
 * (mmu_init: image WIRED, stack guard GUARD, the rest UNUSABLE).
 */
#ifndef MM_PAGESTATE_H
#define MM_PAGESTATE_H

#include "mm/platform.h"

enum page_state {
	PS_UNUSABLE = 0,
	PS_AOW = 1,
	PS_PRESENT = 2,
	PS_ZERO = 3,
	PS_GUARD = 4,
	PS_MMIO = 5,
	PS_WIRED = 6,
	PS_SWAPPED = 7,
	PS_COUNT = 8
};

/* Why a page changed state; carried into the trace (docs/trace-format.md). */
enum ps_cause {
	PC_BOOT,		/* boot-time reservation or layout */
	PC_WRITE_FAULT,
	PC_READ_FAULT,
	PC_SCAVENGE,		/* scavenger pass */
	PC_EXPLICIT,		/* an explicit call (kheap_scavenge, convert) */
	PC_COUNT
};

const char *pagestate_name(unsigned state);
const char *pagestate_cause_name(unsigned cause);
bool pagestate_allowed(unsigned from, unsigned to);
/* Does a page in this state have a frame mapped? */
bool pagestate_is_mapped(unsigned state);

/*
 * Move one page to state `to`, mapping `frame` for the mapped states
 * (the shared zero frame for ZERO).  The caller owns frame accounting.
 * Panics on an illegal transition.
 */
void page_set_state(uintptr_t va, unsigned to, pfn_t frame, unsigned cause);

/*
 * The range primitive: convert npages from va to `to`.  Frames of PRESENT
 * pages leaving that state go back to the frame allocator; ZERO pages
 * drop the zero frame.  WIRED and MMIO frames are not the heap's: their
 * owner releases them.  Only frame-free targets are accepted (AOW,
 * UNUSABLE, GUARD).  Returns the number of frames freed; panics on an
 * illegal transition, before changing anything.
 */
size_t vm_convert(uintptr_t va, size_t npages, unsigned to, unsigned cause);
/*
 * The same over nr ranges at once (the scavenger's batch), every page of
 * every range checked before any changes, adding to from_counts[s] the
 * pages that left state s.
 */
struct vm_range { uintptr_t va; size_t npages; };
size_t vm_convert_ranges(const struct vm_range *r, size_t nr, unsigned to, unsigned cause,
			 size_t from_counts[PS_COUNT]);
/*
 * TLB shootdown before reuse: a frame taken off a PRESENT page goes back
 * to the frame allocator only after platform_tlb_shootdown, so no CPU
 * still reaches it through the old entry.  vm_convert_ranges collects its
 * frames and, at its end, shoots down once and frees them.  Between
 * vm_defer_frames() and vm_free_deferred() the calls collect and do not
 * free, so a scavenger pass of many calls pays one shootdown; past
 * VM_DEFER_MAX collected frames a call frees the batch early (another
 * shootdown).  The frames count as freed from the call that took them.
 * Context: the caller serializes (the heap lock): one batch.
 */
#define VM_DEFER_MAX 1024
void vm_defer_frames(void);
/* Shoot down, free the collected frames, stop deferring; returns how many. */
size_t vm_free_deferred(void);

/*
 * The watched range (the heap region): page_set_state keeps a count of
 * its pages in each state, and traces their transitions (mm/trace.h).
 */
void pagestate_watch(uintptr_t base, size_t npages);
/* The same for a range the caller knows is all in one state (reads nothing). */
void pagestate_watch_uniform(uintptr_t base, size_t npages, unsigned state);
void pagestate_counts(size_t out[PS_COUNT]);

/* The shared read-only zero frame, set up by pagestate_init. */
pfn_t zero_frame(void);
void pagestate_init(pfn_t zero);

#endif
