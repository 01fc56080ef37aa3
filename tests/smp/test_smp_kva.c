/*
 * The kernel-virtual-memory services on every CPU at once (docs/smp.md,
 * docs/heap.md "Lock order"): each CPU runs its own seeded stream of
 * vmalloc, first writes, vfree, kstack_alloc, kstack_free, and owner
 * register, lookup and unregister of ranges of its own; then every CPU
 * writes the same untouched pages of one vmalloc area at once.  After
 * each, the owner index, the arenas and the frame allocator must pass
 * their audits and be back where they started: nothing lost, nothing
 * left.  With one CPU (smp=1) the same streams run on the boot CPU.
 */
#include "tests/ktest.h"
#include "src/smp.h"
#include "tests/smp/smp_util.h"
#include "src/vmalloc.h"
#include "src/kstack.h"
#include "src/boot_mm.h"
#include "mm/owner.h"
#include "mm/frame.h"
#include "mm/pagestate.h"
#include "arch/x86/mmu.h"
#include "src/lib.h"

#define ROUNDS		120
#define STACK_EVERY	8	/* a kstack_alloc/free every 8 rounds (each logs a line) */
#define OWN_BASE	0xE8000000u	/* never touched, only indexed (inside the heap region with much memory) */
#define OWN_SPAN	0x00100000u	/* each CPU's share of it */
#define SHARED_PAGES	8

static volatile unsigned go, bad;

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fail(void)
{
	__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
}

/* A vmalloc area of 1-6 pages, each page written and read back, freed. */
static void vmalloc_round(uint32_t *s, unsigned cpu)
{
	size_t n = 1 + next_rand(s) % 6;
	volatile uint32_t *p = vmalloc(n * PAGE_SIZE);

	if (!p) {
		fail();
		return;
	}
	for (size_t i = 0; i < n; i++)
		p[i * PAGE_SIZE / 4] = cpu << 16 | (uint32_t)i;
	for (size_t i = 0; i < n; i++)
		if (p[i * PAGE_SIZE / 4] != (cpu << 16 | (uint32_t)i))
			fail();
	vfree((void *)p);
}

/* An owner range of this CPU's own, found under its name, then gone. */
static void owner_round(uint32_t *s, unsigned cpu)
{
	uintptr_t va = OWN_BASE + cpu * OWN_SPAN + (next_rand(s) % 64) * PAGE_SIZE;
	const struct owner *o;

	if (!owner_register(va, PAGE_SIZE, OW_WIRED, "smp_kva test range")) {
		fail();
		return;
	}
	o = owner_find(va + 8);
	if (!o || o->start != va || strcmp(o->name, "smp_kva test range"))
		fail();
	if (!owner_unregister(va) || ((o = owner_find(va)) && o->start == va))
		fail();		/* gone (an enclosing entry, the heap's with much memory, may stay) */
}

static void stack_round(void)
{
	uintptr_t top = kstack_alloc("smp_kva test");

	if (!top) {
		fail();
		return;
	}
	*(volatile uint32_t *)(top - 4) = 0x57AC4u;
	if (!kstack_free(top))
		fail();
}

static void worker(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;
	uint32_t seed = 0x2545F491u * (cpu + 1);

	while (!go)
		__asm__ volatile("pause");
	for (unsigned r = 0; r < ROUNDS; r++) {
		vmalloc_round(&seed, cpu);
		owner_round(&seed, cpu);
		if (r % STACK_EVERY == cpu % STACK_EVERY)
			stack_round();
	}
}

/* The owner index and the arenas pass their audits. */
static bool audits_pass(void)
{
	return owner_audit() && vmem_audit(vmalloc_arena()) && vmem_audit(kstack_arena()) &&
	       vmem_audit(kva_arena()) && frame_audit();
}

TEST(smp_kva_vmalloc_kstack_owner_on_every_cpu)
{
	size_t entries0, pool0, entries1, pool1;
	struct vmalloc_stats v0, v1;
	struct frame_stats f0, f1;
	struct vmem_tag_stats t0, t1;
	uint32_t tables = mmu_table_count();
	size_t kept;

	bad = 0;
	vmem_tag_stats(&t0);
	owner_counts(&entries0, &pool0);
	vmalloc_stats(&v0);
	frame_stats(&f0);
	on_every_cpu(worker, &go);
	owner_counts(&entries1, &pool1);
	vmalloc_stats(&v1);
	frame_stats(&f1);
	vmem_tag_stats(&t1);
	kept = (mmu_table_count() - tables) + (t1.pages - t0.pages);	/* tables, tag pages stay */
	CHECKF(bad == 0, "%u operations failed or read back wrong across %u CPUs", bad,
	       smp_ncpus());
	CHECKF(entries1 == entries0 && pool1 == pool0, "owner index: %zu entries, %zu pool nodes "
	       "before; %zu, %zu after", entries0, pool0, entries1, pool1);
	CHECK(v1.areas == v0.areas && v1.pages == v0.pages);
	CHECKF(v1.allocs - v0.allocs == v1.frees - v0.frees, "%u vmallocs, %u vfrees",
	       (unsigned)(v1.allocs - v0.allocs), (unsigned)(v1.frees - v0.frees));
	CHECKF(f1.free + kept == f0.free,
	       "free frames %u before, %u after, %zu new page tables and tag pages",
	       (unsigned)f0.free, (unsigned)f1.free, kept);
	CHECK(audits_pass());
}

static volatile uint32_t *shared;

static void write_shared(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;

	while (!go)
		__asm__ volatile("pause");
	for (unsigned i = 0; i < SHARED_PAGES; i++)
		shared[i * PAGE_SIZE / 4 + cpu] = cpu + 1;
}

TEST(smp_kva_same_vmalloc_pages_get_one_frame_each)
{
	struct vmalloc_stats v0, v1;
	struct frame_stats f0, f1;

	shared = vmalloc(SHARED_PAGES * PAGE_SIZE);
	CHECK(shared);
	vmalloc_stats(&v0);
	frame_stats(&f0);
	on_every_cpu(write_shared, &go);
	vmalloc_stats(&v1);
	frame_stats(&f1);
	CHECKF(v1.faults_write - v0.faults_write == SHARED_PAGES &&
	       v1.present - v0.present == SHARED_PAGES,
	       "%u write faults, %zu more pages present, for %u pages",
	       (unsigned)(v1.faults_write - v0.faults_write), v1.present - v0.present, SHARED_PAGES);
	CHECKF(f0.free == f1.free + SHARED_PAGES, "free frames %u before, %u after: %d frames",
	       (unsigned)f0.free, (unsigned)f1.free, (int)(f0.free - f1.free));
	for (unsigned i = 0; i < SHARED_PAGES; i++)
		for (unsigned c = 0; c < smp_ncpus(); c++)
			CHECK(shared[i * PAGE_SIZE / 4 + c] == c + 1);
	vfree((void *)shared);
	frame_stats(&f1);
	CHECK(f1.free == f0.free);
	CHECK(audits_pass());
}
