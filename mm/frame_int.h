/*
 * The frame allocator's internals (mm/frame.c): the database's layout,
 * shared with the tests that corrupt it on purpose to show frame_audit
 * catching it, and the state the heap's fault path reads and writes in
 * its inline take of a promised frame (frame_take_reserved_zero, for
 * mm/heap_int.h alone: a call is a fifth of a demand fault's cost).
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
#include "mm/spinlock.h"

enum { FS_FREE = 0, FS_NOTRAM = 1, FS_USED = 2, FS_KIND = 3, FS_HEAD = 4 };

#define FS_ORDER(s)		(((s) >> 3) & 15u)
#define FS_BLOCK(kind, order)	((uint8_t)((kind) | FS_HEAD | (order) << 3))

struct frame_db {
	pfn_t *next, *prev;	/* free-list links, by frame */
	pfn_t *stack;		/* freed single frames not yet merged */
	uint8_t *state;		/* a state byte a frame */
};

/*
 * What the inline take shares with mm/frame.c, all under lock: the stack
 * of freed single frames [stack, top), the state bytes, the free count
 * (used frames: the total less it), the promises (below 0 only while
 * faults on several CPUs race for one page's promise: frame.h), and the
 * pre-zeroed frames zeroed[0, nzeroed), free, on no list.
 */
struct frame_pool {
	struct spinlock lock;
	pfn_t *stack, *top;
	uint8_t *state;
	uint32_t nfree;
	int32_t nreserved;
	uint32_t nzeroed;
	pfn_t zeroed[FRAME_ZEROED_MAX];
};
extern struct frame_pool fpool;

/* Mark block (f, k), taken off a list, the stack or the zeroed frames, handed out (locked). */
static inline void frame_mark_used(pfn_t f, unsigned k)
{
	fpool.state[f] = FS_BLOCK(FS_USED, k);
	for (pfn_t i = 1; i < (1u << k); i++)
		fpool.state[f + i] = FS_USED;
	fpool.nfree -= 1u << k;
}

/*
 * frame_alloc_reserved_zero, inline: its common case, a promise to keep
 * and a pre-zeroed frame or a stacked one to take, in one lock section;
 * anything else (the stack to refill, a race that spent the promise) is
 * the call's.  The same frame, the same accounting, whichever takes it.
 * Interrupts off (the heap's fault path, whose entries see to it).
 */
static inline __attribute__((always_inline)) pfn_t frame_take_reserved_zero(bool *zeroed)
{
	pfn_t f = PFN_NONE;

	spin_lock_irqs_off(&fpool.lock);
	if (__builtin_expect(fpool.nreserved > 0, 1)) {
		if (fpool.nzeroed) {
			f = fpool.zeroed[--fpool.nzeroed];
			*zeroed = true;
		} else if (fpool.top != fpool.stack) {
			f = *--fpool.top;
			*zeroed = false;
		}
		if (f != PFN_NONE) {
			fpool.nreserved--;
			frame_mark_used(f, 0);
		}
	}
	spin_unlock_irqs_off(&fpool.lock);
	return __builtin_expect(f != PFN_NONE, 1) ? f : frame_alloc_reserved_zero(zeroed);
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

#endif
