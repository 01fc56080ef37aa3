/*
 * The heap's debug level and what it records out of band (design in
 * docs/debugging.md, "Debug levels"): part of the heap core, mm/ only.
 *
 *   0  validation only (every pointer checked; nothing recorded)
 *   1  requested sizes, canaries in the slack after them, poison in
 *      freed small objects
 *   2  1, plus the allocation and free site of every object
 *   3  2, and every allocation a guarded block
 *
 * Guarded blocks (mm/heapguard.c; libkheap has its own, arch/lib/guard.c,
 * and leaves heap_guard_every 0): at every level one allocation of
 * alignment up to GUARD_ALIGN in heap_guard_every (at level 0, counting
 * only those that take a slow path), at 3 every one, is a page run of
 * its own with a GUARD page at each end and the block, turn about, at
 * the start of its first data page or at the end of its last; freed, all
 * its pages are GUARD, in a quarantine.
 *
 * Records, never inside an object:
 *  - a small object's (struct obj_rec): one per object in a metadata page
 *    of its slab (slab_obj_rec, mm/slab.c), made when first needed;
 *  - a large allocation's: in its head page's descriptor (u.big), valid
 *    while the head carries PG_RECORDED.
 * An object allocated before the level went up has no record and is not
 * checked; one freed while it was up stays poisoned and is checked when
 * it is handed out again, whatever the level then.
 *
 * Sites are kept once each in a table of DBG_SITES code addresses with
 * the live allocations and requested bytes made there (the leak report);
 * an object names its sites by index, 0 for none (a full table, or a
 * level below 2).
 *
 * Promises: a canary byte is never 0 and never the poison byte, so a
 * string's zero written one past the requested size is caught, and
 * poison cannot pass for a canary.
 *
 * Locking: the heap lock for the records and the sites; the byte helpers
 * touch only memory the caller owns (or, under the lock, pages known to
 * be backed).
 */
#ifndef MM_HEAPDEBUG_H
#define MM_HEAPDEBUG_H

#include "mm/platform.h"

#define HEAP_CHECK_MAX	3
#define DBG_SITES	1024		/* distinct allocation and free sites */
#define POISON_BYTE	0x6B
#define REC_FREED	0x8000u		/* obj_rec.req: freed and poisoned (the size below) */
#define REC_SIZE	0x7FFFu
#define LARGE_CANARY	64		/* canary bytes after a large allocation, at most */
#define PG_RECORDED	0x80		/* a LARGE head whose u.big holds its record */

extern unsigned heap_debug_level;

struct obj_rec {
	uint16_t req;			/* requested size; 0: none recorded; REC_FREED */
	uint16_t alloc_site, free_site;
};

static inline uint8_t canary_byte(uintptr_t a) { return (uint8_t)(0xC0 | (a & 0x3F)); }

#define GUARD_ALIGN	16		/* a guarded block's alignment */
#define GUARD_QUARANTINE 16		/* freed guarded blocks kept inaccessible */

#define PG_LEFT		0x10		/* a sampled LARGE head: the block starts its first data page */

extern unsigned heap_guard_every;	/* 0: no guarded blocks */
extern size_t heap_guarded;		/* guarded blocks live or in the quarantine */
extern int32_t guard_left;		/* slow-path allocations before the next sample; atomic */

/* A guarded block, from its head's descriptor. */
struct guarded {
	uint32_t head;
	uintptr_t obj;			/* the block */
	uintptr_t lo, end;		/* its data pages: [lo, end), GUARD pages around */
	size_t size;			/* the size asked for */
	uint16_t alloc_site, free_site;
	bool retired;			/* freed: in the quarantine */
};

/* The rate (kheap_set_sample; heap lock held): the countdown starts again, nothing armed. */
void guarded_set_rate(unsigned every);
/* Above level 0: is this allocation of n bytes at align the one to guard?  (Counts it; no lock.) */
bool guarded_due(size_t n, size_t align);
/*
 * Level 0, guard_left spent on a slow path (heap lock held): true when a
 * sample was armed and this allocation of n bytes is it (disarmed now);
 * otherwise arms one for the next allocation, false.
 */
bool guarded_take(size_t n);
/* A sample is armed: the next allocation must reach the slow path. */
bool guarded_armed(void);
/* The bytes of the page run that guards a block of n. */
size_t guarded_run_bytes(size_t n);
/* Make the fresh LARGE run at run a guarded block of n bytes; the block's address. */
uintptr_t guarded_place(uintptr_t run, size_t n, uint16_t site);
/* The guarded block whose run holds va (any of its pages); false when none. */
bool guarded_find(uintptr_t va, struct guarded *g);
/* Free g into the quarantine: every page GUARD.  The head of the run it pushed out, or PG_NONE. */
uint32_t guarded_retire(const struct guarded *g, uint16_t free_site);
/* The oldest block out of the quarantine, its run's head to be freed; PG_NONE when empty. */
uint32_t guarded_unquarantine(void);
/* Freed guarded blocks in the quarantine. */
size_t guarded_quarantined(void);
void guarded_init(void);
/* A fault at va on a guarded block's GUARD page: its report (heap_report_log); false if none. */
bool guarded_fault_report(uintptr_t va, bool write, uintptr_t ip);

/* Write canaries over [p + from, p + to). */
void canary_fill(uintptr_t p, size_t from, size_t to);
/* The first offset in [from, to) whose canary is wrong, or to. */
size_t canary_find(uintptr_t p, size_t from, size_t to);
/* The lowest offset of the wrong canaries that end at to - 1, or to. */
size_t canary_find_tail(uintptr_t p, size_t from, size_t to);
/* The highest offset in [from, to) whose canary is wrong, or to. */
size_t canary_find_last(uintptr_t p, size_t from, size_t to);
void poison_fill(uintptr_t p, size_t n);
/* The first offset below n that is not poison, or n. */
size_t poison_find(uintptr_t p, size_t n);
/* The lowest offset of the non-poison bytes that end at n - 1, or n. */
size_t poison_find_tail(uintptr_t p, size_t n);

/* The index of site pc (0 when none: pc 0, a level below 2, a full table). */
uint16_t site_index(uintptr_t pc);
/* The same at any level: a guarded block's sites are recorded always. */
uint16_t site_note(uintptr_t pc);
uintptr_t site_pc(uint16_t idx);
/* The live allocations (and their requested bytes) made at pc. */
size_t site_live(uintptr_t pc, size_t *bytes);
/* A live allocation of bytes made at site idx, and its free. */
void site_count(uint16_t idx, size_t bytes);
void site_uncount(uint16_t idx, size_t bytes);
/* Level 0, no site known (a new heap). */
void heapdebug_init(void);
/* Zero every site's counts (the records they counted were forgotten). */
void site_forget(void);
/*
 * The leak report: live allocations by allocation site, largest bytes
 * first, then those with no site recorded; one log line each.
 */
void site_print_leaks(void);

#endif
