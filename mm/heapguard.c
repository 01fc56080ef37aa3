/*
 * Sampled guarded blocks in the kernel heap, after KFENCE (design in
 * docs/debugging.md, "Guarded blocks"): at every level one allocation in
 * heap_guard_every (heapsample=, 0 for none), at level 3 every one, is a
 * page run of its own (PK_LARGE, PG_SAMPLED) whose first and last pages
 * are GUARD, the block between them 16-byte aligned and placed, turn
 * about, at the start of its first data page (PG_LEFT: an underflow
 * faults at once) or at the end of its last (an overflow does).  At its
 * free every page of the run becomes GUARD (PG_RETIRED) and the run waits
 * in a quarantine of GUARD_QUARANTINE runs, so a read or a write after
 * free faults too; the oldest leaves (pagerun_free takes its GUARD pages
 * back to AOW) when a newer one comes in.
 *
 * Which allocation: a countdown, guard_left, of allocations that take a
 * slow path.  At level 0 only those count (the magazines' fast path pays
 * nothing): when it runs out the sample is armed (guarded_take), the
 * kmalloc family holds the fast path off, and the next allocation,
 * whatever it is, is the sampled one.  Above 0 every call is slow, and
 * the call that runs it out is the sample (guarded_due).
 *
 * The block's record is its head's descriptor: u.big.slack is the run's
 * bytes less the size asked for, u.big's sites its allocation and free
 * sites; the block's address follows from them (guarded_find).  This file
 * places and retires blocks, finds them and words their faults; the
 * kmalloc family's debug calls (mm/kheap_debug.c) decide when and count.
 *
 * Locking: the heap lock for placing, retiring, arming and the
 * quarantine; the countdown is atomic and read without it, so an
 * unsampled call takes no lock for it (racing CPUs may skew the rate,
 * nothing else).  Two CPUs may spend it at once: the one that gets the
 * lock second finds the count restarted by the first one's sample and
 * arms nothing (guarded_take), else the fast path would stay held off
 * for a whole count of slow calls with no sample due; guarded_find and guarded_fault_report read descriptors
 * only (the fault path, as mm/heapfind.c).
 */
#include "mm/heap_int.h"
#include "mm/heapdebug.h"
#include "mm/heapreport.h"

#define pd heap.pd

unsigned heap_guard_every;
size_t heap_guarded;
int32_t guard_left = INT32_MAX;
static bool armed, left_next;
static uint32_t quarantine[GUARD_QUARANTINE];	/* run heads, the oldest at qhead */
static unsigned qhead, qlen;

static size_t rounded(size_t n) { return (n + GUARD_ALIGN - 1) & ~(size_t)(GUARD_ALIGN - 1); }

/* The rate in force: every Nth allocation, 0 for none. */
static unsigned guard_rate(void)
{
	if (!heap_guard_every)
		return 0;
	return heap_debug_level >= 3 ? 1 : heap_guard_every;
}

static bool fits(size_t n, size_t align)
{
	return align <= GUARD_ALIGN && n <= (size_t)(heap.npg / 2) * PAGE_SIZE;
}

/* The countdown starts again at the rate (never runs out at rate 0). */
static void restart(void)
{
	unsigned rate = guard_rate();

	__atomic_store_n(&guard_left, rate && rate < INT32_MAX ? (int32_t)rate : INT32_MAX,
			 __ATOMIC_RELAXED);
}

void guarded_set_rate(unsigned every)
{
	HEAP_ASSERT_LOCKED();
	heap_guard_every = every;
	armed = false;
	restart();
}

bool guarded_due(size_t n, size_t align)
{
	if (!fits(n, align) || !guard_rate() ||
	    __atomic_sub_fetch(&guard_left, 1, __ATOMIC_RELAXED) > 0)
		return false;
	restart();
	return true;
}

bool guarded_take(size_t n)
{
	HEAP_ASSERT_LOCKED();
	if (!armed) {
		if (__atomic_load_n(&guard_left, __ATOMIC_RELAXED) > 0)
			return false;	/* a late caller: another CPU's sample restarted the count */
		armed = guard_rate() != 0;
		if (!armed)
			restart();
		return false;		/* guard_left stays spent: the next slow call comes back */
	}
	armed = false;
	restart();
	return fits(n, 8);
}

bool guarded_armed(void) { return armed; }

/*
 * The block's data pages between two GUARD pages.  The block never
 * starts its run (the guard below does), so at every level a call on it
 * fails the ordinary pointer check (inside a large allocation, not its
 * start) and only that error path asks whether it is guarded.
 */
size_t guarded_run_bytes(size_t n)
{
	return ((rounded(n) + PAGE_SIZE - 1) / PAGE_SIZE + 2) * PAGE_SIZE;
}

/* Where the block of the run at head h starts, from its record. */
static uintptr_t block_at(uint32_t h, size_t n)
{
	uintptr_t run = pagerun_va(h);

	if (pd[h].flags & PG_LEFT)
		return run + PAGE_SIZE;
	return run + (uintptr_t)(pd[h].npages - 1) * PAGE_SIZE - rounded(n);
}

uintptr_t guarded_place(uintptr_t run, size_t n, uint16_t site)
{
	uint32_t i = pagerun_index(run), pages = pd[i].npages;

	HEAP_ASSERT_LOCKED();
	KASSERT(pd[i].kind == PK_LARGE && pages >= 3 && !(run & (PAGE_SIZE - 1)));
	pagerun_guard(i, 0, 1, PC_EXPLICIT);
	pagerun_guard(i, pages - 1, 1, PC_EXPLICIT);
	pd[i].flags |= (uint8_t)(PG_SAMPLED | (left_next ? PG_LEFT : 0));
	left_next = !left_next;
	pd[i].u.big.slack = (uint16_t)((size_t)pages * PAGE_SIZE - n);
	pd[i].u.big.alloc_site = site;
	pd[i].u.big.free_site = 0;
	heap_guarded++;
	return block_at(i, n);
}

/* The sampled block at head h. */
static void describe(uint32_t h, struct guarded *g)
{
	uint32_t pages = pd[h].npages;

	g->head = h;
	g->size = (size_t)pages * PAGE_SIZE - pd[h].u.big.slack;
	g->obj = block_at(h, g->size);
	g->lo = pagerun_va(h) + PAGE_SIZE;
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
	pagerun_guard(h, 0, pd[h].npages, PC_FREE);
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
	heap_guard_every = 0;
	armed = left_next = false;
	qhead = qlen = 0;
	restart();
}

static const struct heap_misuse
	PAST_END = { HR_OVERFLOW, "a sampled block's guard page was touched" },
	BEFORE = { HR_UNDERFLOW, "the guard page before a sampled block was touched" },
	FREED_READ = { HR_UAF_READ, "a sampled block was read after its free" },
	FREED_WRITE = { HR_UAF_WRITE, "a sampled block was written after its free" };

bool guarded_fault_report(uintptr_t va, bool write, uintptr_t ip)
{
	struct guarded g;
	struct heap_report r = { .op = write ? "write" : "read", .ptr = va, .caller = ip };

	if (!guarded_find(va, &g))
		return false;
	if (g.retired)
		r.what = write ? &FREED_WRITE : &FREED_READ;
	else
		r.what = va < g.obj ? &BEFORE : &PAST_END;
	r.obj = g.obj;
	r.obj_size = g.size;
	r.alloc_site = site_pc(g.alloc_site);
	r.free_site = site_pc(g.free_site);
	heap_report_log(&r);
	return true;
}
