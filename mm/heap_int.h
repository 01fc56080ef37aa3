/*
 * The heap core: private to mm/'s heap files, never included from outside
 * mm/.  It holds what the heap's peers (the API in mm/kheap.c, the
 * scavenger's policy in mm/scavenge.c, the fault path in mm/heapfault.c)
 * share, so that none of them needs another:
 *
 *   - the region and its out-of-band page descriptors (struct pgdesc);
 *   - page runs: the page-level allocator with its commit accounting
 *     (mm/pagerun.c) over the free-run index (mm/freerun.c);
 *   - the walk over free space and the one way a free page is given back
 *     (mm/heapwalk.c);
 *   - slabs (mm/slab.h), the checker (mm/heapcheck.c);
 *   - the heap lock, the counters, and the reclaim hook through which the
 *     API asks the scavenger for memory without calling it (mm/heapcore.c).
 *
 * The layers of mm/ are listed once, in docs/heap.md; scripts/check-layers
 * enforces them.
 *
 * Locking: one heap lock, a ticket spinlock that keeps interrupts off
 * (mm/spinlock.h), its holder's CPU recorded.  Every entry point below
 * that touches descriptors, lists or counters asserts it with
 * HEAP_ASSERT_LOCKED() in debug builds.  The exceptions
 * say so: the inline lookups, slab_check_ptr, and pagerun_fault_frame,
 * which the fault path calls without the lock (on one CPU a fault comes at
 * the faulting access, never inside the holder's update of a descriptor).
 *
 * Design: metadata out of band, after "A dynamic kernel memory allocator"
 * (OSDev forum), where it is what catches invalid frees: nothing is stored
 * in a heap page, so a free page holds nothing that must stay and can
 * always be given back.  The LCD microkernel's page-allocator commit
 * weighs metadata embedded in the managed space against this; per-page
 * descriptors kept apart mean no free page is pinned by a header.
 */
#ifndef MM_HEAP_INT_H
#define MM_HEAP_INT_H

#include "mm/platform.h"
#include "mm/spinlock.h"
#include "mm/pagestate.h"
#include "mm/frame.h"
#include "mm/frame_int.h"		/* the fault path's inline take of a promised frame */
#include "mm/sizeclass.h"

/* --- page descriptors ------------------------------------------------ */

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
#define PG_SAMPLED 0x40		/* LARGE head: a sampled block, its last page
				   GUARD (mm/heapguard.c) */
#define PG_RETIRED 0x20		/* LARGE head of a sampled block: freed, every
				   page GUARD, in the quarantine */

struct slab;

struct pgdesc {
	uint8_t kind;
	uint8_t flags;
	uint16_t cls;			/* slab class */
	uint32_t npages;		/* run length: free head and tail, large head */
	union {
		struct { uint32_t next, prev; } link;	/* free run head */
		struct slab *slab;			/* PK_SLAB */
		struct { uint16_t slack, alloc_site, free_site; } big; /* PK_LARGE with
							   PG_RECORDED (mm/heapdebug.h) */
	} u;
};

#define PG_NONE 0xFFFFFFFFu	/* no page index */
#define RUN_BUCKETS 24		/* free-run size buckets: floor(log2 n), capped */
enum { WARM = 0, COLD = 1 };	/* free-run sets: may hold KEPT pages, or not */

/* --- the core's state: one heap ------------------------------------- */

/*
 * The fault path's counters, a set for each CPU: faults take no lock, and
 * a CPU adds only to its own (kheap_stats sums them); a cache line each.
 */
struct fault_counts {
	uint64_t write_aow, read_aow, write_zero, bad, oom;
	uint64_t prezeroed;		/* write faults that found a pre-zeroed frame */
} __attribute__((aligned(64)));

struct heap {
	/* the region */
	uintptr_t base;
	struct pgdesc *pd;
	uint32_t *freed;		/* a bit a page: freed since boot (pagerun_once_used) */
	uint32_t npg;
	bool overcommit;
	uint8_t fast_write_kinds;	/* bit k: kind k takes mm/heapfault.c's fast write */
	/* free-run index (mm/freerun.c) */
	uint32_t head[2][RUN_BUCKETS], tail[2][RUN_BUCKETS];
	uint32_t nonempty[2];
	/* page accounting (mm/pagerun.c) */
	size_t free_pages, committed, reserved, free_present;
	/* the API's counters */
	size_t live_bytes, live_allocs, freed_since_check;
	uint64_t invalid_frees, null_returns;
	/* the fault path's counters, this CPU's at faults[cpu_id()] */
	struct fault_counts faults[CPU_MAX];
	struct spinlock lock;
};
extern struct heap heap;

/* Does this CPU hold the heap lock?  (Another CPU's holding it is no reason to refuse.) */
static inline bool heap_held(void) { return spin_held(&heap.lock); }

#define HEAP_ASSERT_LOCKED() KASSERT(heap_held())

/* A ticket spinlock, interrupts off; debug builds catch re-entry (kmalloc from the fault path?). */
static inline unsigned long heap_lock(void) { return spin_lock(&heap.lock); }

static inline void heap_unlock(unsigned long flags) { spin_unlock(&heap.lock, flags); }

/*
 * Set up the region's descriptors (zeroed: npages of them, then the
 * freed-page bitmap, heap_desc_size bytes in all) and the counters.
 */
void heap_core_init(uintptr_t base, size_t npages, struct pgdesc *desc, bool overcommit);
/* Bytes of descriptors and freed-page bitmap for npages. */
size_t heap_desc_size(size_t npages);
/* Index the region (its describe hook) and the descriptors by owner (mm/heapowner.c). */
void heap_owner_register(void);

/* --- inline lookups (no lock: the region never moves) --------------- */

static inline uintptr_t pagerun_va(uint32_t i)
{
	return heap.base + (uintptr_t)i * PAGE_SIZE;
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

	return n <= heap.npg ? n : 0;
}

/* Page index of va, PG_NONE outside the region. */
static inline __attribute__((always_inline)) uint32_t pagerun_index(uintptr_t va)
{
	uintptr_t pg = (va - heap.base) / PAGE_SIZE;	/* wraps when below */

	return pg < heap.npg ? (uint32_t)pg : PG_NONE;
}

static inline __attribute__((always_inline)) struct pgdesc *pagerun_desc(uint32_t i)
{
	return &heap.pd[i];
}

/* Set page i's flags to f. */
static inline void pg_set_flags(uint32_t i, uint8_t f)
{
	heap.pd[i].flags = f;
}

/*
 * Was FREE page i handed out since boot?  What tells a use after free from
 * a wild access (mm/heapfault.c).  Kept in a bitmap apart from the
 * descriptors, set when a run is freed, so that a FREE page's descriptor
 * inside a free run is all zero bytes and the idle pass may give its
 * page of descriptors back (freerun_release_meta).  No lock: one word read.
 */
static inline bool pagerun_once_used(uint32_t i)
{
	return heap.freed[i / 32] >> (i % 32) & 1;
}

/* --- reclaim: the scavenger's hook ----------------------------------- */

/*
 * Why the API asks for memory back: an allocation found no run or no
 * frame promise (want: pages it needs), or it committed pages and the
 * machine may now be under pressure (want: 0; the policy decides).
 */
enum heap_reclaim_why { HR_ALLOC_FAILED, HR_COMMITTED };
/* Heap lock held; returns pages released. */
typedef size_t (*heap_reclaim_fn)(size_t want, enum heap_reclaim_why why);
void heap_set_reclaim_hook(heap_reclaim_fn fn);
size_t heap_reclaim(size_t want, enum heap_reclaim_why why);
/* Read and reset the bytes freed since the last check (a scavenger pass). */
size_t heap_take_freed(void);

/* --- page runs (mm/pagerun.c) ---------------------------------------- */

/*
 * Allocate npages aligned to align_pages (a power of two) and commit them
 * as `kind` (LARGE and SLAB runs; META single pages); returns the first
 * page's index, or PG_NONE when no run fits or the frames cannot be
 * promised.  Committed pages without a frame each hold a frame
 * reservation (mm/frame.h), so their first write always finds a frame;
 * under overcommit only META pages do, so a fault on them (taken inside
 * kmalloc) never needs the scavenger.
 */
uint32_t pagerun_alloc(size_t npages, size_t align_pages, unsigned kind);
/* Free a committed run of npages at index i. */
void pagerun_free(uint32_t i, size_t npages);
/*
 * Make pages [i + lo, i + lo + n) of the committed run at i GUARD (cause),
 * freeing their frames and the reservations of the frameless ones: a
 * GUARD page holds neither.  pagerun_free takes a run's GUARD pages back
 * to AOW, which is how a sampled block (PG_SAMPLED) leaves.
 */
void pagerun_guard(uint32_t i, uint32_t lo, uint32_t n, unsigned cause);
/* Grow the run at i from n to m pages in place, if the pages after it are free. */
bool pagerun_grow(uint32_t i, size_t n, size_t m);
/*
 * The fault path's frame for a write to committed page i: taken from the
 * page's reservation when it holds one, else from the free frames (which
 * may call the scavenger).  PFN_NONE when there is none.  No lock;
 * interrupts off (kheap_fault's, or the heap lock's).
 * *zeroed: it is a pre-zeroed frame (only ever from a reservation).
 */
pfn_t pagerun_fault_frame(uint32_t i, bool *zeroed);
/*
 * The frame of a page that holds a reservation (the fault path, no lock,
 * or under the heap lock; interrupts off either way: mm/frame_int.h):
 * a pre-zeroed one first (mm/frame.h), and *zeroed says whether it was.
 * PFN_NONE only on several CPUs, when a racing fault on the same page
 * holds its promise and no frame is spare (frame_alloc_reserved_zero):
 * the caller gives the reservation back and retries.
 */
static inline pfn_t pagerun_reserved_frame(bool *zeroed)
{
	/*
	 * atomic: faults on several CPUs and the heap lock's holder change it
	 * at once; below 0 (wrapped) only while faults race for one page's
	 * promise, each loser adding back what it took (pagerun_return_frame)
	 */
	__atomic_fetch_sub(&heap.reserved, 1, __ATOMIC_RELAXED);
	return frame_take_reserved_zero(zeroed);
}
/*
 * pagerun_reserved_frame in two halves, for the fast write's path: the
 * reservation and this CPU's cached frame (PFN_NONE when it has none);
 * then, for PFN_NONE, the locked take, which ends it as the whole would.
 */
static inline __attribute__((always_inline)) pfn_t pagerun_reserved_frame_cached(bool *zeroed)
{
	__atomic_fetch_sub(&heap.reserved, 1, __ATOMIC_RELAXED);	/* as above */
	return frame_take_cached(zeroed);
}
static inline pfn_t pagerun_reserved_frame_locked(bool *zeroed)
{
	return frame_alloc_reserved_zero(zeroed);
}
/*
 * The fault path's loser (another CPU mapped the page first): frame f,
 * taken by pagerun_reserved_frame, goes back with its reservation, to the
 * pre-zeroed frames if it reads as zero.  No lock.
 */
static inline void pagerun_return_frame(pfn_t f, bool zeroed)
{
	if (f != PFN_NONE)
		frame_return_reserved(f, zeroed);	/* the promise first: reserved never exceeds promises */
	__atomic_fetch_add(&heap.reserved, 1, __ATOMIC_RELAXED);
}
/* Does a committed page of this kind hold a frame reservation? */
static inline bool pagerun_holds_reservation(unsigned kind)
{
	return kind != PK_FREE && (!heap.overcommit || kind == PK_META);
}
/* Pages in state st in [i + lo, i + hi). */
size_t pagerun_state_in(uint32_t i, uint32_t lo, uint32_t hi, unsigned st);

/* --- the free-run index (mm/freerun.c) ------------------------------- */

/*
 * A free run's span: the pages [head + lo, head + hi) outside which it has
 * no KEPT page (free pages are AOW or KEPT).  Freeing a run makes the run its span; merging joins
 * spans, splitting cuts them, so a small warm run merged into a vast cold
 * one keeps a small span and the scavenger visits only that.  Cold runs
 * have an empty span.
 */
struct run_span { uint32_t lo, hi; };
static const struct run_span no_span = { 0, 0 };

static inline bool span_empty(struct run_span s) { return s.lo >= s.hi; }

/* The part of s inside [off, off + n), relative to off. */
static inline struct run_span span_cut(struct run_span s, uint32_t off, uint32_t n)
{
	uint32_t lo = MAX(s.lo, off), hi = MIN(s.hi, off + n);

	return lo < hi ? (struct run_span){ lo - off, hi - off } : no_span;
}

/* The span of the free run at head (kept in its last page's descriptor). */
static inline struct run_span freerun_span(uint32_t h)
{
	uint32_t n = heap.pd[h].npages;

	if (heap.pd[h].flags & PG_COLD)
		return no_span;
	if (n == 1)
		return (struct run_span){ 0, 1 };
	return (struct run_span){ heap.pd[h + n - 1].u.link.next, heap.pd[h + n - 1].u.link.prev };
}

/* A run's bucket: floor(log2 n), the last bucket taking all larger runs. */
static inline unsigned freerun_bucket(size_t n)
{
	unsigned b = 31 - __builtin_clz((uint32_t)n);

	return b < RUN_BUCKETS ? b : RUN_BUCKETS - 1;
}

/* The first index >= i whose address is aligned to align pages. */
static inline uint32_t freerun_align_up(uint32_t i, size_t align)
{
	uintptr_t pg = (heap.base >> PAGE_SHIFT) + i;

	return i + (uint32_t)(((pg + align - 1) & ~(uintptr_t)(align - 1)) - pg);
}

/* Describe [i, i+n) (interior pages FREE) as one run with span s, listed. */
void freerun_make(uint32_t i, uint32_t n, struct run_span s);
/* Insert [i, i+n) (all pages FREE) as a run, merging with its neighbours. */
void freerun_insert(uint32_t i, uint32_t n, struct run_span s);
/*
 * Mark warm run h (n pages, descriptors d) cold where it lies: no span,
 * and PG_COLD, which says its list (set_of) once freerun_cool_tail has
 * moved it.  A warm head has no flag (freerun_make).
 */
static inline void freerun_mark_cold(struct pgdesc *d, uint32_t h, uint32_t n)
{
	d[h].flags |= PG_COLD;
	if (n > 1)
		d[h + n - 1].u.link.next = d[h + n - 1].u.link.prev = 0;
}
/* Move bucket b's warm runs from first to the oldest, marked cold, onto the cold list. */
void freerun_cool_tail(unsigned b, uint32_t first);
/* Take the run at head off its list and clear its marks. */
void freerun_take(uint32_t head);
/* A listed run of at least n pages with an align-aligned start in it, or PG_NONE. */
uint32_t freerun_find(int set, size_t n, size_t align);
void freerun_init(void);
/* Runs on the warm and cold lists. */
void freerun_count(size_t *warm, size_t *cold);
/*
 * The idle pass's metadata release: every whole page of descriptors that
 * lies strictly between a listed run's head and its last page holds only
 * zero bytes (the inside of a free run: docs/heap.md), and is passed to
 * r->meta in page-aligned ranges, one per run; each cold run of at least
 * a page of descriptors' pages (all AOW) is passed to r->state, for the
 * platform's own page states (platform_meta_release and
 * platform_state_release, or a test's recorders).  Returns the pages
 * passed to r->meta.  Such a page may read back as zeros at any later
 * time: every write to it comes after an allocation or a free changed
 * the run.
 */
struct meta_release {
	void (*meta)(void *addr, size_t len);
	void (*state)(uintptr_t va, size_t npages);
};
size_t freerun_release_meta(const struct meta_release *r);

/* --- walking and releasing free space (mm/heapwalk.c) ---------------- */

/*
 * A scavenger pass's walk and release: warm free runs, largest buckets
 * first and the oldest run first within each, each run's span released
 * (heap_release_pages, in batches of ranges) until `want` frames have
 * been freed or `visit_limit` pages looked at, never more of either.  A
 * run whose span was all looked at moves to the cold set; a run left
 * part-way keeps the rest of its span, where the next pass starts.
 */
struct release_count { size_t frames, zero, visited; };
struct release_count heap_release_warm(size_t want, size_t visit_limit, unsigned cause);

/*
 * Give back what the free pages of the nr ranges hold, through the range
 * primitive for free pages (vm_release_ranges): KEPT pages turn AOW and their frames are
 * freed (no TLB entry to invalidate: the free made them not present); the
 * accounting follows in the same call.  Adds the frames freed (and ZERO
 * pages dropped, none since the free drops them) to *c.  The one function
 * that releases free pages.
 */
void heap_release_pages(const struct vm_range *r, size_t nr, unsigned cause,
			struct release_count *c);

/* --- what holds a heap address (mm/heapfind.c) ----------------------- */

/* An allocation: a large block or a slab object. */
struct heap_obj { uintptr_t start; size_t size; };
/*
 * The live allocation nearest to va, an address in free space (its page
 * FREE): the last one before va's free run or the first after it,
 * whichever is closer (before, on a tie).  False when neither side has
 * one.  No lock (the fault path): it only reads descriptors.
 */
bool heap_nearest_alloc(uintptr_t va, struct heap_obj *o);
/*
 * The allocation whose page holds va: a large run (start, its bytes) or
 * the slab slot (its class size), live or free; false on a FREE or META
 * page or outside the region.  No lock (as heap_nearest_alloc).
 */
bool heap_alloc_at(uintptr_t va, struct heap_obj *o);
/* The head of the large run whose page (LARGE or LARGE_TAIL) is i. */
uint32_t heap_large_head(uint32_t i);

/* --- the checker (mm/heapcheck.c) ------------------------------------ */

/* Every invariant of docs/heap.md; logs the first problem. */
bool heap_check(void);

#include "mm/slab.h"

#endif
