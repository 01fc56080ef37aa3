/*
 * The page-state machine's internals (mm/pagestate.c), for the one
 * transition a caller inlines: the demand-fault path's (mm/heapfault.c),
 * where a call and a re-read of the entry are a large part of the cost,
 * and which installs its entry with a compare-and-swap (no lock).
 * Private to mm/ (scripts/check-layers refuses it outside).
 *
 * pagestate_change is the body of every counted transition: the count of
 * the watched range, the page's trace line, the entry.  page_set_state
 * and vm_convert reach it after their checks; page_fault_state after the
 * caller's, so a transition counts and traces the same whoever made it.
 *
 * Context: as mm/pagestate.h; the caller serializes the page, but for
 * page_fault_install, which needs no serializing.
 */
#ifndef MM_PAGESTATE_INT_H
#define MM_PAGESTATE_INT_H

#include "mm/pagestate.h"
#include "mm/trace.h"
#ifdef MMU_SET_INLINE
#include MMU_SET_INLINE		/* the platform's inline mmu_set and mmu_set_if */
#endif

/* The watched range (the heap region) and its pages in each state. */
struct pagestate_watch {
	uintptr_t base;
	size_t pages;
	size_t counts[PS_COUNT];
	bool quiet;		/* vm_convert traces its runs itself */
};
extern struct pagestate_watch ps_watch;

/* The `page` trace line (docs/trace-format.md) of one transition. */
void pagestate_trace(uintptr_t va, unsigned from, unsigned to, pfn_t frame, unsigned cause);

/* The count and the trace line of a change made (the entry written). */
static inline void pagestate_count(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
				   unsigned cause)
{
	if (va - ps_watch.base < ps_watch.pages * PAGE_SIZE) {
		/* atomic: faults on several CPUs and heap-lock holders change pages at once */
		__atomic_fetch_sub(&ps_watch.counts[from], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&ps_watch.counts[to], 1, __ATOMIC_RELAXED);
		if (TRACE_ON(TR_PAGES) && !ps_watch.quiet)
			pagestate_trace(va, from, to, frame, cause);
	}
}

static inline void pagestate_change(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
				    unsigned cause)
{
	KASSERT(pagestate_has_frame(to) == (frame != PFN_NONE));
	KASSERT(to != PS_ZERO || frame == zero_frame());
	pagestate_count(va, from, to, frame, cause);
	mmu_set(va, to, frame);
}

/*
 * The demand-fault path's transition: AOW -> PRESENT, ZERO -> PRESENT or
 * AOW -> ZERO, `from` being the state the caller read from the page's
 * entry.  The entry is written only if it is still in that state, in one
 * compare-and-swap (mmu_set_if): false, and nothing changed, when another
 * CPU's fault changed it first.  It skips page_set_state's table lookup,
 * which for these three pairs cannot refuse (checked in debug builds, and
 * the pairs against the table by tests/mm/test_pagestate.c); the entry,
 * the count and the trace line (cause write-fault or read-fault) are the
 * same, counted once the entry is in.
 */
static inline bool page_fault_install(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	KASSERT(pagestate_allowed(from, to));
	KASSERT((from == PS_AOW || from == PS_ZERO) && (to == PS_PRESENT || to == PS_ZERO));
	KASSERT(pagestate_has_frame(to) == (frame != PFN_NONE));
	KASSERT(to != PS_ZERO || frame == zero_frame());
	if (!mmu_set_if(va, from, to, frame))
		return false;
	pagestate_count(va, from, to, frame, to == PS_ZERO ? PC_READ_FAULT : PC_WRITE_FAULT);
	return true;
}

#endif
