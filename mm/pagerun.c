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
 *   heap.free_present == KEPT pages (free, frame kept) inside free runs;
 *   a free run's pages are AOW or KEPT: nothing of free space is mapped.
 *
 * Locking: heap lock held, asserted at every entry point, except
 * pagerun_fault_frame (the fault path; see mm/heap_int.h).
 */
#include "mm/heap_int.h"

#define pd heap.pd

size_t pagerun_state_in(uint32_t i, uint32_t lo, uint32_t hi, unsigned st)
{
	size_t k = 0;

	for (uint32_t j = lo; j < hi; j++)
		k += mmu_state(pagerun_va(i + j)) == st;
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
 * s is where in [i, i+n) KEPT pages (free, with their frames) may be.
 */
static bool reserve(uint32_t i, size_t n, struct run_span s, unsigned kind)
{
	size_t none = n - pagerun_state_in(i, s.lo, s.hi, PS_KEPT);
	size_t need = pagerun_holds_reservation(kind) ? none : 0;

	if (need && !frame_reserve((uint32_t)need))
		return false;
	__atomic_fetch_add(&heap.reserved, need, __ATOMIC_RELAXED);	/* the fault path: heap_int.h */
	heap.free_present -= n - none;
	heap.committed += n;
	heap.free_pages -= n;
	return true;
}

/*
 * Give back the reservations of a freed run of n pages of kind, `kept`
 * of which kept their frames (vm_keep) and `guards` were GUARD: the other
 * n - kept - guards held one.
 */
static void unreserve(size_t n, size_t kept, size_t guards, unsigned kind)
{
	size_t k = n - kept - guards;

	if (pagerun_holds_reservation(kind)) {
		KASSERT(heap.reserved >= k);
		frame_unreserve((uint32_t)k);
		__atomic_fetch_sub(&heap.reserved, k, __ATOMIC_RELAXED);
	}
	heap.committed -= n;
	heap.free_pages += n;
	heap.free_present += kept;
}

/*
 * Where the platform sees no faults (MMU_EAGER), committed pages are
 * taken to be written: each frameless one gets its frame now, as its
 * first write fault would have given it.
 */
static void populate(uint32_t i, size_t n)
{
	bool zeroed;			/* the platform's pages read as zero anyway */

	for (size_t j = 0; j < n; j++) {
		uintptr_t va = pagerun_va(i + (uint32_t)j);

		if (mmu_state(va) != PS_PRESENT)
			page_set_state(va, PS_PRESENT, pagerun_fault_frame(i + (uint32_t)j, &zeroed),
				       PC_WRITE_FAULT);
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
	struct run_span s;

	HEAP_ASSERT_LOCKED();
	KASSERT(n > 0 && align && !(align & (align - 1)));
	KASSERT(kind == PK_LARGE || kind == PK_SLAB || (n == 1 && kind == PK_META));
	h = freerun_find(WARM, n, align);
	if (h == PG_NONE)
		h = freerun_find(COLD, n, align);
	if (h == PG_NONE)
		return PG_NONE;
	start = freerun_align_up(h, align);
	s = span_cut(freerun_span(h), start - h, (uint32_t)n);
	if (!reserve(start, n, s, kind))
		return PG_NONE;
	carve(h, start, (uint32_t)n);
	mark_used(start, n, kind);
	vm_reuse(pagerun_va(start + s.lo), s.hi - s.lo);	/* KEPT pages: their frames again */
	if (MMU_EAGER)
		populate(start, n);
	return start;
}

void pagerun_guard(uint32_t i, uint32_t lo, uint32_t n, unsigned cause)
{
	size_t framed = pagerun_state_in(i, lo, lo + n, PS_PRESENT);
	size_t k = n - framed - pagerun_state_in(i, lo, lo + n, PS_GUARD);

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[i].kind == PK_LARGE && lo + n <= pd[i].npages);
	vm_convert(pagerun_va(i + lo), n, PS_GUARD, cause);
	if (k && pagerun_holds_reservation(PK_LARGE)) {
		frame_unreserve((uint32_t)k);
		__atomic_fetch_sub(&heap.reserved, k, __ATOMIC_RELAXED);
	}
}

/* The GUARD pages of the run [i, i+n) back to AOW (they held nothing); how many.  Out of line: rare. */
static __attribute__((noinline, cold)) size_t unguard(uint32_t i, size_t n)
{
	size_t g = 0;

	for (uint32_t j = 0; j < n; j++)
		if (mmu_state(pagerun_va(i + j)) == PS_GUARD) {
			vm_convert(pagerun_va(i + j), 1, PS_AOW, PC_FREE);
			g++;
		}
	return g;
}

/*
 * Make the descriptors of the run [i, i+n) zero bytes, as the inside of
 * a free run has them.  A large run's tails hold nothing but their kind
 * (heap_check), so only that is cleared: the 16-page pair's stores.
 */
static void clear_descs(uint32_t i, size_t n)
{
	bool large = pd[i].kind == PK_LARGE || pd[i].kind == PK_LARGE_TAIL;

	pd[i] = (struct pgdesc){ 0 };
	if (large)
		for (size_t j = 1; j < n; j++)
			pd[i + j].kind = PK_FREE;
	else
		for (size_t j = 1; j < n; j++)
			pd[i + j] = (struct pgdesc){ 0 };
}

/* Note [i, i+n) as handed out once (pagerun_once_used): a word at a time. */
static void mark_freed(uint32_t i, size_t n)
{
	for (uint32_t end = i + (uint32_t)n; i < end;) {
		uint32_t k = MIN(end - i, 32 - i % 32);

		heap.freed[i / 32] |= (k == 32 ? ~0u : (1u << k) - 1) << (i % 32);
		i += k;
	}
}

/*
 * Freed pages are inaccessible at once (vm_keep): a PRESENT page keeps
 * its frame as KEPT, a ZERO page drops the zero frame; a run that kept
 * no frame goes straight to the cold set.  Their descriptors become zero
 * bytes (mm/freerun.c), what they were noted in the freed bitmap.
 */
void pagerun_free(uint32_t i, size_t n)
{
	size_t kept, guards = 0;

	HEAP_ASSERT_LOCKED();
	KASSERT(i + n <= heap.npg && pd[i].kind != PK_FREE);
	if (__builtin_expect(pd[i].flags & PG_SAMPLED, 0))
		guards = unguard(i, n);
	kept = vm_keep(pagerun_va(i), n);
	unreserve(n, kept, guards, pd[i].kind);
	clear_descs(i, n);
	mark_freed(i, n);
	freerun_insert(i, (uint32_t)n, kept ? (struct run_span){ 0, (uint32_t)n } : no_span);
}

bool pagerun_grow(uint32_t i, size_t n, size_t m)
{
	uint32_t r = i + (uint32_t)n, k = (uint32_t)(m - n);
	struct run_span s;

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[i].kind == PK_LARGE && pd[i].npages == n && m > n);
	if (r >= heap.npg || pd[r].kind != PK_FREE || pd[r].npages < m - n)
		return false;
	s = span_cut(freerun_span(r), 0, k);
	if (!reserve(r, k, s, PK_LARGE))
		return false;
	carve(r, r, k);
	mark_used(r, k, PK_LARGE_TAIL);
	vm_reuse(pagerun_va(r + s.lo), s.hi - s.lo);
	pd[r].npages = 0;		/* a tail page, not a run head */
	pd[i].npages = (uint32_t)m;
	if (MMU_EAGER)
		populate(r, k);
	return true;
}

pfn_t pagerun_fault_frame(uint32_t i, bool *zeroed)
{
	KASSERT(pd[i].kind != PK_FREE);
	*zeroed = false;
	if (!pagerun_holds_reservation(pd[i].kind))
		return frame_alloc();
	return pagerun_reserved_frame(zeroed);
}
