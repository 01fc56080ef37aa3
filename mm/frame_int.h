/*
 * The frame database's layout: mm/frame.c's internals, shared only with
 * the tests that corrupt it on purpose to show frame_audit catching it.
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
