/*
 * The frame allocator's internals (mm/frame.c): the database's layout,
 * shared with the tests that corrupt it on purpose to show frame_audit
 * catching it, and the per-CPU frame caches the heap's fault path takes
 * from in its inline take of a promised frame (frame_take_reserved_zero,
 * for mm/heap_int.h alone: a call is a fifth of a demand fault's cost).
 *
 * The database handed to frame_init is, for frames [0, max_pfn): next
 * and prev links of the free lists (pfn_t each), the stack of freed
 * single frames (frame_stack_slots: an eighth of the frames), then one
 * state byte per frame.  Links are meaningful only at the first frame of a
 * free block; everything is out of band, so a free frame is never read or
 * written.
 *
 * State byte: bits 0-1 the kind (FS_FREE, FS_NOTRAM, FS_USED); bit 2
 * FS_HEAD on the first frame of a block (a free block on a list, or a
 * block handed out); bits 3-6 that block's order.  Every other frame of a
 * block has its kind alone.  Zero is "free, not on a list": what a frame
 * the buddy has not been handed yet reads as in a zeroed database.
 */
#ifndef MM_FRAME_INT_H
#define MM_FRAME_INT_H

#include "mm/frame.h"

enum { FS_FREE = 0, FS_NOTRAM = 1, FS_USED = 2, FS_KIND = 3, FS_HEAD = 4 };

#define FS_ORDER(s)		(((s) >> 3) & 15u)
#define FS_BLOCK(kind, order)	((uint8_t)((kind) | FS_HEAD | (order) << 3))

struct frame_db {
	pfn_t *next, *prev;	/* free-list links, by frame */
	pfn_t *stack;		/* freed single frames not yet merged */
	uint8_t *state;		/* a state byte a frame */
};

/*
 * The per-CPU frame caches (docs/frames.md, "Per-CPU frame caches"): a
 * small stack per CPU of frames taken, each with its promise, for the
 * heap's demand faults, so the common take touches this CPU's line
 * alone and no lock.  A cached frame is handed out (FS_BLOCK(FS_USED, 0),
 * out of nfree) and its promise out of nreserved: the promises made are
 * nreserved plus the frames cached, and the free figures are what they
 * would be with the frames still promised.
 *
 * slot[0, n): pfn << 1 | zeroed (it reads as zero).  Only the owner (the
 * CPU, with interrupts off; the host's current cache) raises n, under the
 * frame lock (frame_cache_refill); the owner lowers it by one without the
 * lock (frame_cache_pop) and any CPU holding the frame lock lowers it to
 * 0 (a drain), each with one atomic step, so a pop that meets a drain
 * loses and takes the locked way.  No ABA: n never rises while its owner
 * is inside a pop.  One line each, so no other CPU's take touches it.
 */
#define FRAME_CACHE_SLOTS 15		/* with the count, one 64-byte line */
struct frame_cache {
	uint32_t n;
	pfn_t slot[FRAME_CACHE_SLOTS];
} __attribute__((aligned(64)));

#ifdef MAG_NCACHES
#define FRAME_NCACHES MAG_NCACHES	/* one a CPU (the host: one a simulated CPU) */
static inline unsigned frame_cache_id(void) { return cache_id(); }
#else
#define FRAME_NCACHES 1			/* one CPU, or caches per thread: one, under the heap lock */
static inline unsigned frame_cache_id(void) { return 0; }
#endif
extern struct frame_cache frame_caches[FRAME_NCACHES];

/* This CPU's cached frame, or PFN_NONE when it has none or a drain took them. */
static inline __attribute__((always_inline)) pfn_t frame_cache_pop(struct frame_cache *c,
								   bool *zeroed)
{
	uint32_t n, m;
	pfn_t s;

	__asm__("" : "+r"(c));	/* one register for the cache: the slot is read through it */
	n = __atomic_load_n(&c->n, __ATOMIC_ACQUIRE);
	if (__builtin_expect(n == 0, 0))
		return PFN_NONE;
	m = n - 1;
	if (__builtin_expect(!__atomic_compare_exchange_n(&c->n, &n, m, false, __ATOMIC_ACQ_REL,
							  __ATOMIC_RELAXED), 0))
		return PFN_NONE;	/* a drain took them all */
	s = c->slot[m];		/* ours now: a drain reads slots below the count, and only we refill */
	*zeroed = s & 1;
	return s >> 1;
}

/*
 * frame_take_cached: this CPU's cached frame alone (PFN_NONE: the caller
 * calls frame_alloc_reserved_zero, which finishes the take).
 * frame_alloc_reserved_zero, inline: its common case, a frame (and its
 * promise) off this CPU's cache, without the lock; an empty cache (to
 * refill), a drain that took it, or a race that spent the promise is the
 * call's.  The same accounting, whichever takes it.  Interrupts off (the
 * heap's fault path, whose entries see to it).
 */
static inline __attribute__((always_inline)) pfn_t frame_take_cached(bool *zeroed)
{
	return frame_cache_pop(&frame_caches[frame_cache_id()], zeroed);
}

static inline __attribute__((always_inline)) pfn_t frame_take_reserved_zero(bool *zeroed)
{
	pfn_t f = frame_take_cached(zeroed);
	bool z;

	if (__builtin_expect(f != PFN_NONE, 1))
		return f;
	f = frame_alloc_reserved_zero(&z);	/* its own flag: *zeroed may stay in a register */
	*zeroed = z;
	return f;
}

/* Slots of the stack of freed single frames: an eighth of the frames (at least one). */
static inline size_t frame_stack_slots(pfn_t max_pfn) { return max_pfn / 8 + 1; }

static inline size_t frame_db_bytes(pfn_t max_pfn)
{
	return (2 * (size_t)max_pfn + frame_stack_slots(max_pfn)) * sizeof(pfn_t) + max_pfn;
}

static inline struct frame_db frame_db_layout(void *db, pfn_t max_pfn)
{
	struct frame_db d;

	d.next = db;
	d.prev = d.next + max_pfn;
	d.stack = d.prev + max_pfn;
	d.state = (uint8_t *)(d.stack + frame_stack_slots(max_pfn));
	return d;
}

/*
 * Tests only: give back the handed-out block (f, k) as a broken free
 * would, listing it without merging it with its buddy (list_it) or not
 * listing it at all, so a test can show frame_audit catching each.
 */
void frame_give_back_broken(pfn_t f, unsigned k, bool list_it);
/*
 * Tests only: put the handed-out single frame f on the pre-zeroed array
 * without zeroing it, as a broken zeroer would, so a test can show
 * frame_audit catching a "zeroed" frame that is not zero.
 */
void frame_zeroed_push_broken(pfn_t f);
/*
 * Tests only: refill cache id as its CPU would (as many promises as the
 * cache holds, or as are left); how many frames it holds after.  And put
 * frame f in cache id's next slot as a broken refill would (f as it is,
 * not taken), so a test can show frame_audit catching it.
 */
uint32_t frame_cache_fill_at(unsigned id);
void frame_cache_push_broken(unsigned id, pfn_t f, bool zeroed);

#endif
