/*
 * Sampled guarded blocks in the kernel heap, after KFENCE (design in
 * docs/debugging.md, "Guarded blocks"): at heapcheck level 2 every
 * heap_guard_every-th allocation, at level 3 every one, is a page run of
 * its own (PK_LARGE, PG_SAMPLED) with the block at the end of its last
 * data page, 16-byte aligned, and one more page after it in state GUARD.
 * An overflow faults at the instruction that crossed into that page.  At
 * its free every page of the run becomes GUARD (PG_RETIRED) and the run
 * waits in a quarantine of GUARD_QUARANTINE runs, so a read or a write
 * after free faults too; the oldest leaves (pagerun_free takes its GUARD
 * pages back to AOW) when a newer one comes in.
 *
 * The block's record is its head's descriptor: u.big.slack is the run's
 * bytes less the size asked for, u.big's sites its allocation and free
 * sites; the block's address follows from them (guarded_find).  This file
 * places and retires blocks, finds them and words their faults; the
 * kmalloc family's debug calls (mm/kheap_debug.c) decide when and count.
 *
 * Locking: the heap lock for placing, retiring and the quarantine; the
 * sampling tick is atomic, so deciding costs an unsampled call no lock;
 * guarded_find and guarded_fault_report read descriptors only (the fault
 * path, as mm/heapfind.c).
 */
#include "mm/heap_int.h"
#include "mm/heapdebug.h"
#include "mm/heapreport.h"

#define pd heap.pd

unsigned heap_guard_every;
size_t heap_guarded;
static unsigned tick;
static uint32_t quarantine[GUARD_QUARANTINE];	/* run heads, the oldest at qhead */
static unsigned qhead, qlen;

static size_t rounded(size_t n) { return (n + GUARD_ALIGN - 1) & ~(size_t)(GUARD_ALIGN - 1); }

/* The rate in force: every Nth allocation, 0 for none. */
static unsigned guard_rate(void)
{
	if (!heap_guard_every || heap_debug_level < 2)
		return 0;
	return heap_debug_level >= 3 ? 1 : heap_guard_every;
}

/* The tick is counted without the lock (only the sampled call takes it): racing CPUs may skew the rate, nothing else. */
bool guarded_due(size_t n, size_t align)
{
	unsigned rate = guard_rate();

	if (!rate || align > GUARD_ALIGN || n > heap.npg / 2 * PAGE_SIZE ||
	    __atomic_add_fetch(&tick, 1, __ATOMIC_RELAXED) < rate)
		return false;
	__atomic_store_n(&tick, 0, __ATOMIC_RELAXED);
	return true;
}

/*
 * The block's pages, its guard, and one page more when the block fills
 * its pages exactly: a block never starts its run, so at every level a
 * call on it fails the ordinary pointer check (inside a large allocation,
 * not its start) and only that error path asks whether it is guarded.
 */
size_t guarded_run_bytes(size_t n)
{
	return (rounded(n) / PAGE_SIZE + 2) * PAGE_SIZE;
}

uintptr_t guarded_place(uintptr_t run, size_t n, uint16_t site)
{
	uint32_t i = pagerun_index(run), pages = pd[i].npages;

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[i].kind == PK_LARGE && pages >= 2 && !(run & (PAGE_SIZE - 1)));
	pagerun_guard(i, pages - 1, 1, PC_EXPLICIT);
	pd[i].flags |= PG_SAMPLED;
	pd[i].u.big.slack = (uint16_t)((size_t)pages * PAGE_SIZE - n);
	pd[i].u.big.alloc_site = site;
	pd[i].u.big.free_site = 0;
	heap_guarded++;
	return run + (uintptr_t)(pages - 1) * PAGE_SIZE - rounded(n);
}

/* The sampled block at head h. */
static void describe(uint32_t h, struct guarded *g)
{
	uint32_t pages = pd[h].npages;

	g->head = h;
	g->size = (size_t)pages * PAGE_SIZE - pd[h].u.big.slack;
	g->obj = pagerun_va(h) + (uintptr_t)(pages - 1) * PAGE_SIZE - rounded(g->size);
	g->end = pagerun_va(h) + (uintptr_t)(pages - 1) * PAGE_SIZE;
	g->alloc_site = pd[h].u.big.alloc_site;
	g->free_site = pd[h].u.big.free_site;
	g->retired = pd[h].flags & PG_RETIRED;
}

bool guarded_find(uintptr_t va, struct guarded *g)
{
	uint32_t i = pagerun_index(va);

	if (i == PG_NONE)
		return false;
	i = heap_large_head(i);
	if (pd[i].kind != PK_LARGE || !(pd[i].flags & PG_SAMPLED))
		return false;
	describe(i, g);
	return true;
}

uint32_t guarded_retire(const struct guarded *g, uint16_t free_site)
{
	uint32_t h = g->head, out = PG_NONE;

	HEAP_ASSERT_LOCKED();
	pagerun_guard(h, 0, pd[h].npages - 1, PC_FREE);
	pd[h].flags |= PG_RETIRED;
	pd[h].u.big.free_site = free_site;
	if (qlen == GUARD_QUARANTINE)
		out = guarded_unquarantine();
	quarantine[(qhead + qlen++) % GUARD_QUARANTINE] = h;
	return out;
}

uint32_t guarded_unquarantine(void)
{
	uint32_t h;

	HEAP_ASSERT_LOCKED();
	if (!qlen)
		return PG_NONE;
	h = quarantine[qhead];
	qhead = (qhead + 1) % GUARD_QUARANTINE;
	qlen--;
	heap_guarded--;
	return h;
}

size_t guarded_quarantined(void) { return qlen; }

void guarded_init(void)
{
	heap_guarded = 0;
	tick = 0;
	qhead = qlen = 0;
}

static const struct heap_misuse
	PAST_END = { HR_OVERFLOW, "a sampled block's guard page was touched" },
	FREED_READ = { HR_UAF_READ, "a sampled block was read after its free" },
	FREED_WRITE = { HR_UAF_WRITE, "a sampled block was written after its free" };

bool guarded_fault_report(uintptr_t va, bool write, uintptr_t ip)
{
	struct guarded g;
	struct heap_report r = { .op = write ? "write" : "read", .ptr = va, .caller = ip };

	if (!guarded_find(va, &g))
		return false;
	r.what = !g.retired ? &PAST_END : write ? &FREED_WRITE : &FREED_READ;
	r.obj = g.obj;
	r.obj_size = g.size;
	r.alloc_site = site_pc(g.alloc_site);
	r.free_site = site_pc(g.free_site);
	heap_report_log(&r);
	return true;
}
