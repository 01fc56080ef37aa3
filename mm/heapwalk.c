/*
 * Walking the heap's free space, and the one way a free page gives its
 * frame back.  The scavenger (mm/scavenge.c) decides when and how much;
 * this file decides nothing.
 *
 * Invariant kept here: a page released by heap_release_page is AOW, its
 * TLB entry was invalidated before its frame went back to the frame
 * allocator, and heap.free_present counts one PRESENT page fewer.
 *
 * Locking: heap lock held, asserted at every entry point.
 */
#include "mm/heap_int.h"

#define pd heap.pd

void heap_walk_warm(bool (*fn)(uint32_t head, void *arg), void *arg)
{
	HEAP_ASSERT_LOCKED();
	for (int b = RUN_BUCKETS - 1; b >= 0; b--) {
		uint32_t i = heap.tail[WARM][b];

		while (i != PG_NONE) {
			uint32_t prev = pd[i].u.link.prev;

			if (!fn(i, arg))
				return;
			i = prev;
		}
	}
}

void heap_mark_cold(uint32_t h)
{
	uint32_t n = pd[h].npages;

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[h].kind == PK_FREE && !(pd[h].flags & (PG_TAIL | PG_COLD)));
	freerun_take(h);
	freerun_make(h, n, no_span);
}

void heap_span_start(uint32_t h, uint32_t lo)
{
	HEAP_ASSERT_LOCKED();
	KASSERT(pd[h].kind == PK_FREE && lo >= freerun_span(h).lo && lo < freerun_span(h).hi);
	if (pd[h].npages > 1)
		pd[h + pd[h].npages - 1].u.link.next = lo;
}

enum release_result heap_release_page(uint32_t i, unsigned cause)
{
	uintptr_t va = pagerun_va(i);
	unsigned st = mmu_state(va);
	pfn_t f;

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[i].kind == PK_FREE);
	if (st == PS_ZERO) {
		page_set_state(va, PS_AOW, PFN_NONE, cause);
		return RELEASED_ZERO;
	}
	if (st != PS_PRESENT)
		return RELEASED_NOTHING;
	f = mmu_frame(va);
	page_set_state(va, PS_AOW, PFN_NONE, cause);	/* invalidates the TLB entry */
	frame_free(f);
	KASSERT(heap.free_present > 0);
	heap.free_present--;
	return RELEASED_FRAME;
}
