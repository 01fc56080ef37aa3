/*
 * Page runs over the heap region (the design is in mm/pagerun.h and
 * docs/heap.md).  Invariants, checked by pagerun_check:
 *   - every page's descriptor says FREE, LARGE, LARGE_TAIL, SLAB or META;
 *   - a free run's head has npages = n and no PG_TAIL; its last page (if
 *     n > 1) has PG_TAIL and npages = n; pages between have flags 0;
 *   - no two free runs touch (freeing coalesces);
 *   - each free run is on exactly one list: set = its PG_COLD flag,
 *     bucket = floor(log2 n);
 *   - a free run has no PRESENT page outside its span [lo, hi); a COLD
 *     run's span is empty, a WARM run's is not;
 *   - a LARGE head with npages = n is followed by n - 1 LARGE_TAIL pages;
 *   - reserved == committed pages holding a reservation that have no frame.
 */
#include "mm/pagerun.h"
#include "mm/pagestate.h"
#include "mm/frame.h"

enum { WARM = 0, COLD = 1 };
#define SCAN_LIMIT 16		/* entries tried per bucket before moving up */

uintptr_t pagerun_base_va;
struct pgdesc *pagerun_pd;
uint32_t pagerun_npg;
#define pd pagerun_pd
#define npg pagerun_npg
static bool overcommit;
static uint32_t head[2][PR_BUCKETS], tail[2][PR_BUCKETS];
static uint32_t nonempty[2];
static size_t nfree_pages, ncommitted, nreserved, nfree_present;

static unsigned bucket(size_t n)
{
	unsigned b = 31 - __builtin_clz((uint32_t)n);

	return b < PR_BUCKETS ? b : PR_BUCKETS - 1;
}

size_t pagerun_desc_size(size_t npages) { return npages * sizeof(struct pgdesc); }
uintptr_t pagerun_base(void) { return pagerun_base_va; }
size_t pagerun_pages(void) { return npg; }

static bool holds_reservation(unsigned kind)
{
	return kind != PK_FREE && (!overcommit || kind == PK_META);
}

/* --- free lists ------------------------------------------------------ */

static void list_push(uint32_t i)
{
	int set = pd[i].flags & PG_COLD ? COLD : WARM;
	unsigned b = bucket(pd[i].npages);

	pd[i].u.link.prev = PR_NONE;
	pd[i].u.link.next = head[set][b];
	if (head[set][b] != PR_NONE)
		pd[head[set][b]].u.link.prev = i;
	else
		tail[set][b] = i;
	head[set][b] = i;
	nonempty[set] |= 1u << b;
}

static void list_remove(uint32_t i)
{
	int set = pd[i].flags & PG_COLD ? COLD : WARM;
	unsigned b = bucket(pd[i].npages);
	uint32_t next = pd[i].u.link.next, prev = pd[i].u.link.prev;

	if (prev != PR_NONE)
		pd[prev].u.link.next = next;
	else
		head[set][b] = next;
	if (next != PR_NONE)
		pd[next].u.link.prev = prev;
	else
		tail[set][b] = prev;
	if (head[set][b] == PR_NONE)
		nonempty[set] &= ~(1u << b);
}

/* --- spans: where in a free run PRESENT pages may be ---------------- */

static const struct pr_span no_span = { 0, 0 };

static bool span_empty(struct pr_span s) { return s.lo >= s.hi; }

/* The smallest span covering a and b shifted right by off. */
static struct pr_span span_join(struct pr_span a, struct pr_span b, uint32_t off)
{
	if (span_empty(b))
		return a;
	b.lo += off;
	b.hi += off;
	if (span_empty(a))
		return b;
	return (struct pr_span){ MIN(a.lo, b.lo), MAX(a.hi, b.hi) };
}

/* The part of s inside [off, off + n), relative to off. */
static struct pr_span span_cut(struct pr_span s, uint32_t off, uint32_t n)
{
	uint32_t lo = MAX(s.lo, off), hi = MIN(s.hi, off + n);

	return lo < hi ? (struct pr_span){ lo - off, hi - off } : no_span;
}

struct pr_span pagerun_span(uint32_t h)
{
	uint32_t n = pd[h].npages;

	if (pd[h].flags & PG_COLD)
		return no_span;
	if (n == 1)
		return (struct pr_span){ 0, 1 };
	return (struct pr_span){ pd[h + n - 1].u.link.next, pd[h + n - 1].u.link.prev };
}

/* Describe [i, i+n) as one free run with span s and list it.  Interior pages are FREE already. */
static void make_free(uint32_t i, uint32_t n, struct pr_span s)
{
	pd[i].kind = PK_FREE;
	pd[i].flags = span_empty(s) ? PG_COLD : 0;
	pd[i].npages = n;
	if (n > 1) {
		pd[i + n - 1].kind = PK_FREE;
		pd[i + n - 1].flags = PG_TAIL;
		pd[i + n - 1].npages = n;
		pd[i + n - 1].u.link.next = span_empty(s) ? 0 : s.lo;
		pd[i + n - 1].u.link.prev = span_empty(s) ? 0 : s.hi;
	}
	list_push(i);
}

void pagerun_span_start(uint32_t h, uint32_t lo)
{
	KASSERT(pd[h].kind == PK_FREE && lo >= pagerun_span(h).lo && lo < pagerun_span(h).hi);
	if (pd[h].npages > 1)
		pd[h + pd[h].npages - 1].u.link.next = lo;
}

/* Clear a free run's head/tail marks so it can become the inside of another. */
static void unmark(uint32_t i)
{
	uint32_t n = pd[i].npages;

	pd[i].flags = 0;
	pd[i].npages = 0;
	pd[i + n - 1].flags = 0;
	pd[i + n - 1].npages = 0;
}

/* Insert [i, i+n) (all pages already FREE, span s) as a run, merging neighbours. */
static void insert_free(uint32_t i, uint32_t n, struct pr_span s)
{
	if (i > 0 && pd[i - 1].kind == PK_FREE) {
		uint32_t ln = pd[i - 1].npages, l = i - ln;

		KASSERT(pd[l].kind == PK_FREE && pd[l].npages == ln && !(pd[l].flags & PG_TAIL));
		s = span_join(pagerun_span(l), s, ln);
		list_remove(l);
		unmark(l);
		i = l;
		n += ln;
	}
	if (i + n < npg && pd[i + n].kind == PK_FREE) {
		uint32_t r = i + n, rn = pd[r].npages;

		s = span_join(s, pagerun_span(r), n);
		list_remove(r);
		unmark(r);
		n += rn;
	}
	make_free(i, n, s);
}

void pagerun_init(uintptr_t base, size_t npages, struct pgdesc *desc, bool oc)
{
	pagerun_base_va = base;
	npg = (uint32_t)npages;
	pd = desc;
	overcommit = oc;
	/* desc arrives zeroed (every page FREE): untouched parts cost nothing */
	memset(head, 0xFF, sizeof(head));
	memset(tail, 0xFF, sizeof(tail));
	nonempty[WARM] = nonempty[COLD] = 0;
	nfree_pages = npages;
	ncommitted = nreserved = nfree_present = 0;
	if (npages)
		make_free(0, npg, no_span);
}

/* --- allocation ------------------------------------------------------ */

/* The first index >= i whose address is aligned to align pages. */
static uint32_t align_up(uint32_t i, size_t align)
{
	uintptr_t pg = (pagerun_base_va >> PAGE_SHIFT) + i;

	return i + (uint32_t)(((pg + align - 1) & ~(uintptr_t)(align - 1)) - pg);
}

static bool fits(uint32_t h, size_t n, size_t align)
{
	uint32_t start = align_up(h, align);

	return start >= h && (size_t)start - h + n <= pd[h].npages;
}

static uint32_t find(int set, size_t n, size_t align)
{
	unsigned b = bucket(n);
	uint32_t mask = nonempty[set] & ~((1u << b) - 1);

	while (mask) {
		unsigned bb = __builtin_ctz(mask);
		uint32_t i = head[set][bb];

		for (int k = 0; i != PR_NONE && k < SCAN_LIMIT; k++, i = pd[i].u.link.next)
			if (fits(i, n, align))
				return i;
		mask &= mask - 1;
	}
	return PR_NONE;
}

/* PRESENT pages in [i + s.lo, i + s.hi). */
static size_t present_in(uint32_t i, struct pr_span s)
{
	size_t k = 0;

	for (uint32_t j = s.lo; j < s.hi; j++)
		k += mmu_state(pagerun_va(i + j)) == PS_PRESENT;
	return k;
}

/* Pages in [i, i+n) without a frame: the reservations they need. */
static size_t frameless(uint32_t i, size_t n)
{
	return n - present_in(i, (struct pr_span){ 0, (uint32_t)n });
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
static bool reserve(uint32_t i, size_t n, struct pr_span s, unsigned kind)
{
	size_t none = n - present_in(i, s);
	size_t need = holds_reservation(kind) ? none : 0;

	if (need && !frame_reserve((uint32_t)need))
		return false;
	nreserved += need;
	nfree_present -= n - none;
	ncommitted += n;
	nfree_pages -= n;
	return true;
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

uint32_t pagerun_alloc(size_t n, size_t align, unsigned kind)
{
	uint32_t h = find(WARM, n, align), start, hn;
	struct pr_span s;

	KASSERT(n > 0 && align && !(align & (align - 1)));
	KASSERT(kind == PK_LARGE || kind == PK_SLAB || (n == 1 && kind == PK_META));
	if (h == PR_NONE)
		h = find(COLD, n, align);
	if (h == PR_NONE)
		return PR_NONE;
	start = align_up(h, align);
	hn = pd[h].npages;
	s = pagerun_span(h);
	if (!reserve(start, n, span_cut(s, start - h, (uint32_t)n), kind))
		return PR_NONE;
	list_remove(h);
	unmark(h);
	if (start > h)
		make_free(h, start - h, span_cut(s, 0, start - h));
	if (start + n < h + hn)
		make_free(start + (uint32_t)n, h + hn - start - (uint32_t)n,
			  span_cut(s, start + (uint32_t)n - h, h + hn - start - (uint32_t)n));
	mark_used(start, n, kind);
	if (MMU_EAGER)
		populate(start, n);
	return start;
}

/* Give back the reservations of [i, i+n); true when none of it has a frame. */
static bool release(uint32_t i, size_t n, unsigned kind)
{
	size_t k = frameless(i, n);

	if (holds_reservation(kind)) {
		KASSERT(nreserved >= k);
		frame_unreserve((uint32_t)k);
		nreserved -= k;
	}
	ncommitted -= n;
	nfree_pages += n;
	nfree_present += n - k;
	return k == n;
}

void pagerun_free(uint32_t i, size_t n)
{
	bool cold;

	KASSERT(i + n <= npg && pd[i].kind != PK_FREE);
	cold = release(i, n, pd[i].kind);
	for (size_t j = 0; j < n; j++) {
		pd[i + j].kind = PK_FREE;
		pd[i + j].flags = 0;
		pd[i + j].npages = 0;
	}
	insert_free(i, (uint32_t)n, cold ? no_span : (struct pr_span){ 0, (uint32_t)n });
}

bool pagerun_grow(uint32_t i, size_t n, size_t m)
{
	uint32_t r = i + (uint32_t)n, rn, k = (uint32_t)(m - n);
	struct pr_span s;

	KASSERT(pd[i].kind == PK_LARGE && pd[i].npages == n && m > n);
	if (r >= npg || pd[r].kind != PK_FREE || pd[r].npages < m - n)
		return false;
	rn = pd[r].npages;
	s = pagerun_span(r);
	if (!reserve(r, k, span_cut(s, 0, k), PK_LARGE))
		return false;
	list_remove(r);
	unmark(r);
	if (rn > k)
		make_free(i + (uint32_t)m, rn - k, span_cut(s, k, rn - k));
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
	if (!holds_reservation(pd[i].kind))
		return frame_alloc();
	KASSERT(nreserved > 0);
	nreserved--;			/* a single CPU: the fault cannot split this */
	return frame_alloc_reserved();
}

size_t pagerun_free_present(void) { return nfree_present; }

void pagerun_note_released(void)
{
	KASSERT(nfree_present > 0);
	nfree_present--;
}

/* --- scavenger support and figures ----------------------------------- */

void pagerun_walk_warm(bool (*fn)(uint32_t head, uint32_t n, void *arg), void *arg)
{
	for (int b = PR_BUCKETS - 1; b >= 0; b--) {
		uint32_t i = tail[WARM][b];

		while (i != PR_NONE) {
			uint32_t prev = pd[i].u.link.prev;

			if (!fn(i, pd[i].npages, arg))
				return;
			i = prev;
		}
	}
}

void pagerun_mark_cold(uint32_t h)
{
	KASSERT(pd[h].kind == PK_FREE && !(pd[h].flags & (PG_TAIL | PG_COLD)));
	list_remove(h);
	make_free(h, pd[h].npages, no_span);
}

void pagerun_stats(struct pagerun_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->free_pages = nfree_pages;
	st->committed_pages = ncommitted;
	st->reserved_frames = nreserved;
	st->free_present = nfree_present;
	for (int set = 0; set < 2; set++)
		for (int b = 0; b < PR_BUCKETS; b++)
			for (uint32_t i = head[set][b]; i != PR_NONE; i = pd[i].u.link.next) {
				st->free_runs++;
				if (set == COLD)
					st->cold_runs++;
				else
					st->warm_runs++;
			}
}

/* --- consistency ----------------------------------------------------- */

static bool bad(uint32_t i, const char *what)
{
	klog(LOG_ERROR, "heap check: page %u (%#lx): %s", (unsigned)i,
	     (unsigned long)pagerun_va(i), what);
	return false;
}

static bool check_free_run(uint32_t i, uint32_t *listed)
{
	uint32_t n = pd[i].npages;
	struct pr_span s;

	if (pd[i].flags & PG_TAIL || n == 0 || i + n > npg)
		return bad(i, "free run head with a bad length or a tail mark");
	if (n > 1 && (pd[i + n - 1].kind != PK_FREE || !(pd[i + n - 1].flags & PG_TAIL) ||
		      pd[i + n - 1].npages != n))
		return bad(i, "free run's last page does not mirror its head");
	for (uint32_t j = i + 1; j + 1 < i + n; j++)
		if (pd[j].kind != PK_FREE || pd[j].flags)
			return bad(j, "inside of a free run is not plain FREE");
	if ((i > 0 && pd[i - 1].kind == PK_FREE) || (i + n < npg && pd[i + n].kind == PK_FREE))
		return bad(i, "free run touches another free run (not coalesced)");
	s = pagerun_span(i);
	if (!(pd[i].flags & PG_COLD) && (span_empty(s) || s.hi > n))
		return bad(i, "warm free run with an empty or overlong span");
	if (present_in(i, span_cut((struct pr_span){ 0, s.lo }, 0, n)) ||
	    present_in(i, span_cut((struct pr_span){ s.hi, n }, 0, n)))
		return bad(i, "PRESENT page outside its free run's span");
	(*listed)++;
	return true;
}

bool pagerun_check(void)
{
	uint32_t runs = 0, listed = 0;
	size_t committed = 0, reserved = 0, freep = 0, fpresent = 0;

	for (uint32_t i = 0; i < npg;) {
		unsigned st = mmu_state(pagerun_va(i));
		uint32_t n = pd[i].npages;

		if (st != PS_AOW && st != PS_ZERO && st != PS_PRESENT)
			return bad(i, "heap page in a state other than AOW, ZERO or PRESENT");
		if (st == PS_PRESENT && !frame_is_used(mmu_frame(pagerun_va(i))))
			return bad(i, "PRESENT page whose frame the frame allocator calls free");
		switch (pd[i].kind) {
		case PK_FREE:
			if (!check_free_run(i, &runs))
				return false;
			freep += n;
			fpresent += n - frameless(i, n);
			i += n;
			continue;
		case PK_LARGE:
			if (n == 0 || i + n > npg)
				return bad(i, "large allocation with a bad length");
			for (uint32_t j = i + 1; j < i + n; j++)
				if (pd[j].kind != PK_LARGE_TAIL)
					return bad(j, "large allocation page is not LARGE_TAIL");
			break;
		case PK_SLAB:
			if (n == 0 || i + n > npg)
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
		committed += n;
		if (holds_reservation(pd[i].kind))
			reserved += frameless(i, n);
		i += n;
	}
	for (int set = 0; set < 2; set++)
		for (int b = 0; b < PR_BUCKETS; b++) {
			uint32_t prev = PR_NONE;

			for (uint32_t i = head[set][b]; i != PR_NONE; prev = i, i = pd[i].u.link.next) {
				if (i >= npg || pd[i].kind != PK_FREE || pd[i].flags & PG_TAIL)
					return bad(i, "free list entry is not a free run head");
				if (bucket(pd[i].npages) != (unsigned)b || !(pd[i].flags & PG_COLD) != (set == WARM))
					return bad(i, "free run on the wrong list");
				if (pd[i].u.link.prev != prev)
					return bad(i, "free list back link is wrong");
				if (++listed > runs)
					return bad(i, "free lists hold more entries than there are runs");
			}
			if (tail[set][b] != prev)
				return bad(prev, "free list tail is wrong");
			if (!!(nonempty[set] & (1u << b)) != (head[set][b] != PR_NONE))
				return bad(0, "bucket bitmap disagrees with its list");
		}
	if (listed != runs)
		return bad(0, "a free run is on no list");
	if (committed != ncommitted || freep != nfree_pages || committed + freep != npg)
		return bad(0, "committed or free page count is off");
	if (reserved != nreserved)
		return bad(0, "frame reservations != committed pages without a frame");
	if (fpresent != nfree_present)
		return bad(0, "count of PRESENT pages in free runs is off");
	return true;
}
