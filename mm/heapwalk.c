/*
 * Walking the heap's free space, and the one way free pages give their
 * frames back.  The scavenger (mm/scavenge.c) decides when and how much;
 * this file decides nothing.
 *
 * Invariant kept here: heap_release_pages is the one function that gives
 * back free pages, the PTE change, the frame free and the accounting
 * together: every page it releases is AOW, its frame (kept since the free,
 * KEPT, or PRESENT) went back to the frame allocator only after its entry
 * changed and no TLB held it: a KEPT page's went at its free, a PRESENT
 * page's by a TLB shootdown (vm_release_ranges; a pass defers the frees to
 * its end, so it pays at most one shootdown: docs/scavenger.md), and
 * heap.free_present counts the released KEPT pages fewer.
 *
 * A pass releases in batches: the spans of many runs are gathered as
 * ranges and released by one call, and the runs wholly looked at move to
 * the cold set together (freerun_cool_tail), so a pass over many small
 * runs pays per page, not per call.  A batch never holds more pages than
 * frames the pass may still free, so it stops where one going page by
 * page would, and releases exactly as many.
 *
 * Locking: heap lock held, asserted at every entry point.
 */
#include "mm/heap_int.h"

#define pd heap.pd
#define BATCH 64		/* ranges released by one call */

struct walk {
	size_t want, visit_limit;
	unsigned cause;
	struct release_count c;
	size_t room;		/* pages the batch may still take: each frees at most one frame */
	size_t start;		/* the room when the batch began: it holds start - room pages */
	size_t nr;		/* ranges in the batch */
	struct vm_range r[BATCH];
};

void heap_release_pages(const struct vm_range *r, size_t nr, unsigned cause,
			struct release_count *c)
{
	size_t from[PS_COUNT] = { 0 }, frames;

	HEAP_ASSERT_LOCKED();
	for (size_t k = 0; MM_DEBUG && k < nr; k++)
		for (size_t j = 0; j < r[k].npages; j++)
			KASSERT(pd[pagerun_index(r[k].va) + j].kind == PK_FREE);
	frames = vm_release_ranges(r, nr, cause, from);
	KASSERT(frames == from[PS_KEPT] && heap.free_present >= frames);
	heap.free_present -= frames;
	c->frames += frames;
	c->zero += from[PS_ZERO];
}

static void flush(struct walk *w)
{
	if (w->nr)
		heap_release_pages(w->r, w->nr, w->cause, &w->c);
	w->c.visited += w->start - w->room;
	w->nr = 0;
	w->room = w->start = MIN(w->want - w->c.frames, w->visit_limit - w->c.visited);
}

static void take(struct walk *w, uint32_t i, size_t n)
{
	w->r[w->nr++] = (struct vm_range){ pagerun_va(i), n };
	w->room -= n;
}

/* Move a run's span start up, past pages a stopped pass has taken. */
static void span_start(uint32_t h, uint32_t lo)
{
	KASSERT(pd[h].kind == PK_FREE && lo < freerun_span(h).hi);
	if (pd[h].npages > 1)
		pd[h + pd[h].npages - 1].u.link.next = lo;
}

/*
 * Take warm run h's span s into the batch: all at once, or in pieces,
 * flushing between them; false when the pass stopped in it (or before).
 */
static bool take_span(struct walk *w, uint32_t h, struct run_span s)
{
	uint32_t lo = s.lo;

	if (s.hi - s.lo <= w->room && w->nr < BATCH) {	/* all of it */
		take(w, h + s.lo, s.hi - s.lo);
		return true;
	}
	while (s.lo < s.hi) {
		size_t n = MIN((size_t)(s.hi - s.lo), w->room);

		if (!n && w->start == w->room)
			break;			/* released enough, or looked far enough */
		if (!n || w->nr == BATCH) {
			flush(w);
			continue;
		}
		take(w, h + s.lo, n);
		s.lo += (uint32_t)n;
	}
	if (s.lo == s.hi)
		return true;
	if (s.lo > lo)
		span_start(h, s.lo);	/* the next pass starts here */
	return false;
}

/* The end of the one-page runs the batch may take before it is full or out of room. */
static struct vm_range *fast_end(struct walk *w)
{
	return w->r + w->nr + MIN(w->room, (size_t)(BATCH - w->nr));
}

/* Account for the one-page runs taken the short way, from w->r + w->nr to r. */
static void sync(struct walk *w, const struct vm_range *r)
{
	w->room -= (size_t)(r - w->r) - w->nr;
	w->nr = (size_t)(r - w->r);
}

/* Warm run h whole into the batch and marked cold: false when the pass stopped in it. */
static __attribute__((noinline)) bool take_run(struct walk *w, uint32_t h)
{
	if (!take_span(w, h, freerun_span(h)))
		return false;
	freerun_mark_cold(pd, h, pd[h].npages);
	return true;
}

/*
 * Bucket b's warm runs from the oldest: each run's span into the batch,
 * and the run marked cold once all of it is there.  Returns the run the
 * pass stopped in, PG_NONE when it went through.  A one-page run, the
 * common case of a fragmented heap, has its own short way: its span is
 * the page, and it only needs the batch to have a place and a page of
 * room left, both in one pointer (end; in a local, as a descriptor's
 * flag store could alias the walk's fields).
 */
static uint32_t walk_bucket(struct walk *w, unsigned b)
{
	struct vm_range *r = w->r + w->nr, *end = fast_end(w);
	uint32_t i;

	for (i = heap.tail[WARM][b]; i != PG_NONE; i = pd[i].u.link.prev) {
		struct pgdesc *h = &pd[i];

		if (__builtin_expect(h->npages == 1, 1) && __builtin_expect(r != end, 1)) {
			*r++ = (struct vm_range){ pagerun_va(i), 1 };
			h->flags |= PG_COLD;
			continue;
		}
		sync(w, r);
		if (!take_run(w, i))
			return i;
		r = w->r + w->nr, end = fast_end(w);
	}
	sync(w, r);
	return PG_NONE;
}

struct release_count heap_release_warm(size_t want, size_t visit_limit, unsigned cause)
{
	struct walk w = { .want = want, .visit_limit = visit_limit, .cause = cause };
	uint32_t stop = PG_NONE;

	HEAP_ASSERT_LOCKED();
	vm_defer_frames();		/* at most one shootdown for the pass */
	flush(&w);			/* sets the room */
	for (int b = RUN_BUCKETS - 1; b >= 0 && stop == PG_NONE; b--) {
		uint32_t first;

		if (!(heap.nonempty[WARM] & (1u << b)))
			continue;
		stop = walk_bucket(&w, (unsigned)b);
		first = stop == PG_NONE ? heap.head[WARM][b] : pd[stop].u.link.next;
		if (first != PG_NONE)
			freerun_cool_tail((unsigned)b, first);
	}
	flush(&w);
	vm_free_deferred();
	return w.c;
}
