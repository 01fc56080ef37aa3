/*
 * Physical frame allocator: a buddy allocator over zones (docs/frames.md).
 *
 * Promises:
 *  - frame_alloc and frame_free (one frame) are O(1): a bounded number of
 *    steps (at most FRAME_MAX_ORDER splits or merges), amortized over the
 *    one-time hand-over of each 4 MiB chunk.  Nothing reads or writes a
 *    frame itself but the pre-zeroing and its audit, through the
 *    platform's window (mmu_zero_frame, mmu_frame_is_zero): free frames
 *    need not be mapped anywhere.
 *  - frame_alloc_contig(order, c) returns 2^order physically contiguous
 *    frames, the first aligned to 2^order frames, all inside constraint c;
 *    it finds such a block whenever one is wholly free (free buddies are
 *    always merged), in O(FRAME_MAX_ORDER) steps.
 *  - Frames below 1 MiB, firmware ranges and the kernel's own boot-time
 *    ranges are never handed out.
 *  - frame_free and frame_free_contig refuse (and report, naming the frame
 *    and the caller) a frame that is not RAM, is already free, or was not
 *    handed out as a block of that order, changing nothing.
 *  - Reservations: the heap promises frames to pages it has committed
 *    (frame_reserve); no other allocation takes a promised frame, and
 *    frame_alloc_reserved always finds one.
 *  - Pre-zeroed frames (below) are free frames that read as zero.
 *  - free + used == total at all times; frame_audit checks it, every free
 *    list of every order and zone, and that no frame is in two states.
 *
 * Context: any, including the page-fault path, on any CPU; each call
 * takes the allocator's spinlock (mm/spinlock.h: interrupts off) inside.
 * The memory-pressure hook is called with interrupts as the caller had
 * them, after the allocator's own section, without its lock.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include "mm/platform.h"

#define FRAME_MAX_ORDER 10		/* blocks of 1 to 1024 frames (4 MiB) */

enum phys_kind {
	PR_RAM,		/* usable RAM (memory map type 1) */
	PR_FIRMWARE,	/* anything else the memory map lists: never RAM */
	PR_KERNEL,	/* RAM the kernel holds from boot: image, boot info */
};

struct phys_range {
	uint64_t start, end;	/* bytes, [start, end); any order or overlap */
	unsigned kind;
};

/* Where a block may lie; every block is also aligned to its own size. */
enum frame_constraint {
	FRAME_ANY,		/* anywhere (the zone above 16 MiB first) */
	FRAME_BELOW_4G,		/* all of them on i386; on x86_64 not the high zone */
	FRAME_BELOW_16M,	/* ISA DMA */
};

struct frame_stats {
	uint32_t total;		/* RAM frames at or above 1 MiB */
	uint32_t free;		/* in the buddy's free blocks or not yet handed to it */
	uint32_t used;		/* handed out, including boot-time holdings */
	uint32_t reserved;	/* free frames promised to the heap */
	uint32_t cached;	/* of those (free and reserved), held in per-CPU caches */
	uint32_t available;	/* free - reserved: what frame_available() returns */
	uint32_t low, high;	/* watermarks, in free frames */
	pfn_t max_pfn;
};

/* Bytes of database frame_init needs for frames below max_pfn; it must be zeroed. */
size_t frame_db_size(pfn_t max_pfn);
/* Highest RAM pfn + 1 below PHYS_ADDR_END (mm/platform.h) among the ranges. */
pfn_t frame_max_pfn(const struct phys_range *r, size_t n);
void frame_init(void *db, pfn_t max_pfn, const struct phys_range *r, size_t n);

pfn_t frame_alloc(void);		/* PFN_NONE when no unpromised frame */
bool frame_free(pfn_t f);		/* false (and a report) when refused */
/* frame_free of each of f[0..n), in one section of the lock; how many were refused. */
size_t frame_free_many(const pfn_t *f, size_t n);
/* First frame of 2^order contiguous ones in c, or PFN_NONE. */
pfn_t frame_alloc_contig(unsigned order, enum frame_constraint c);
/* Give back a block frame_alloc_contig returned, with the same order. */
bool frame_free_contig(pfn_t f, unsigned order);
bool frame_reserve(uint32_t n);		/* promise n frames, or none */
void frame_unreserve(uint32_t n);
pfn_t frame_alloc_reserved(void);	/* take one promised frame */

/*
 * Pre-zeroed frames: up to a limit (at most FRAME_ZEROED_MAX, all of it
 * by default) of free frames zeroed ahead of need, kept apart from the
 * buddy.  They count as free and serve promises.  frame_zero_ahead(n)
 * zeroes up to n more, one per interrupts-off section (its caller paces
 * it: the kernel's tick); frame_alloc_reserved_zero takes one first and
 * says so; any other allocation takes one only when nothing else is
 * free.  A frame handed out as zeroed reads as zero (frame_audit checks
 * every one it holds).
 */
#define FRAME_ZEROED_MAX 256
uint32_t frame_zero_ahead(uint32_t n);		/* returns how many it zeroed */
void frame_set_zeroed_limit(uint32_t n);	/* 0: none; those over it go back */
uint32_t frame_zeroed(void);			/* held zeroed now */
/*
 * As frame_alloc_reserved, a pre-zeroed frame first; *zeroed says whether
 * it was one.  The fault path's take, which may race: CPUs faulting one
 * page at once each take a frame for its one promise, and all but the
 * winner give theirs back (frame_return_reserved).  A take that finds the
 * promises spent by such a race overdraws them with an unpromised frame,
 * the loser's return settles it; PFN_NONE only when a race spent the
 * promise and no unpromised frame is left (the caller retries).  On one
 * CPU it cannot fail.
 */
pfn_t frame_alloc_reserved_zero(bool *zeroed);
/*
 * Undo frame_alloc_reserved_zero (a fault that lost its race): f is free
 * and promised again, on the pre-zeroed frames if zeroed (it reads as
 * zero) and the limit has room.
 */
void frame_return_reserved(pfn_t f, bool zeroed);

/*
 * Per-CPU frame caches (mm/frame_int.h): the heap's demand faults take
 * their promised frames from a small stack per CPU, refilled in one lock
 * section; a cached frame is free and promised in every figure here.
 * Promises parked in caches come back by themselves whenever the pool's
 * promises fall short (a reservation's take, frame_unreserve, another
 * CPU's fault); no unpromised allocation can use a cached frame, so the
 * pressure paths have nothing to drain.  frame_cache_drain empties every
 * CPU's cache now (exact figures for a test): how many frames it took.
 */
uint32_t frame_cache_drain(void);

void frame_stats(struct frame_stats *st);
/* Free frames nobody has been promised: free - reserved. */
uint32_t frame_available(void);
/* Are they below the low watermark?  frame_stats' test without its walk of every CPU's cache. */
bool frame_below_low(void);
void frame_set_watermarks(uint32_t low, uint32_t high);
/* Check the accounting and the free lists; logs the first problem and returns false. */
bool frame_audit(void);
/* Is frame f handed out (not free, and RAM)? */
bool frame_is_used(pfn_t f);
/* Is frame f RAM the allocator has free? */
bool frame_is_free(pfn_t f);

/*
 * Memory pressure: called by frame_alloc and frame_alloc_contig when
 * unpromised free frames fall below the low watermark, or when the call
 * is about to fail (failed == true); the allocation is retried once after
 * a failed-pressure call.
 */
typedef void (*frame_pressure_fn)(bool failed);
void frame_set_pressure_hook(frame_pressure_fn fn);

/*
 * Fault injection for tests: after n more successful frame_alloc,
 * frame_alloc_contig or frame_reserve calls, every further one fails as if
 * memory had run out; n < 0 turns it off.  frame_alloc_reserved is never
 * failed: a promise already made must hold.
 */
void frame_inject_failure(long n);

#endif
