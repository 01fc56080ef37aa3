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
 *   KEPT      no       owned by heap    free heap page that keeps its frame
 *                                       (number in the entry), inaccessible
 *
 * Legal transitions (pagestate_allowed):
 *
 *   UNUSABLE -> AOW | GUARD | MMIO | WIRED
 *   AOW      -> PRESENT (write fault) | ZERO (read fault) | UNUSABLE
 *   ZERO     -> PRESENT (write fault) | AOW (free; scavenger) | UNUSABLE
 *   PRESENT  -> KEPT (free) | AOW (scavenger; frame freed) | UNUSABLE (frame freed)
 *   KEPT     -> PRESENT (reuse, same frame) | AOW (scavenger; frame freed)
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
	PS_KEPT = 7,		/* free, frame kept: not present, the frame in the entry */
	PS_COUNT = 8
};

/* Why a page changed state; carried into the trace (docs/trace-format.md). */
enum ps_cause {
	PC_BOOT,		/* boot-time reservation or layout */
	PC_WRITE_FAULT,
	PC_READ_FAULT,
	PC_SCAVENGE,		/* scavenger pass */
	PC_EXPLICIT,		/* an explicit call (kheap_scavenge, convert) */
	PC_FREE,		/* kfree: freed pages made inaccessible */
	PC_REUSE,		/* an allocation takes kept pages back */
	PC_COUNT
};

const char *pagestate_name(unsigned state);
const char *pagestate_cause_name(unsigned cause);
bool pagestate_allowed(unsigned from, unsigned to);
/* Does a page in this state have a frame mapped? */
bool pagestate_is_mapped(unsigned state);
/* Does its entry hold a frame number: the mapped states and KEPT. */
bool pagestate_has_frame(unsigned state);

/*
 * Move one page to state `to`, mapping `frame` for the mapped states
 * (the shared zero frame for ZERO).  The caller owns frame accounting.
 * Panics on an illegal transition.
 */
void page_set_state(uintptr_t va, unsigned to, pfn_t frame, unsigned cause);

/*
 * The range primitive: convert npages from va to `to`.  Frames of PRESENT
 * pages leaving that state go back to the frame allocator; ZERO pages
 * drop the zero frame, KEPT pages give their frame back.  WIRED and MMIO frames are not the heap's: their
 * owner releases them.  Only frame-free targets are accepted (AOW,
 * UNUSABLE, GUARD).  Returns the number of frames freed; panics on an
 * illegal transition, before changing anything.
 */
size_t vm_convert(uintptr_t va, size_t npages, unsigned to, unsigned cause);
/*
 * The scavenger's release of free heap pages (heap_release_pages): nr
 * ranges of the watched range, every page turned AOW, the frames of KEPT
 * and PRESENT pages collected and freed as vm_convert's; adds to
 * from_counts[s] the pages that left state s, and returns the frames.
 * The caller vouches for the ranges: pages of its free runs, which
 * heap_check holds to AOW and KEPT.  So nothing is checked ahead: each
 * entry is read once, for its state and its frame, and a KEPT page costs
 * its entry write and one store of its frame; any other state goes
 * through the table as vm_convert's pages do, and one the table forbids
 * panics there (the pages before it changed).  A traced call (trace=pages)
 * checks every page first and writes vm_convert's lines.
 */
struct vm_range { uintptr_t va; size_t npages; };
size_t vm_release_ranges(const struct vm_range *r, size_t nr, unsigned cause,
			 size_t from_counts[PS_COUNT]);
/*
 * TLB shootdown before reuse: a frame taken off a PRESENT page goes back
 * to the frame allocator only after platform_tlb_shootdown, so no CPU
 * still reaches it through the old entry; a KEPT page's frame needs none,
 * its translation having gone from every TLB when vm_keep made it KEPT
 * (no TLB caches a not-present entry: Intel SDM Vol. 3A, 4.10.4.3).
 * vm_convert and vm_release_ranges collect their frames and, at the end
 * of the call, shoot down once if any needs it, and free them.  Between
 * vm_defer_frames() and vm_free_deferred() the calls collect and do not
 * free, so a scavenger pass of many calls pays one shootdown; past
 * VM_DEFER_MAX collected frames a call frees the batch early (another
 * shootdown).  The frames count as freed from the call that took them.
 * Context: each CPU has its own batch; deferring lasts from one call to
 * the other on one CPU, which holds the lock that serializes its caller
 * (the scavenger's: the heap lock) throughout.
 */
#define VM_DEFER_MAX 1024
void vm_defer_frames(void);
/* Shoot down, free the collected frames, stop deferring; returns how many. */
size_t vm_free_deferred(void);

/*
 * The free's conversion of npages at va: PRESENT pages to KEPT (not
 * present, each keeping its frame: the TLB entry of each is invalidated
 * before this returns, on every CPU by one platform_tlb_shootdown when
 * there are several, so no stale writable entry lets a write to free
 * space through without a fault, and no stale read-only zero-frame entry
 * outlives the page's next frame), ZERO pages to AOW; others are left.
 * Returns the pages now KEPT.  Cannot refuse: both edges are in the table.
 */
size_t vm_keep(uintptr_t va, size_t npages);
/* Reuse: the KEPT pages of npages at va mapped again, each with its own frame, unzeroed. */
void vm_reuse(uintptr_t va, size_t npages);

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
