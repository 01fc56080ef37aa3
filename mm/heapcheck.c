/*
 * The heap checker: every invariant of docs/heap.md, over the page
 * descriptors, the free-run index, the page accounting and (through
 * slab_check) the slabs.  It reads everything and changes nothing; the
 * first problem found is logged, naming the page.
 *
 * Invariants of the page level:
 *   - every page's descriptor says FREE, LARGE, LARGE_TAIL, SLAB or META;
 *   - a free run's head has npages = n and no PG_TAIL; its last page (if
 *     n > 1) has PG_TAIL and npages = n; the descriptors of pages between
 *     are zero bytes (what lets the idle pass give their pages back);
 *   - no two free runs touch (freeing coalesces);
 *   - each free run is on exactly one list: set = its PG_COLD flag,
 *     bucket = floor(log2 n);
 *   - a free run's pages are AOW or KEPT (free space is never mapped), with
 *     no KEPT page outside its span [lo, hi), and each KEPT page's frame in
 *     use; a COLD run's span is empty, a WARM run's is not;
 *   - a LARGE head with npages = n is followed by n - 1 LARGE_TAIL pages,
 *     their descriptors zero bytes but for the kind;
 *   - reserved == committed pages holding a reservation that have no frame,
 *     and no more than the frame allocator promised (its free promises
 *     and the frames its per-CPU caches hold: mm/frame_int.h)
 *     and are not GUARD;
 *   - every page is AOW, ZERO, PRESENT or KEPT, and a PRESENT page's frame
 *     is in use; KEPT pages only in free runs; GUARD pages only in a
 *     guarded block (LARGE, PG_SAMPLED): its first and last while it is live,
 *     every page once it is freed into the quarantine (PG_RETIRED).
 *
 * Locking: heap lock held (asserted).
 */
#include "mm/heap_int.h"

#define pd heap.pd

struct tally { uint32_t runs; size_t committed, reserved, free, free_present; };

static bool bad(uint32_t i, const char *what)
{
	klog(LOG_ERROR, "heap check: page %u (%#lx): %s", (unsigned)i,
	     (unsigned long)pagerun_va(i), what);
	return false;
}

/* Pages of [i, i+n) that hold a reservation when their kind does: no frame, not GUARD. */
static size_t frameless(uint32_t i, uint32_t n)
{
	return n - pagerun_state_in(i, 0, n, PS_PRESENT) - pagerun_state_in(i, 0, n, PS_GUARD);
}

/*
 * GUARD pages of the committed run at i: only a guarded block has them,
 * its first and last pages while it is live and all of them once freed
 * (retired).
 */
static bool check_guards(uint32_t i, uint32_t n)
{
	size_t g = pagerun_state_in(i, 0, n, PS_GUARD);
	bool sampled = pd[i].kind == PK_LARGE && pd[i].flags & PG_SAMPLED;

	if (!sampled)
		return !g || bad(i, "GUARD page in a run that is not a guarded block");
	if (n < 3)
		return bad(i, "guarded block of fewer than three pages (no room for its guards)");
	if (pd[i].flags & PG_RETIRED)
		return g == n || bad(i, "freed guarded block with a page that is not GUARD");
	if (g != 2 || mmu_state(pagerun_va(i)) != PS_GUARD ||
	    mmu_state(pagerun_va(i + n - 1)) != PS_GUARD)
		return bad(i, "live guarded block whose GUARD pages are not exactly its first and last");
	return true;
}

/* Every page of the free run [i, i+n) is AOW or KEPT; the KEPT ones within span s. */
static bool check_free_pages(uint32_t i, uint32_t n, struct run_span s, struct tally *t)
{
	for (uint32_t j = 0; j < n; j++) {
		uintptr_t va = pagerun_va(i + j);
		unsigned st = mmu_state(va);

		if (st != PS_AOW && st != PS_KEPT)
			return bad(i + j, "free heap page neither AOW nor KEPT (free space is mapped)");
		if (st != PS_KEPT)
			continue;
		if (j < s.lo || j >= s.hi)
			return bad(i + j, "KEPT page outside its free run's span");
		if (!frame_is_used(mmu_frame(va)))
			return bad(i + j, "KEPT page whose frame the frame allocator calls free");
		t->free_present++;
	}
	return true;
}

static bool desc_is_zero(const struct pgdesc *d)
{
	static const struct pgdesc zero;

	return !memcmp(d, &zero, sizeof(zero));
}

/* LARGE_TAIL and zero bytes besides: pagerun_free clears only the kind of a tail. */
static bool is_plain_tail(const struct pgdesc *d)
{
	struct pgdesc t = { .kind = PK_LARGE_TAIL };

	return !memcmp(d, &t, sizeof(t));
}

static bool check_free_run(uint32_t i, struct tally *t)
{
	uint32_t n = pd[i].npages;
	struct run_span s;

	if (pd[i].flags & PG_TAIL || n == 0 || i + n > heap.npg)
		return bad(i, "free run head with a bad length or a tail mark");
	if (n > 1 && (pd[i + n - 1].kind != PK_FREE || !(pd[i + n - 1].flags & PG_TAIL) ||
		      pd[i + n - 1].npages != n))
		return bad(i, "free run's last page does not mirror its head");
	for (uint32_t j = i + 1; j + 1 < i + n; j++)
		if (!desc_is_zero(&pd[j]))
			return bad(j, "inside of a free run is not zero bytes");
	if ((i > 0 && pd[i - 1].kind == PK_FREE) || (i + n < heap.npg && pd[i + n].kind == PK_FREE))
		return bad(i, "free run touches another free run (not coalesced)");
	s = freerun_span(i);
	if (!(pd[i].flags & PG_COLD) && (span_empty(s) || s.hi > n))
		return bad(i, "warm free run with an empty or overlong span");
	if (!check_free_pages(i, n, s, t))
		return false;
	t->runs++;
	t->free += n;
	return true;
}

/* The pages after a committed head: what its kind says they must be. */
static bool check_used_run(uint32_t i, struct tally *t)
{
	uint32_t n = pd[i].npages;

	switch (pd[i].kind) {
	case PK_LARGE:
		if (n == 0 || i + n > heap.npg)
			return bad(i, "large allocation with a bad length");
		for (uint32_t j = i + 1; j < i + n; j++)
			if (!is_plain_tail(&pd[j]))
				return bad(j, "large allocation page is not a plain LARGE_TAIL");
		break;
	case PK_SLAB:
		if (n == 0 || i + n > heap.npg)
			return bad(i, "slab with a bad length");
		for (uint32_t j = i + 1; j < i + n; j++)
			if (pd[j].kind != PK_SLAB || pd[j].npages)
				return bad(j, "later page of a slab is not a plain SLAB page");
		break;
	case PK_META:
		if (n != 1)
			return bad(i, "metadata page with a length other than 1");
		break;
	default:
		return bad(i, "page descriptor of an unknown kind or a stray LARGE_TAIL");
	}
	if (pagerun_state_in(i, 0, n, PS_KEPT))
		return bad(i, "KEPT page in a committed run (kept frames are free space's)");
	if (!check_guards(i, n))
		return false;
	t->committed += n;
	if (pagerun_holds_reservation(pd[i].kind))
		t->reserved += frameless(i, n);
	return true;
}

static bool check_page_state(uint32_t i)
{
	unsigned st = mmu_state(pagerun_va(i));

	if (st == PS_GUARD && pd[i].kind != PK_FREE)
		return true;		/* a guarded block's: check_guards */
	if (st != PS_AOW && st != PS_ZERO && st != PS_PRESENT && st != PS_KEPT)
		return bad(i, "heap page in a state other than AOW, ZERO, PRESENT, KEPT or a guarded block's GUARD");
	if (st == PS_PRESENT && !frame_is_used(mmu_frame(pagerun_va(i))))
		return bad(i, "PRESENT page whose frame the frame allocator calls free");
	return true;
}

static bool check_pages(struct tally *t)
{
	for (uint32_t i = 0; i < heap.npg; i += pd[i].npages) {
		if (!check_page_state(i))
			return false;
		if (pd[i].kind == PK_FREE ? !check_free_run(i, t) : !check_used_run(i, t))
			return false;
	}
	return true;
}

/* One list: every entry a run head of the right size and set, links both ways. */
static bool check_list(int set, int b, uint32_t runs, uint32_t *listed)
{
	uint32_t prev = PG_NONE;

	for (uint32_t i = heap.head[set][b]; i != PG_NONE; prev = i, i = pd[i].u.link.next) {
		if (i >= heap.npg || pd[i].kind != PK_FREE || pd[i].flags & PG_TAIL)
			return bad(i, "free list entry is not a free run head");
		if (freerun_bucket(pd[i].npages) != (unsigned)b || !(pd[i].flags & PG_COLD) != (set == WARM))
			return bad(i, "free run on the wrong list");
		if (pd[i].u.link.prev != prev)
			return bad(i, "free list back link is wrong");
		if (++*listed > runs)
			return bad(i, "free lists hold more entries than there are runs");
	}
	if (heap.tail[set][b] != prev)
		return bad(prev, "free list tail is wrong");
	if (!!(heap.nonempty[set] & (1u << b)) != (heap.head[set][b] != PG_NONE))
		return bad(0, "bucket bitmap disagrees with its list");
	return true;
}

static bool check_lists(uint32_t runs)
{
	uint32_t listed = 0;

	for (int set = 0; set < 2; set++)
		for (int b = 0; b < RUN_BUCKETS; b++)
			if (!check_list(set, b, runs, &listed))
				return false;
	return listed == runs || bad(0, "a free run is on no list");
}

/*
 * The frames the allocator has promised, the ones in per-CPU caches
 * included: at least the heap's reservations (others may promise too).
 */
static size_t frames_promised(void)
{
	struct frame_stats fs;

	frame_stats(&fs);
	return fs.reserved;
}

static bool check_counts(const struct tally *t)
{
	if (t->committed != heap.committed || t->free != heap.free_pages ||
	    t->committed + t->free != heap.npg)
		return bad(0, "committed or free page count is off");
	if (t->reserved != heap.reserved)
		return bad(0, "frame reservations != committed pages without a frame");
	if (heap.reserved > frames_promised())
		return bad(0, "frame reservations > frames promised (free and per-CPU cached)");
	if (t->free_present != heap.free_present)
		return bad(0, "count of KEPT pages in free runs is off");
	return true;
}

bool heap_check(void)
{
	struct tally t = { 0 };

	HEAP_ASSERT_LOCKED();
	return check_pages(&t) && check_lists(t.runs) && check_counts(&t) && slab_check();
}
