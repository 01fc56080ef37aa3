/*
 * The per-CPU frame caches (mm/frame_int.h, docs/frames.md): a demand
 * fault refills its CPU's cache in one batch and takes from it; frames
 * cached on several CPUs keep every figure (free, reserved, available)
 * what it would be without them, and the audits count and check them;
 * promises parked in other CPUs' caches come back when this CPU, a
 * reservation's take or a return of promises needs them.  The "other
 * CPUs" are caches of the highest ids, which no CPU of a test boot runs
 * on; frame_cache_fill_at fills one as its CPU's fault would.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/heapfault.h"
#include "mm/frame_int.h"		/* white box: the caches' slots */

static struct frame_stats figures(void)
{
	struct frame_stats fs;

	frame_stats(&fs);
	return fs;
}

/* Promises free in the pool, out of any cache. */
static uint32_t pool_promises(void)
{
	struct frame_stats fs = figures();

	return fs.reserved - fs.cached;
}

/* n fresh AOW pages of one allocation, and every cache empty. */
static uint8_t *fresh_pages(size_t n)
{
	uint8_t *p;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	frame_cache_drain();
	p = kmalloc(n * PAGE_SIZE);
	for (size_t i = 0; p && i < n; i++)
		if (mmu_state((uintptr_t)p + i * PAGE_SIZE) != PS_AOW)
			return NULL;
	return p;
}

/* The end of a case: its pages scavenged, as the next case (in the kernel, the same heap) expects. */
static void done(void)
{
	kheap_scavenge(SIZE_MAX);
	frame_cache_drain();
}

static bool write_fault_at(uint8_t *p)
{
	const char *why = NULL;

	return kheap_fault((uintptr_t)p, true, &why) == KF_RESOLVED &&
	       mmu_state((uintptr_t)p) == PS_PRESENT;
}

/*
 * Cache ids no CPU of a test boot (at most four) runs on, the highest
 * first: other(0) .. other(OTHERS - 1).  The host has one CPU and plays
 * the others.
 */
#define OTHERS (FRAME_NCACHES > 4 ? FRAME_NCACHES - 4 : FRAME_NCACHES - 1)
static unsigned other(unsigned k) { return FRAME_NCACHES - 1 - k; }

TEST(framecache_refills_in_one_batch_and_takes_from_it)
{
	uint8_t *p = fresh_pages(20);
	struct frame_stats a, b;

	CHECK(p && FRAME_NCACHES >= 2);
	a = figures();
	CHECK(a.cached == 0);
	CHECK(write_fault_at(p));		/* the empty cache: a frame and a refill */
	b = figures();
	CHECKF(b.cached == FRAME_CACHE_SLOTS, "%u frames cached after the first fault", b.cached);
	CHECK(b.free == a.free - 1 && b.reserved == a.reserved - 1 && b.available == a.available);
	for (int i = 1; i < 6; i++)
		CHECK(write_fault_at(p + i * PAGE_SIZE));
	b = figures();
	CHECKF(b.cached == FRAME_CACHE_SLOTS - 5, "%u frames cached after six faults", b.cached);
	CHECK(b.free == a.free - 6 && b.reserved == a.reserved - 6);
	CHECK(kheap_check() && frame_audit());
	kfree(p);
	b = figures();
	CHECK(b.reserved == a.reserved - 20);	/* 6 promises kept, 14 given back */
	CHECK(frame_cache_drain() == b.cached);
	a = figures();
	CHECK(a.cached == 0 && a.free == b.free && a.reserved == b.reserved);
	CHECK(kheap_check() && frame_audit());
	done();
}

TEST(framecache_frames_cached_on_several_cpus_are_counted)
{
	uint8_t *q = fresh_pages(64);
	struct frame_stats a, b;
	pfn_t f;

	CHECK(q && FRAME_NCACHES >= 4);
	a = figures();
	for (unsigned k = 0; k < 3; k++)
		CHECK(frame_cache_fill_at(other(k)) == FRAME_CACHE_SLOTS);
	b = figures();
	CHECKF(b.cached == 3 * FRAME_CACHE_SLOTS, "%u cached", b.cached);
	CHECK(b.free == a.free && b.reserved == a.reserved && b.available == a.available);
	CHECK(b.free + b.used == b.total);
	CHECK(kheap_check() && frame_audit());
	/* the audit reads every cache: a free frame in one, and a frame in two */
	f = frame_alloc();
	CHECK(f != PFN_NONE && frame_free(f));
	frame_cache_push_broken(other(3), f, false);
	CHECK(!frame_audit());
	frame_caches[other(3)].slot[0] = frame_caches[other(0)].slot[0];
	CHECK(!frame_audit());
	frame_caches[other(3)].n = 0;
	CHECK(frame_audit());
	kfree(q);				/* 64 promises back: the caches hold 45 of them */
	b = figures();
	CHECK(b.reserved == a.reserved - 64 && b.free == a.free);
	CHECK(kheap_check() && frame_audit());
	done();
}

/*
 * Every free promise parked in other CPUs' caches: a fault here, a
 * reservation's take (vmalloc's) and a return of promises each take back
 * what they need; none overdraws (frame_audit refuses a pool below 0).
 */
TEST(framecache_promises_parked_elsewhere_are_taken_back)
{
	uint8_t *q = fresh_pages(2);
	uint32_t avail;
	unsigned k = 0;
	pfn_t f;

	CHECK(q && frame_reserve(1));		/* one for a reservation's take */
	avail = figures().available;
	while (pool_promises() && k < OTHERS)
		frame_cache_fill_at(other(k++));
	CHECKF(pool_promises() == 0, "%u promises left in the pool, room in %u caches",
	       pool_promises(), k);
	CHECK(figures().available == avail);	/* nothing for the balloon or the OOM path */
	CHECK(write_fault_at(q));
	CHECK(frame_audit() && kheap_check());
	CHECK(pool_promises() == 0);		/* the refill took what the drains gave back */
	f = frame_alloc_reserved();
	CHECK(f != PFN_NONE && frame_audit());
	CHECK(frame_free(f));
	kfree(q);				/* one promise back, from wherever it is */
	CHECK(frame_audit() && kheap_check());
	done();
	CHECK(figures().cached == 0 && frame_audit());
}

/*
 * frame_below_low, the scavenger's question on every committing kmalloc,
 * answers what frame_stats does (available < low) with frames and their
 * promises in caches, on either side of the mark.
 */
TEST(framecache_below_low_agrees_with_the_figures)
{
	uint8_t *q = fresh_pages(32);
	struct frame_stats a = figures();
	uint32_t avail;

	CHECK(q && FRAME_NCACHES >= 2);
	CHECK(frame_cache_fill_at(other(0)) == FRAME_CACHE_SLOTS);
	avail = figures().available;
	CHECK(avail == a.available && figures().cached == FRAME_CACHE_SLOTS);
	frame_set_watermarks(avail + 1, avail + 2);
	CHECK(figures().available < figures().low && frame_below_low());
	frame_set_watermarks(avail, avail + 1);
	CHECK(!(figures().available < figures().low) && !frame_below_low());
	frame_set_watermarks(a.low, a.high);
	CHECK(frame_below_low() == (a.available < a.low));
	kfree(q);
	done();
}
