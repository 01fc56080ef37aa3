/*
 * The free-run index: every free run of the heap region, coalesced, on
 * one of two sets of power-of-two size buckets (mm/heap_int.h).
 *
 *   WARM  may hold KEPT pages: freed since the scavenger last saw them;
 *   COLD  all AOW.
 *
 * Allocation tries warm first, so reuse takes no faults; within a list
 * the newest run is first, and the scavenger walks from the oldest.
 *
 * A run's head descriptor holds its length and list links; its last page
 * (n > 1) has PG_TAIL, the length, and the run's span in u.link
 * (next = lo, prev = hi).  Pages between have descriptors of zero bytes
 * (kind FREE, no flags, no length, no links): a run taken off its list
 * leaves its head and last page so, and pagerun_free writes the pages it
 * frees so.  Whole pages of such descriptors are what the idle pass may
 * give back to the platform (freerun_release_meta).
 *
 * Locking: heap lock held; these are helpers of mm/pagerun.c and
 * mm/heapwalk.c, whose entry points assert it.
 */
#include "mm/heap_int.h"

#define SCAN_LIMIT 16		/* entries tried per bucket before moving up */

#define pd heap.pd

static int set_of(uint32_t i) { return pd[i].flags & PG_COLD ? COLD : WARM; }

/*
 * Put the chain first..last (linked by next) at the head of list (set, b).
 * Inline: a call here costs the 16-page kmalloc+kfree pair 54 instructions.
 */
static inline __attribute__((always_inline)) void
list_push_chain(int set, unsigned b, uint32_t first, uint32_t last)
{
	pd[first].u.link.prev = PG_NONE;
	pd[last].u.link.next = heap.head[set][b];
	if (heap.head[set][b] != PG_NONE)
		pd[heap.head[set][b]].u.link.prev = last;
	else
		heap.tail[set][b] = last;
	heap.head[set][b] = first;
	heap.nonempty[set] |= 1u << b;
}

static void list_push(uint32_t i)
{
	list_push_chain(set_of(i), freerun_bucket(pd[i].npages), i, i);
}

static void list_remove(uint32_t i)
{
	int set = set_of(i);
	unsigned b = freerun_bucket(pd[i].npages);
	uint32_t next = pd[i].u.link.next, prev = pd[i].u.link.prev;

	if (prev != PG_NONE)
		pd[prev].u.link.next = next;
	else
		heap.head[set][b] = next;
	if (next != PG_NONE)
		pd[next].u.link.prev = prev;
	else
		heap.tail[set][b] = prev;
	if (heap.head[set][b] == PG_NONE)
		heap.nonempty[set] &= ~(1u << b);
}

void freerun_init(void)
{
	memset(heap.head, 0xFF, sizeof(heap.head));
	memset(heap.tail, 0xFF, sizeof(heap.tail));
	heap.nonempty[WARM] = heap.nonempty[COLD] = 0;
}

/* --- spans ----------------------------------------------------------- */

/* The smallest span covering a and b shifted right by off. */
static struct run_span span_join(struct run_span a, struct run_span b, uint32_t off)
{
	if (span_empty(b))
		return a;
	b.lo += off;
	b.hi += off;
	if (span_empty(a))
		return b;
	return (struct run_span){ MIN(a.lo, b.lo), MAX(a.hi, b.hi) };
}

/* --- runs ------------------------------------------------------------ */

void freerun_make(uint32_t i, uint32_t n, struct run_span s)
{
	pd[i].kind = PK_FREE;
	pg_set_flags(i, span_empty(s) ? PG_COLD : 0);
	pd[i].npages = n;
	if (n > 1) {
		pd[i + n - 1].kind = PK_FREE;
		pg_set_flags(i + n - 1, PG_TAIL);
		pd[i + n - 1].npages = n;
		pd[i + n - 1].u.link.next = span_empty(s) ? 0 : s.lo;
		pd[i + n - 1].u.link.prev = span_empty(s) ? 0 : s.hi;
	}
	list_push(i);
}

void freerun_take(uint32_t i)
{
	uint32_t n = pd[i].npages;

	list_remove(i);
	pd[i] = (struct pgdesc){ 0 };
	pd[i + n - 1] = (struct pgdesc){ 0 };
}

void freerun_insert(uint32_t i, uint32_t n, struct run_span s)
{
	if (i > 0 && pd[i - 1].kind == PK_FREE) {
		uint32_t ln = pd[i - 1].npages, l = i - ln;

		KASSERT(pd[l].kind == PK_FREE && pd[l].npages == ln && !(pd[l].flags & PG_TAIL));
		s = span_join(freerun_span(l), s, ln);
		freerun_take(l);
		i = l;
		n += ln;
	}
	if (i + n < heap.npg && pd[i + n].kind == PK_FREE) {
		uint32_t r = i + n, rn = pd[r].npages;

		s = span_join(s, freerun_span(r), n);
		freerun_take(r);
		n += rn;
	}
	freerun_make(i, n, s);
}

/*
 * Move the warm runs of bucket b from `first` to the list's tail (the
 * oldest), each marked cold already (freerun_mark_cold), to the head of
 * the cold list, in their order: the lists end as moving each from the
 * oldest on would leave them.  One splice, whatever the runs.
 */
void freerun_cool_tail(unsigned b, uint32_t first)
{
	uint32_t last = heap.tail[WARM][b], before = pd[first].u.link.prev;

	KASSERT(set_of(first) == COLD && set_of(last) == COLD);
	heap.tail[WARM][b] = before;
	if (before != PG_NONE) {
		pd[before].u.link.next = PG_NONE;
	} else {
		heap.head[WARM][b] = PG_NONE;
		heap.nonempty[WARM] &= ~(1u << b);
	}
	list_push_chain(COLD, b, first, last);
}

/* --- finding a run --------------------------------------------------- */

static bool fits(uint32_t h, size_t n, size_t align)
{
	uint32_t start = freerun_align_up(h, align);

	return start >= h && (size_t)start - h + n <= pd[h].npages;
}

uint32_t freerun_find(int set, size_t n, size_t align)
{
	unsigned b = freerun_bucket(n);
	uint32_t mask = heap.nonempty[set] & ~((1u << b) - 1);

	while (mask) {
		unsigned bb = __builtin_ctz(mask);
		uint32_t i = heap.head[set][bb];

		for (int k = 0; i != PG_NONE && k < SCAN_LIMIT; k++, i = pd[i].u.link.next)
			if (fits(i, n, align))
				return i;
		mask &= mask - 1;
	}
	return PG_NONE;
}

/* --- the idle pass's metadata ---------------------------------------- */

/* Give r the whole pages of descriptors strictly inside run h, and a cold run's pages; how many. */
static size_t release_inside(uint32_t h, const struct meta_release *r)
{
	uintptr_t lo = (uintptr_t)&pd[h + 1], hi = (uintptr_t)&pd[h + pd[h].npages - 1];

	lo = (lo + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	hi &= ~(uintptr_t)(PAGE_SIZE - 1);
	if (pd[h].flags & PG_COLD)
		r->state(pagerun_va(h), pd[h].npages);
	if (lo >= hi)
		return 0;
	r->meta((void *)lo, hi - lo);
	return (hi - lo) / PAGE_SIZE;
}

size_t freerun_release_meta(const struct meta_release *r)
{
	size_t pages = 0;

	HEAP_ASSERT_LOCKED();
	for (int set = 0; set < 2; set++)	/* smaller runs hold no whole page inside */
		for (unsigned b = freerun_bucket(PAGE_SIZE / sizeof(*pd)); b < RUN_BUCKETS; b++)
			for (uint32_t i = heap.head[set][b]; i != PG_NONE; i = pd[i].u.link.next)
				pages += release_inside(i, r);
	return pages;
}

/* --- figures --------------------------------------------------------- */

void freerun_count(size_t *warm, size_t *cold)
{
	HEAP_ASSERT_LOCKED();
	*warm = *cold = 0;
	for (int set = 0; set < 2; set++)
		for (int b = 0; b < RUN_BUCKETS; b++)
			for (uint32_t i = heap.head[set][b]; i != PG_NONE; i = pd[i].u.link.next)
				(*(set == COLD ? cold : warm))++;
}
