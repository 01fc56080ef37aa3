/*
 * Page runs: the heap region's page-level allocator, and the per-page
 * descriptors every other heap module reads.
 *
 * The region is an array of pages, each with an out-of-band descriptor
 * (struct pgdesc) saying what it is: in a free run, the head or a tail
 * page of a large allocation, a slab page, or a metadata page.  Nothing
 * is ever stored in the pages themselves, so a free page holds nothing
 * that must stay and can always be given back (shared/seeds/002: metadata
 * out of band catches invalid frees; seeds/004 weighs per-page
 * descriptors against metadata embedded in the managed space; this heap
 * keeps them apart, so no free page is pinned by a header).
 *
 * Free runs are coalesced and kept in power-of-two size buckets, in two
 * sets: WARM (may hold PRESENT pages: freed since the scavenger last saw
 * them) and COLD (all AOW or ZERO).  Allocation tries warm first, so reuse
 * takes no faults; within a list the newest run is first, and the
 * scavenger walks from the oldest.
 *
 * Commitment: a page is committed while it is part of an allocation
 * (LARGE, LARGE_TAIL, SLAB, META).  Every committed page that has no
 * frame yet holds one frame reservation (mm/frame.h), so its first write
 * fault always finds a frame.  pagerun_alloc reserves, pagerun_free
 * returns the reservations; the fault path consumes them.
 *
 * Context: called with the heap lock held (mm/kheap.c), except by the
 * fault path, which reads a page's descriptor (pagerun_desc) and takes
 * its frame (pagerun_fault_frame) without it: on this single CPU a fault
 * comes at the faulting access, never inside the lock holder's update of
 * a descriptor or of the reservation count.
 */
#ifndef MM_PAGERUN_H
#define MM_PAGERUN_H

#include "mm/platform.h"

enum page_kind {
	PK_FREE = 0,
	PK_LARGE,		/* first page of a large allocation */
	PK_LARGE_TAIL,		/* other pages of a large allocation */
	PK_SLAB,		/* a page of a slab (mm/slab.c); npages on the first */
	PK_META,		/* heap metadata (slab descriptors) */
};

#define PG_TAIL  0x01		/* free run: the run's last page (n > 1); its
				   u.link holds the run's span */
#define PG_COLD  0x02		/* free run head: on a cold list */

struct slab;

struct pgdesc {
	uint8_t kind;
	uint8_t flags;
	uint16_t cls;			/* slab class */
	uint32_t npages;		/* run length: free head and tail, large head */
	union {
		struct { uint32_t next, prev; } link;	/* free run head */
		struct slab *slab;			/* PK_SLAB */
	} u;
};

#define PR_NONE 0xFFFFFFFFu
#define PR_BUCKETS 24

struct pagerun_stats {
	size_t free_pages, free_runs, warm_runs, cold_runs;
	size_t free_present;		/* frames the heap holds for free pages */
	size_t committed_pages, reserved_frames;
};

/* Bytes of descriptors for npages; pagerun_init wants them zeroed. */
size_t pagerun_desc_size(size_t npages);
void pagerun_init(uintptr_t base, size_t npages, struct pgdesc *desc, bool overcommit);

/*
 * Allocate npages aligned to align_pages (a power of two) and commit them
 * as `kind` (LARGE and SLAB runs; META single pages); returns the first
 * page's index, or PR_NONE when no run fits or the frames cannot be
 * promised.  Metadata pages hold reservations even under overcommit, so a
 * fault on them (taken inside kmalloc) never needs the scavenger.
 */
uint32_t pagerun_alloc(size_t npages, size_t align_pages, unsigned kind);
/* Free a committed run of npages at index i. */
void pagerun_free(uint32_t i, size_t npages);
/*
 * The fault path's frame for a write to committed page i: taken from the
 * page's reservation when it holds one, else from the free frames (which
 * may call the scavenger).  PFN_NONE when there is none.
 */
pfn_t pagerun_fault_frame(uint32_t i);
/* The scavenger gave back the frame of a free page. */
void pagerun_note_released(void);
/* PRESENT pages inside free runs: frames the heap holds but does not use. */
size_t pagerun_free_present(void);
/* Grow the run at i from n to m pages in place, if the pages after it are free. */
bool pagerun_grow(uint32_t i, size_t n, size_t m);

size_t pagerun_pages(void);
uintptr_t pagerun_base(void);
void pagerun_stats(struct pagerun_stats *st);

/*
 * For the scavenger: visit warm free runs from the oldest, calling fn on
 * each (head index, length); fn returns false to stop.  A run fn has
 * fully released may be moved to the cold set with pagerun_mark_cold.
 */
void pagerun_walk_warm(bool (*fn)(uint32_t head, uint32_t n, void *arg), void *arg);
void pagerun_mark_cold(uint32_t head);
/*
 * A free run's span: the pages [head + lo, head + hi) outside which it has
 * no PRESENT page.  Freeing a run makes the run its span; merging joins
 * spans, splitting cuts them, so a small warm run merged into a vast cold
 * one keeps a small span and the scavenger visits only that.  Cold runs
 * have an empty span.  pagerun_span_start moves lo up, past pages a
 * stopped pass has released (lo must stay below hi).
 */
struct pr_span { uint32_t lo, hi; };
struct pr_span pagerun_span(uint32_t head);
void pagerun_span_start(uint32_t head, uint32_t lo);

/* Check every structure; logs the first problem and returns false. */
bool pagerun_check(void);

/* Inline lookups for kfree's and the fault path's hot paths. */
extern uintptr_t pagerun_base_va;
extern struct pgdesc *pagerun_pd;
extern uint32_t pagerun_npg;

static inline uintptr_t pagerun_va(uint32_t i)
{
	return pagerun_base_va + (uintptr_t)i * PAGE_SIZE;
}

/* Page index of va, PR_NONE outside the region. */
static inline uint32_t pagerun_index(uintptr_t va)
{
	uintptr_t pg = (va - pagerun_base_va) / PAGE_SIZE;	/* wraps when below */

	return pg < pagerun_npg ? (uint32_t)pg : PR_NONE;
}

static inline struct pgdesc *pagerun_desc(uint32_t i)
{
	return &pagerun_pd[i];
}

/*
 * The pages that hold bytes (> 0), or 0 when that is more than the region
 * has.  Every size that becomes a page count goes through here: it
 * divides before it rounds, so no size up to SIZE_MAX wraps to a small
 * count, and a count it returns fits a descriptor's 32-bit npages.
 */
static inline size_t pagerun_pages_for(size_t bytes)
{
	size_t n = bytes / PAGE_SIZE + (bytes % PAGE_SIZE != 0);

	return n <= pagerun_npg ? n : 0;
}

#endif
