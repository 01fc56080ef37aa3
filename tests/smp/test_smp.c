/*
 * The heap on every CPU at once (src/smp.h): each CPU runs its own seeded
 * stream of kmalloc, pattern, check and kfree, and frees objects another
 * CPU allocated; then every CPU writes the same untouched page of a large
 * allocation at once, which must end with one frame mapped and none
 * leaked.  With one CPU (smp=1) the same cases run on the boot CPU alone.
 */
#include "tests/ktest.h"
#include "src/smp.h"
#include "tests/smp/smp_util.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/pagestate.h"
#include "mm/scavenge.h"
#include "src/lib.h"

#define SLOTS	64
#define ROUNDS	1500

static volatile unsigned go, bad;
static void *volatile swap[CPU_MAX];	/* objects handed to the next CPU */

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

static bool intact(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(v + i))
			return false;
	return true;
}

/* A block's size and pattern byte live in its first 8 bytes. */
static void *make(uint32_t *s)
{
	size_t n = 8 + next_rand(s) % (next_rand(s) % 8 ? 200 : 20000);
	uint8_t *p = kmalloc(n), v = (uint8_t)next_rand(s);

	if (!p)
		return NULL;
	*(uint32_t *)p = (uint32_t)n;
	p[4] = v;
	fill(p + 8, n - 8, v);
	return p;
}

static void check_free(uint8_t *p)
{
	if (!intact(p + 8, *(uint32_t *)p - 8, p[4]))
		__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
	kfree(p);
}

/* One CPU's stream; it hands an object to the next CPU each round. */
static void worker(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg, n = smp_ncpus();
	uint32_t seed = 0x9E3779B9u * (cpu + 1);
	void *slot[SLOTS] = { 0 };

	while (!go)
		__asm__ volatile("pause");
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned k = next_rand(&seed) % SLOTS;
		void *mine = make(&seed);

		if (slot[k])
			check_free(slot[k]);
		slot[k] = mine;
		mine = __atomic_exchange_n(&swap[(cpu + 1) % n], NULL, __ATOMIC_ACQ_REL);
		if (mine)
			check_free(mine);
		mine = make(&seed);
		if (mine && (mine = __atomic_exchange_n(&swap[cpu], mine, __ATOMIC_ACQ_REL)))
			check_free(mine);
	}
	for (unsigned k = 0; k < SLOTS; k++)
		if (slot[k])
			check_free(slot[k]);
}

/* A scavenger pass from this CPU: it also empties the CPU's own magazines. */
static void drain(void *arg)
{
	(void)arg;
	kheap_scavenge(SIZE_MAX);
}

TEST(smp_heap_on_every_cpu_with_cross_frees)
{
	bad = 0;
	on_every_cpu(worker, &go);
	for (unsigned c = 1; c < smp_ncpus(); c++) {	/* later cases expect no cached objects */
		smp_call(c, drain, NULL);
		smp_wait(c);
	}
	for (unsigned c = 0; c < CPU_MAX; c++)
		if (swap[c]) {
			check_free(swap[c]);
			swap[c] = NULL;
		}
	CHECKF(bad == 0, "%u blocks lost their pattern across %u CPUs", bad, smp_ncpus());
	CHECK(kheap_check());
	CHECK(frame_audit());
}

static volatile uint32_t *target;

static void write_target(void *arg)
{
	while (!go)
		__asm__ volatile("pause");
	target[(uintptr_t)arg] = (uint32_t)(uintptr_t)arg + 1;
}

TEST(smp_same_untouched_page_gets_one_frame)
{
	uint8_t *p;
	uintptr_t page;
	struct frame_stats a, b;

	kheap_scavenge(SIZE_MAX);		/* free pages AOW: a new page run is untouched */
	p = kmalloc(5 * PAGE_SIZE);		/* above SLAB_MAX: a page run of its own */
	CHECK(p);
	page = ((uintptr_t)p + 2 * PAGE_SIZE) & ~(uintptr_t)(PAGE_SIZE - 1);
	CHECKF(mmu_state(page) == PS_AOW, "page %#lx is %s, not AOW", (unsigned long)page,
	       pagestate_name(mmu_state(page)));
	target = (volatile uint32_t *)page;
	frame_stats(&a);
	on_every_cpu(write_target, &go);
	frame_stats(&b);
	CHECK(mmu_state(page) == PS_PRESENT);
	CHECKF(a.free == b.free + 1, "free frames %u before, %u after: %d frames for one page",
	       (unsigned)a.free, (unsigned)b.free, (int)(a.free - b.free));
	for (unsigned c = 0; c < smp_ncpus(); c++)
		CHECK(target[c] == c + 1);
	kfree(p);
	CHECK(kheap_check());
	CHECK(frame_audit());
}

/*
 * The TLB shootdown's test (docs/scavenger.md).  A reader (CPU 1, or the
 * boot CPU itself after the fact with one CPU) loads through a pointer
 * into an allocation until its TLB holds the entry, and parks; the
 * allocation is freed and scavenged, the same address handed out again
 * (never written: AOW), and the old frame reused by new allocations
 * filled with a pattern.  Then the reader loads again: the load must
 * fault (the page turns ZERO, which only a read fault does) and never see
 * the pattern.  The reader is parked while the address is free, since a
 * load of free heap space is a fatal misuse (mm/heapfault.c); the stale
 * entry outlives the park all the same.  Booted with noshootdown
 * (scripts/test-all) it must fail.
 */
#define PATTERN 0x5EED5EEDu
#define BIG (5 * PAGE_SIZE)		/* above SLAB_MAX: a page run */
#define REUSE_TRIES 64

static volatile uint32_t *stale;
static volatile unsigned stop, parking, parked, reads, hits;

static void reader(void *arg)
{
	(void)arg;
	while (!stop) {
		if (parking) {
			parked = 1;
			__asm__ volatile("pause");
			continue;
		}
		parked = 0;
		if (*stale == PATTERN)
			hits++;
		reads++;
	}
}

/* One CPU: the reader's loads, once the frame has been reused. */
static void reader_once(void)
{
	for (int i = 0; i < 1000; i++) {
		if (*stale == PATTERN)
			hits++;
		reads++;
	}
}

static void wait_reads(unsigned more)
{
	unsigned r0 = reads;

	while (__atomic_load_n(&reads, __ATOMIC_RELAXED) - r0 < more)	/* the reader adds */
		__asm__ volatile("pause");
}

/* New allocations, each page written with PATTERN, until one holds frame f. */
static bool reuse_frame(pfn_t f, uintptr_t page, uint8_t *held[REUSE_TRIES])
{
	for (int t = 0; t < REUSE_TRIES; t++) {
		uint8_t *q = held[t] = kmalloc(BIG);
		bool found = false;

		if (!q)
			return false;
		if (page >= (uintptr_t)q && page < (uintptr_t)q + BIG)
			continue;		/* the old address itself: never written */
		for (size_t i = 0; i < BIG / 4; i++)
			((volatile uint32_t *)q)[i] = PATTERN;
		for (uintptr_t v = (uintptr_t)q; v < (uintptr_t)q + BIG; v += PAGE_SIZE)
			found |= mmu_frame(v & ~(uintptr_t)(PAGE_SIZE - 1)) == f;
		if (found)
			return true;
	}
	return false;
}

#define ROW 24

/* A BIG allocation between two others, so that its run stays its own once freed; the rest held. */
static uint8_t *between(uint8_t *row[ROW])
{
	for (int i = 0; i < ROW; i++)
		row[i] = kmalloc(BIG);
	for (int i = 1; i + 1 < ROW; i++)
		if (row[i] && row[i - 1] + BIG == row[i] && row[i] + BIG == row[i + 1]) {
			uint8_t *p = row[i];

			row[i] = NULL;
			return p;
		}
	return NULL;
}

/* Address at handed out again (BIG, never written), misses held in held[]. */
static uint8_t *alloc_at(uintptr_t at, uint8_t *held[ROW])
{
	for (int i = 0; i < ROW; i++) {
		uint8_t *q = kmalloc(BIG);

		if ((uintptr_t)q == at)
			return q;
		held[i] = q;
	}
	return NULL;
}

static void free_all(uint8_t **a, int n)
{
	for (int i = 0; i < n; i++)
		kfree(a[i]);
}

TEST(smp_stale_pointer_faults_after_scavenge)
{
	uint8_t *row[ROW] = { 0 }, *misses[ROW] = { 0 }, *held[REUSE_TRIES] = { 0 };
	uint8_t *p = between(row), *again;
	bool two = smp_ncpus() > 1, reused, live;
	uintptr_t page, at = (uintptr_t)p;	/* p's address, for after its free */
	pfn_t f;

	CHECKF(p, "no BIG allocation between two others in %d", ROW);
	memset(p, 0x11, BIG);
	page = ((uintptr_t)p + 2 * PAGE_SIZE) & ~(uintptr_t)(PAGE_SIZE - 1);
	f = mmu_frame(page);
	stale = (volatile uint32_t *)page;
	stop = parking = parked = reads = hits = 0;
	kheap_scavenge(SIZE_MAX);		/* only p's frames come free below */
	if (two) {
		CHECK(smp_call(1, reader, NULL));
		wait_reads(1000);		/* the reader's TLB holds the entry */
		parking = 1;
		while (!parked)
			__asm__ volatile("pause");
	}
	kfree(p);
	kheap_scavenge(SIZE_MAX);
	CHECKF(mmu_state(page) == PS_AOW, "the freed page is %s after the pass, not AOW",
	       pagestate_name(mmu_state(page)));
	again = alloc_at(at, misses);		/* the address live again, never written */
	reused = reuse_frame(f, page, held);
	live = (uintptr_t)again == at;
	if (live && two) {
		parking = 0;
		wait_reads(1000);
	} else if (live) {
		reader_once();
	}
	stop = 1;
	if (two)
		smp_wait(1);
	CHECKF(reused, "frame %#x did not come back in %d allocations", (unsigned)f, REUSE_TRIES);
	CHECKF(hits == 0, "cpu %u read the new owner's pattern %u times of %u through a stale "
	       "TLB entry", two ? 1u : 0u, hits, reads);
	CHECKF(live, "p (%#lx) was not handed out again (%p): the stale loads would be a misuse",
	       (unsigned long)at, (void *)again);
	CHECKF(!live || mmu_state(page) == PS_ZERO, "the stale load did not fault: the page is %s",
	       pagestate_name(mmu_state(page)));
	free_all(held, REUSE_TRIES);
	free_all(misses, ROW);
	free_all(row, ROW);
	kfree(again);
}
