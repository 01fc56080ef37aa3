/*
 * Page runs: the heap region's page-level allocator and its commit
 * accounting, over the free-run index (mm/freerun.c).
 *
 * Commitment: a page is committed while it is part of an allocation
 * (LARGE, LARGE_TAIL, SLAB, META).  Every committed page that has no
 * frame yet holds one frame reservation (mm/frame.h), so its first write
 * fault always finds a frame: pagerun_alloc reserves, pagerun_free returns
 * the reservations, the fault path consumes them.  Under overcommit only
 * META pages hold reservations.
 *
 * Invariants (checked by mm/heapcheck.c):
 *   heap.committed + heap.free_pages == region pages;
 *   heap.reserved == committed pages holding a reservation without a frame;
 *   heap.free_present == PRESENT pages inside free runs.
 *
 * Locking: heap lock held, asserted at every entry point, except
 * pagerun_fault_frame (the fault path; see mm/heap_int.h).
 */
#include "mm/heap_int.h"

#define pd heap.pd

size_t pagerun_present_in(uint32_t i, uint32_t lo, uint32_t hi)
{
	size_t k = 0;

	for (uint32_t j = lo; j < hi; j++)
		k += mmu_state(pagerun_va(i + j)) == PS_PRESENT;
	return k;
}

/* Mark [i, i+n) as allocated pages of kind. */
static void mark_used(uint32_t i, size_t n, unsigned kind)
{
	for (size_t j = 0; j < n; j++) {
		pd[i + j].kind = j && kind == PK_LARGE ? PK_LARGE_TAIL : kind;
		pd[i + j].flags = 0;
		pd[i + j].npages = 0;
	}
	pd[i].npages = (uint32_t)n;
}

/*
 * Promise frames for the frameless pages of [i, i+n) if kind needs it;
 * s is where in [i, i+n) PRESENT pages may be.
 */
static bool reserve(uint32_t i, size_t n, struct run_span s, unsigned kind)
{
	size_t none = n - pagerun_present_in(i, s.lo, s.hi);
	size_t need = pagerun_holds_reservation(kind) ? none : 0;

	if (need && !frame_reserve((uint32_t)need))
		return false;
	__atomic_fetch_add(&heap.reserved, need, __ATOMIC_RELAXED);	/* the fault path: heap_int.h */
	heap.free_present -= n - none;
	heap.committed += n;
	heap.free_pages -= n;
	return true;
}

/* PRESENT pages in [i, i+n), and in *zero whether any is ZERO. */
static size_t count_mapped(uint32_t i, size_t n, bool *zero)
{
	size_t k = 0;

	*zero = false;
	for (size_t j = 0; j < n; j++) {
		unsigned st = mmu_state(pagerun_va(i + (uint32_t)j));

		k += st == PS_PRESENT;
		*zero |= st == PS_ZERO;
	}
	return k;
}

/*
 * Give back the reservations of [i, i+n); true when no page of it is
 * mapped at all (no frame, and no zero-frame mapping the scavenger should
 * drop), so the freed run can go straight to the cold set.
 */
static bool unreserve(uint32_t i, size_t n, unsigned kind)
{
	bool zero;
	size_t k = n - count_mapped(i, n, &zero);

	if (pagerun_holds_reservation(kind)) {
		KASSERT(heap.reserved >= k);
		frame_unreserve((uint32_t)k);
		__atomic_fetch_sub(&heap.reserved, k, __ATOMIC_RELAXED);
	}
	heap.committed -= n;
	heap.free_pages += n;
	heap.free_present += n - k;
	return k == n && !zero;
}

/*
 * Where the platform sees no faults (MMU_EAGER), committed pages are
 * taken to be written: each frameless one gets its frame now, as its
 * first write fault would have given it.
 */
static void populate(uint32_t i, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		uintptr_t va = pagerun_va(i + (uint32_t)j);

		if (mmu_state(va) != PS_PRESENT)
			page_set_state(va, PS_PRESENT, pagerun_fault_frame(i + (uint32_t)j), PC_WRITE_FAULT);
	}
}

/* Carve [start, start+n) out of the free run at h, listing what is left either side. */
static void carve(uint32_t h, uint32_t start, uint32_t n)
{
	uint32_t hn = pd[h].npages, end = start + n;
	struct run_span s = freerun_span(h);

	freerun_take(h);
	if (start > h)
		freerun_make(h, start - h, span_cut(s, 0, start - h));
	if (end < h + hn)
		freerun_make(end, h + hn - end, span_cut(s, end - h, h + hn - end));
}

uint32_t pagerun_alloc(size_t n, size_t align, unsigned kind)
{
	uint32_t h, start;

	HEAP_ASSERT_LOCKED();
	KASSERT(n > 0 && align && !(align & (align - 1)));
	KASSERT(kind == PK_LARGE || kind == PK_SLAB || (n == 1 && kind == PK_META));
	h = freerun_find(WARM, n, align);
	if (h == PG_NONE)
		h = freerun_find(COLD, n, align);
	if (h == PG_NONE)
		return PG_NONE;
	start = freerun_align_up(h, align);
	if (!reserve(start, n, span_cut(freerun_span(h), start - h, (uint32_t)n), kind))
		return PG_NONE;
	carve(h, start, (uint32_t)n);
	mark_used(start, n, kind);
	if (MMU_EAGER)
		populate(start, n);
	return start;
}

void pagerun_free(uint32_t i, size_t n)
{
	bool cold;

	HEAP_ASSERT_LOCKED();
	KASSERT(i + n <= heap.npg && pd[i].kind != PK_FREE);
	cold = unreserve(i, n, pd[i].kind);
	for (size_t j = 0; j < n; j++) {
		pd[i + j].kind = PK_FREE;
		pd[i + j].flags = 0;
		pd[i + j].npages = 0;
	}
	freerun_insert(i, (uint32_t)n, cold ? no_span : (struct run_span){ 0, (uint32_t)n });
}

bool pagerun_grow(uint32_t i, size_t n, size_t m)
{
	uint32_t r = i + (uint32_t)n, k = (uint32_t)(m - n);

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[i].kind == PK_LARGE && pd[i].npages == n && m > n);
	if (r >= heap.npg || pd[r].kind != PK_FREE || pd[r].npages < m - n)
		return false;
	if (!reserve(r, k, span_cut(freerun_span(r), 0, k), PK_LARGE))
		return false;
	carve(r, r, k);
	mark_used(r, k, PK_LARGE_TAIL);
	pd[r].npages = 0;		/* a tail page, not a run head */
	pd[i].npages = (uint32_t)m;
	if (MMU_EAGER)
		populate(r, k);
	return true;
}

pfn_t pagerun_fault_frame(uint32_t i)
{
	KASSERT(pd[i].kind != PK_FREE);
	if (!pagerun_holds_reservation(pd[i].kind))
		return frame_alloc();
	return pagerun_reserved_frame();
}
