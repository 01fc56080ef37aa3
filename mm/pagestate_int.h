/*
 * The page-state machine's internals (mm/pagestate.c), for the one
 * transition a caller inlines: the demand-fault path's (mm/heapfault.c),
 * where a call and a re-read of the entry are a large part of the cost,
 * and which installs its entry with a compare-and-swap (no lock).
 * Private to mm/ (scripts/check-layers refuses it outside).
 *
 * pagestate_change is the body of every counted transition: the count of
 * the watched range, the page's trace line, the entry (traced: all three
 * under the trace lock, pagestate_change_traced).  page_set_state
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

/*
 * The state of a page in the heap region, whose page tables the platform
 * made before kheap_init and never frees (docs/porting.md, boot step 3):
 * the platform's MMU_SET_INLINE header may define mmu_state_tabled, a
 * walk that skips the levels above the entry; mmu_state where it does not.
 */
#ifndef mmu_state_tabled
#define mmu_state_tabled(va) mmu_state(va)
#endif

/* Is the heap region's page at va AOW?  A platform may compare the whole entry (x86). */
#ifndef mmu_aow_tabled
#define mmu_aow_tabled(va) (mmu_state_tabled(va) == PS_AOW)
#endif

/*
 * An entry write over an entry the caller knows is not present: the
 * platform may skip the TLB invalidation mmu_set does (no TLB holds a
 * not-present entry; x86: arch/x86/mmu_set.h).  mmu_set where it does not.
 */
#ifndef mmu_set_absent
#define mmu_set_absent(va, state, frame) mmu_set(va, state, frame)
#endif

/* The watched range (the heap region) and its pages in each state. */
struct pagestate_watch {
	uintptr_t base;
	size_t bytes;		/* pages * PAGE_SIZE: pagestate_watched is one subtract and compare */
	size_t counts[PS_COUNT];
	bool quiet[CPU_MAX];	/* this CPU's vm_convert traces its runs itself */
};
extern struct pagestate_watch ps_watch;
/* zero_frame(), for the fault path's inline read install. */
extern pfn_t ps_zero_frame;

/* The `page` trace line (docs/trace-format.md) of one transition. */
void pagestate_trace(uintptr_t va, unsigned from, unsigned to, pfn_t frame, unsigned cause);

/*
 * n watched pages went from `from` to `to` (a release counts its range's
 * KEPT pages at once).  Atomic: faults on several CPUs and heap-lock
 * holders change pages at once.
 */
static inline void pagestate_count_many(unsigned from, unsigned to, size_t n)
{
	__atomic_fetch_sub(&ps_watch.counts[from], n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ps_watch.counts[to], n, __ATOMIC_RELAXED);
}

static inline void pagestate_count(unsigned from, unsigned to)
{
	pagestate_count_many(from, to, 1);
}

#ifndef MMU_READ_INLINE
/*
 * A page's state and the frame its entry holds (PFN_NONE when none), as
 * mmu_state and mmu_frame give them; a platform may read both from one
 * read of the entry (MMU_READ_INLINE: the kernel's arch_glue.h).
 */
static inline unsigned mmu_read(uintptr_t va, pfn_t *frame)
{
	unsigned s = mmu_state(va);

	*frame = pagestate_has_frame(s) ? mmu_frame(va) : PFN_NONE;
	return s;
}
#endif

/* mmu_read for a page of the heap region (as mmu_state_tabled for mmu_state). */
#ifndef mmu_read_tabled
#define mmu_read_tabled(va, frame) mmu_read(va, frame)
#endif

static inline bool pagestate_watched(uintptr_t va)
{
	return va - ps_watch.base < ps_watch.bytes;
}

/* Does this CPU's change of a watched page write its own trace line? */
static inline bool pagestate_traced(void)
{
	return TRACE_ON(TR_PAGES) && !ps_watch.quiet[cpu_id()];
}

/*
 * A traced change of a watched page: its count, its line and its entry in
 * one trace-lock section, so a stats line or a snapshot that another CPU
 * writes (under the trace lock) sees all three or none of them.  The
 * install form writes the entry by compare-and-swap (false, nothing
 * changed, when the entry left state `from`).
 */
void pagestate_change_traced(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
			     unsigned cause);
bool pagestate_install_traced(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
			      unsigned cause);

static inline void pagestate_change(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
				    unsigned cause)
{
	KASSERT(pagestate_has_frame(to) == (frame != PFN_NONE));
	KASSERT(to != PS_ZERO || frame == zero_frame());
	if (pagestate_watched(va)) {
		if (pagestate_traced()) {
			pagestate_change_traced(va, from, to, frame, cause);
			return;
		}
		pagestate_count(from, to);
	}
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
 * same, counted once the entry is in (traced: all three under the trace
 * lock, as pagestate_change).  A caller that knows the page is watched
 * calls page_fault_install_watched; one that also knows page tracing is
 * off (the fast write, which tests it first) page_fault_install_untraced:
 * each skips what it knows.
 */
static inline __attribute__((always_inline)) bool
page_fault_install_untraced(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	KASSERT(pagestate_allowed(from, to));
	KASSERT((from == PS_AOW || from == PS_ZERO) && (to == PS_PRESENT || to == PS_ZERO));
	KASSERT(pagestate_has_frame(to) == (frame != PFN_NONE));
	KASSERT(to != PS_ZERO || frame == zero_frame());
	KASSERT(pagestate_watched(va) && !pagestate_traced());
	if (!mmu_set_if(va, from, to, frame))
		return false;
	pagestate_count(from, to);
	return true;
}

static inline __attribute__((always_inline)) bool
page_fault_install_watched(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	unsigned cause = to == PS_ZERO ? PC_READ_FAULT : PC_WRITE_FAULT;

	KASSERT(pagestate_watched(va));
	if (pagestate_traced())
		return pagestate_install_traced(va, from, to, frame, cause);
	return page_fault_install_untraced(va, from, to, frame);
}

static inline __attribute__((always_inline)) bool
page_fault_install(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	if (!pagestate_watched(va))
		return mmu_set_if(va, from, to, frame);
	return page_fault_install_watched(va, from, to, frame);
}

#endif
