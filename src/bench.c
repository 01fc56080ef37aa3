/*
 * In-kernel benchmarks (docs/benchmarks.md).  Every figure is a count of
 * guest instructions when QEMU runs with -icount shift=0: rdtsc then
 * advances one per instruction, exceptions cost nothing, and a rep string
 * instruction counts once per iteration, so zeroing a page counts 1024.
 */
#include "src/bench.h"
#include "src/lib.h"
#include "src/log.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/pagestate.h"
#include "arch/x86/cpu.h"
#include "tests/mm/heap_util.h"

#define PAIRS 2000

static uint64_t pair_cost(size_t size)
{
	uint64_t t0;

	for (int i = 0; i < 100; i++)		/* warm: the slab or run exists */
		kfree(kmalloc(size));
	t0 = rdtsc();
	for (int i = 0; i < PAIRS; i++)
		kfree(kmalloc(size));
	return (rdtsc() - t0) / PAIRS;
}

static void bench_pairs(void)
{
	static const size_t sizes[] = { 16, 64, 256, 1024, 4096, 65536 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		kprintf("bench: pair %zu bytes: %llu instructions per kmalloc+kfree",
			sizes[i], (unsigned long long)pair_cost(sizes[i]));
}

/* The 64-byte pair with `live` other allocations held. */
static uint64_t pair_with_live(size_t live)
{
	void **held = kmalloc(live * sizeof(void *));
	uint64_t c;

	if (!held)
		return 0;
	for (size_t i = 0; i < live; i++)
		held[i] = kmalloc(64);
	c = pair_cost(64);
	for (size_t i = 0; i < live; i++)
		kfree(held[i]);
	kfree(held);
	return c;
}

static void bench_scaling(void)
{
	uint64_t a = pair_with_live(1000), b = pair_with_live(100000);

	kprintf("bench: pair 64 bytes with 1000 live: %llu, with 100000 live: %llu, ratio %llu.%02llu",
		(unsigned long long)a, (unsigned long long)b,
		(unsigned long long)(a ? b / a : 0), (unsigned long long)(a ? b * 100 / a % 100 : 0));
}

#define FPAGES 256

static void bench_faults(void)
{
	volatile uint8_t *p;
	uint64_t t0, write_aow, read_aow, write_zero, zeroing;
	unsigned sink = 0;

	kheap_scavenge(SIZE_MAX);
	p = kmalloc(FPAGES * PAGE_SIZE);
	t0 = rdtsc();
	for (int i = 0; i < FPAGES; i++)
		p[i * PAGE_SIZE] = 1;
	write_aow = (rdtsc() - t0) / FPAGES;
	t0 = rdtsc();
	for (int i = 0; i < FPAGES; i++)
		mmu_zero_page((uintptr_t)p + i * PAGE_SIZE);
	zeroing = (rdtsc() - t0) / FPAGES;
	kfree((void *)p);
	kheap_scavenge(SIZE_MAX);
	p = kmalloc(FPAGES * PAGE_SIZE);
	t0 = rdtsc();
	for (int i = 0; i < FPAGES; i++)
		sink += p[i * PAGE_SIZE];
	read_aow = (rdtsc() - t0) / FPAGES;
	t0 = rdtsc();
	for (int i = 0; i < FPAGES; i++)
		p[i * PAGE_SIZE] = 1;
	write_zero = (rdtsc() - t0) / FPAGES;
	kfree((void *)p);
	kprintf("bench: write fault AOW->PRESENT: %llu instructions, %llu without the zeroing (%llu)",
		(unsigned long long)write_aow, (unsigned long long)(write_aow - zeroing),
		(unsigned long long)zeroing);
	kprintf("bench: read fault AOW->ZERO: %llu instructions%s", (unsigned long long)read_aow,
		sink ? " (nonzero read!)" : "");
	kprintf("bench: write fault ZERO->PRESENT: %llu instructions, %llu without the zeroing",
		(unsigned long long)write_zero, (unsigned long long)(write_zero - zeroing));
}

#define RUNS 10000

static void bench_scavenger(void)
{
	static void *pg[2 * RUNS];
	struct scav_stats s;
	uint64_t t0, t;
	size_t released;

	kheap_scavenge(SIZE_MAX);
	for (int i = 0; i < 2 * RUNS; i++) {
		pg[i] = kmalloc(PAGE_SIZE);
		if (pg[i])
			*(volatile uint8_t *)pg[i] = 1;
	}
	for (int i = 0; i < 2 * RUNS; i += 2)
		kfree(pg[i]);			/* 10000 one-page free runs, all resident */
	t0 = rdtsc();
	released = kheap_scavenge(SIZE_MAX);
	t = rdtsc() - t0;
	for (int i = 1; i < 2 * RUNS; i += 2)
		kfree(pg[i]);
	scavenge_stats(&s);
	kprintf("bench: scavenger pass over %d free runs: %llu instructions, %zu pages released, "
		"%llu per page", RUNS, (unsigned long long)t, released,
		(unsigned long long)(released ? t / released : 0));
}

/* Resident pages over the minimum after a fragmenting workload and one pass. */
static void bench_fragmentation(void)
{
	static void *a[4000];
	struct kheap_stats st;
	uint32_t seed = 7;
	size_t live_pages = 0, resident;

	kheap_scavenge(SIZE_MAX);
	for (int i = 0; i < 4000; i++) {
		seed = seed * 1103515245 + 12345;
		a[i] = kmalloc((seed >> 8) % 8 == 0 ? 4096 + (seed >> 4) % 20000 : 16 + (seed >> 4) % 1500);
		if (a[i])
			memset(a[i], 1, ksize(a[i]));
	}
	for (int i = 0; i < 4000; i++)
		if ((i * 7) % 5)
			kfree(a[i]), a[i] = NULL;
	kheap_scavenge(SIZE_MAX);
	kheap_stats(&st);
	resident = st.by_state[PS_PRESENT];
	live_pages = st.committed_pages;	/* pages spanned by live allocations + metadata */
	kprintf("bench: fragmentation: resident %zu pages, minimum %zu (spanned by live + metadata), "
		"ratio %zu.%03zu", resident, live_pages, resident / live_pages,
		resident * 1000 / live_pages % 1000);
	for (int i = 0; i < 4000; i++)
		kfree(a[i]);
}

static void bench_hysteresis(void)
{
	kprintf("bench: free/realloc loop under pressure, 256 cycles of 8 pages: %llu refaults "
		"with the 256 KiB threshold, %llu without",
		(unsigned long long)churn_refaults(256 * 1024, 256),
		(unsigned long long)churn_refaults(0, 256));
}

/* rdtsc ticks over a loop of exactly 20000 instructions (plus rdtsc itself). */
static void bench_calibrate(void)
{
	uint32_t n = 10000;
	uint64_t t0 = rdtsc(), t;

	__asm__ volatile("1: dec %0\n jnz 1b" : "+r"(n));
	t = rdtsc() - t0;
	kprintf("bench: calibration: %llu ticks for a 20000-instruction loop", (unsigned long long)t);
}

void bench_run(void)
{
	kprintf("bench: begin (guest instructions; meaningful under QEMU -icount shift=0)");
	bench_calibrate();
	bench_pairs();
	bench_scaling();
	bench_faults();
	bench_scavenger();
	bench_fragmentation();
	bench_hysteresis();
	bench_frames();
	kprintf("bench: end");
}
