/*
 * The page-state machine's internals (mm/pagestate.c), for the one
 * transition a caller inlines: the demand-fault path's (mm/heapfault.c),
 * where a call and a re-read of the entry are a large part of the cost.
 * Private to mm/ (scripts/check-layers refuses it outside).
 *
 * pagestate_change is the body of every counted transition: the count of
 * the watched range, the page's trace line, the entry (traced: all three
 * under the trace lock, pagestate_change_traced).  page_set_state
 * and vm_convert reach it after their checks; page_fault_state after the
 * caller's, so a transition counts and traces the same whoever made it.
 *
 * Context: as mm/pagestate.h; the caller serializes the page.
 */
#ifndef MM_PAGESTATE_INT_H
#define MM_PAGESTATE_INT_H

#include "mm/pagestate.h"
#include "mm/trace.h"

/* The watched range (the heap region) and its pages in each state. */
struct pagestate_watch {
	uintptr_t base;
	size_t pages;
	size_t counts[PS_COUNT];
	bool quiet[CPU_MAX];	/* this CPU's vm_convert traces its runs itself */
};
extern struct pagestate_watch ps_watch;

/* The `page` trace line (docs/trace-format.md) of one transition. */
void pagestate_trace(uintptr_t va, unsigned from, unsigned to, pfn_t frame, unsigned cause);

/* atomic: the fault path (fault lock) and heap-lock holders change pages at once */
static inline void pagestate_count(unsigned from, unsigned to)
{
	__atomic_fetch_sub(&ps_watch.counts[from], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ps_watch.counts[to], 1, __ATOMIC_RELAXED);
}

/*
 * A traced change of a watched page: its count, its line and its entry in
 * one trace-lock section, so a stats line or a snapshot that another CPU
 * writes (under the trace lock) sees all three or none of them.
 */
void pagestate_change_traced(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
			     unsigned cause);

static inline void pagestate_change(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
				    unsigned cause)
{
	KASSERT(pagestate_has_frame(to) == (frame != PFN_NONE));
	KASSERT(to != PS_ZERO || frame == zero_frame());
	if (va - ps_watch.base < ps_watch.pages * PAGE_SIZE) {
		if (TRACE_ON(TR_PAGES) && !ps_watch.quiet[cpu_id()]) {
			pagestate_change_traced(va, from, to, frame, cause);
			return;
		}
		pagestate_count(from, to);
	}
	mmu_set(va, to, frame);
}

/*
 * The demand-fault path's transition: AOW -> PRESENT, ZERO -> PRESENT or
 * AOW -> ZERO, `from` being the state the caller has just read from the
 * page's entry (under the fault lock, mm/heapfault.c: no other fault
 * changes it in between).
 * It skips page_set_state's re-read and table lookup, which for these
 * three pairs cannot refuse (both checked in debug builds, and the pairs
 * against the table by tests/mm/test_pagestate.c); the count, the trace
 * line (cause write-fault or read-fault) and the entry are the same.
 */
static inline void page_fault_state(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	KASSERT(from == mmu_state(va) && pagestate_allowed(from, to));
	KASSERT((from == PS_AOW || from == PS_ZERO) && (to == PS_PRESENT || to == PS_ZERO));
	pagestate_change(va, from, to, frame, to == PS_ZERO ? PC_READ_FAULT : PC_WRITE_FAULT);
}

#endif
