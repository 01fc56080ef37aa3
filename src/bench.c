/*
 * In-kernel benchmarks (docs/benchmarks.md).  Every figure is a count of
 * guest instructions when QEMU runs with -icount shift=0: rdtsc then
 * advances one per instruction, exceptions cost nothing, and a rep string
 * instruction counts once per iteration, so zeroing a page counts 1024.
 */
#include "src/bench.h"
#include "src/lib.h"
#include "src/log.h"
#include "src/stress.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/pagestate.h"
#include "mm/magazine.h"
#include "src/smp.h"
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

/*
 * The warm pair: a magazine hit for sizes up to MAG_MAX_SIZE.  With the
 * magazines off the same pair takes the slab path, as a miss does
 * (besides the miss's depot exchange, which the burst figure includes).
 */
static void bench_pairs(void)
{
	static const size_t sizes[] = { 16, 64, 256, 1024, 4096, 8192, 65536 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		kprintf("bench: pair %zu bytes: %llu instructions per kmalloc+kfree%s",
			sizes[i], (unsigned long long)pair_cost(sizes[i]),
			sizes[i] <= MAG_MAX_SIZE ? " (magazine hit)" : "");
	mag_set_enabled(false);
	for (size_t i = 0; i < 4; i++)
		kprintf("bench: pair %zu bytes, magazines off (the slab path): %llu instructions",
			sizes[i], (unsigned long long)pair_cost(sizes[i]));
	mag_set_enabled(true);
}

/*
 * kfree and kmalloc of a 16-page run on their own, in *free and *alloc:
 * with every page written between them (the free makes each PRESENT page
 * KEPT, the reuse maps it back: a state change and an invlpg each way),
 * or never written (the pages stay AOW: nothing to change).
 */
static void run_costs(bool backed, uint64_t *free, uint64_t *alloc)
{
	const size_t size = 16 * PAGE_SIZE;

	*free = *alloc = 0;
	for (int i = 0; i < 100 + PAIRS; i++) {
		volatile uint8_t *p;
		uint64_t t = rdtsc();

		p = kmalloc(size);
		t = rdtsc() - t;
		*alloc += i >= 100 ? t : 0;
		for (size_t o = 0; backed && o < size; o += PAGE_SIZE)
			p[o] = (uint8_t)i;
		t = rdtsc();
		kfree((void *)p);
		t = rdtsc() - t;
		*free += i >= 100 ? t : 0;
	}
	*free /= PAIRS;
	*alloc /= PAIRS;
}

/* What making freed pages inaccessible at once (KEPT) costs a free and a reuse. */
static void bench_kept(void)
{
	uint64_t fb, ab, fu, au;

	run_costs(true, &fb, &ab);
	kheap_scavenge(SIZE_MAX);		/* the kept frames go: the next run is AOW */
	run_costs(false, &fu, &au);
	kprintf("bench: 16-page run, every page backed: kfree %llu, kmalloc (reuse) %llu instructions; "
		"never written: %llu, %llu; more a backed page than never written: %llu on the free, "
		"%llu on the reuse",
		(unsigned long long)fb, (unsigned long long)ab, (unsigned long long)fu,
		(unsigned long long)au, (unsigned long long)(fb - fu) / 16,
		(unsigned long long)(ab - au) / 16);
}

/*
 * The warm pair at each debug level (heapcheck=, docs/debugging.md):
 * level 0 is the magazine hit above; from 1 every call takes the heap
 * lock twice and writes and checks its canary and poison.
 */
static void bench_levels(void)
{
	static const size_t sizes[] = { 16, 256, 4096 };

	for (unsigned l = 0; l <= 3; l++) {
		uint64_t c[ARRAY_SIZE(sizes)];

		kheap_set_check(l);
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
			c[i] = pair_cost(sizes[i]);
		kprintf("bench: heapcheck=%u: pair 16 bytes %llu, 256 bytes %llu, 4096 bytes %llu "
			"instructions", l, (unsigned long long)c[0], (unsigned long long)c[1],
			(unsigned long long)c[2]);
	}
	kheap_set_check(0);
}

/* n warm pairs of size bytes, in all. */
static uint64_t pairs_total(size_t size, int n)
{
	uint64_t t0;

	for (int i = 0; i < 100; i++)
		kfree(kmalloc(size));
	t0 = rdtsc();
	for (int i = 0; i < n; i++)
		kfree(kmalloc(size));
	return rdtsc() - t0;
}

#define SAMPLE_PAIRS 20000

/*
 * What the sampled guarded blocks cost at level 0 (heapsample=,
 * docs/debugging.md "Guarded blocks"), per 1000 pairs, against the same
 * pairs with heapsample=0: a pair that takes a slow path (8192 bytes, a
 * slab class above MAG_MAX_SIZE; 64 bytes with the magazines off) counts
 * toward the next sample and pays one guarded pair in N; a magazine hit
 * counts nothing.
 */
static void bench_sample(void)
{
	static const size_t sizes[] = { 8192, 64, 64 };
	unsigned rate = kheap_sample();
	uint64_t on[3], off[3];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		mag_set_enabled(i != 1);
		kheap_set_sample(rate);
		on[i] = pairs_total(sizes[i], SAMPLE_PAIRS) / (SAMPLE_PAIRS / 1000);
		kheap_set_sample(0);
		off[i] = pairs_total(sizes[i], SAMPLE_PAIRS) / (SAMPLE_PAIRS / 1000);
	}
	mag_set_enabled(true);
	kheap_set_sample(rate);
	kprintf("bench: heapsample=%u at heapcheck=0, instructions per 1000 pairs (heapsample=0 in "
		"brackets): 8192 bytes %llu (%llu), 64 bytes with the magazines off %llu (%llu), "
		"64 bytes magazine hits %llu (%llu)", rate, (unsigned long long)on[0],
		(unsigned long long)off[0], (unsigned long long)on[1], (unsigned long long)off[1],
		(unsigned long long)on[2], (unsigned long long)off[2]);
}

#define BURST 1000

/* BURST kmallocs then BURST kfrees of one size: misses and depot exchanges, per pair. */
static uint64_t burst_cost(size_t size, struct mag_stats *d)
{
	static void *b[BURST];
	struct mag_stats m0;
	uint64_t t0, t;

	for (int i = 0; i < BURST; i++)		/* warm: slabs and magazines exist */
		b[i] = kmalloc(size);
	for (int i = 0; i < BURST; i++)
		kfree(b[i]);
	mag_stats(&m0);
	t0 = rdtsc();
	for (int r = 0; r < 10; r++) {
		for (int i = 0; i < BURST; i++)
			b[i] = kmalloc(size);
		for (int i = 0; i < BURST; i++)
			kfree(b[i]);
	}
	t = rdtsc() - t0;
	mag_stats(d);
	d->alloc_misses -= m0.alloc_misses;
	d->free_misses -= m0.free_misses;
	return t / (10 * BURST);
}

static void bench_bursts(void)
{
	static const size_t sizes[] = { 16, 256, 1024 };
	struct mag_stats d;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t c = burst_cost(sizes[i], &d);

		kprintf("bench: burst of %d pairs of %zu bytes: %llu instructions per pair, "
			"%llu kmalloc and %llu kfree misses in %d", BURST, sizes[i],
			(unsigned long long)c, (unsigned long long)d.alloc_misses,
			(unsigned long long)d.free_misses, 10 * BURST);
	}
}

/* Each stress workload (no balloon): the share of its kmallocs and kfrees the magazines served. */
static void bench_hit_rates(void)
{
	for (unsigned i = 0; stress_workload(i); i++) {
		struct mag_stats a, b;
		uint64_t ah, am, fh, fm;

		mag_stats(&a);
		stress_run(stress_workload(i), 7, 5000, "off", 1);
		mag_stats(&b);
		ah = b.alloc_hits - a.alloc_hits, am = b.alloc_misses - a.alloc_misses;
		fh = b.free_hits - a.free_hits, fm = b.free_misses - a.free_misses;
		kprintf("bench: stress %s: magazine hits %llu of %llu kmalloc, %llu of %llu kfree "
			"(cached classes)", stress_workload(i), (unsigned long long)ah,
			(unsigned long long)(ah + am), (unsigned long long)fh,
			(unsigned long long)(fh + fm));
	}
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

/* FPAGES first writes to fresh AOW pages at p, per fault. */
static uint64_t write_faults(volatile uint8_t *p)
{
	uint64_t t0 = rdtsc();

	for (int i = 0; i < FPAGES; i++)
		p[i * PAGE_SIZE] = 1;
	return (rdtsc() - t0) / FPAGES;
}

/*
 * The write fault with every frame pre-zeroed (FPAGES of them zeroed
 * first), and how many of the faults found one.
 */
static uint64_t write_faults_prezeroed(uint64_t *found)
{
	struct kheap_stats a, b;
	volatile uint8_t *p;
	uint64_t c;

	kheap_scavenge(SIZE_MAX);
	frame_set_zeroed_limit(FRAME_ZEROED_MAX);
	frame_zero_ahead(FPAGES);
	p = kmalloc(FPAGES * PAGE_SIZE);
	kheap_stats(&a);
	c = write_faults(p);
	kheap_stats(&b);
	*found = b.faults_prezeroed - a.faults_prezeroed;
	kfree((void *)p);
	return c;
}

static void bench_faults(void)
{
	volatile uint8_t *p;
	uint64_t t0, write_aow, read_aow, write_zero, zeroing, prezeroed, found;
	unsigned sink = 0;

	frame_set_zeroed_limit(0);		/* no pre-zeroed frames: each fault zeroes */
	kheap_scavenge(SIZE_MAX);
	p = kmalloc(FPAGES * PAGE_SIZE);
	write_aow = write_faults(p);
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
	write_zero = write_faults(p);
	kfree((void *)p);
	prezeroed = write_faults_prezeroed(&found);
	frame_set_zeroed_limit(0);
	kprintf("bench: write fault AOW->PRESENT: %llu instructions, %llu without the zeroing (%llu)",
		(unsigned long long)write_aow, (unsigned long long)(write_aow - zeroing),
		(unsigned long long)zeroing);
	kprintf("bench: write fault AOW->PRESENT on a pre-zeroed frame: %llu instructions in all "
		"(%llu of %d faults found one)", (unsigned long long)prezeroed,
		(unsigned long long)found, FPAGES);
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
	mag_set_enabled(false);			/* they would cache the one-page slabs' objects */
	for (int i = 0; i < 2 * RUNS; i++) {
		pg[i] = kmalloc(PAGE_SIZE);
		if (pg[i])
			*(volatile uint8_t *)pg[i] = 1;
	}
	for (int i = 0; i < 2 * RUNS; i += 2)
		kfree(pg[i]);			/* 10000 one-page free runs, all resident */
	mag_set_enabled(true);
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
	unsigned rate = kheap_sample();

	kheap_set_sample(0);	/* a quarantined guarded block keeps its commitment, not its frames */
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
	kheap_set_sample(rate);
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

/*
 * Each stress workload (src/stress.c), short and under the wave balloon:
 * the scavenger's passes, those skipped because they could release
 * nothing, pages released, and instructions spent in passes.  Last: it
 * leaves the heap fragmented.
 */
static void bench_workloads(void)
{
	const char *w;

	for (unsigned i = 0; (w = stress_workload(i)); i++) {
		struct scav_stats s0, s1;
		struct kheap_stats h0, h1;
		uint64_t passes = 0;
		int failed;

		scavenge_stats(&s0);
		kheap_stats(&h0);
		failed = stress_run(w, 7, 2000, "wave", 1);
		kheap_stats(&h1);
		scavenge_stats(&s1);
		for (int t = 0; t < SCAV_TRIGGERS; t++)
			passes += s1.passes[t] - s0.passes[t];
		kprintf("bench: workload %s: %llu passes, %llu skipped, %llu pages released, "
			"%llu instructions in passes%s", w, (unsigned long long)passes,
			(unsigned long long)(s1.skipped_dry - s0.skipped_dry),
			(unsigned long long)(s1.pages_released - s0.pages_released),
			(unsigned long long)(s1.cycles - s0.cycles), failed ? " (the run FAILED)" : "");
		kprintf("bench: workload %s: %llu write faults, %llu of them on a pre-zeroed frame", w,
			(unsigned long long)(h1.faults_write_aow + h1.faults_write_zero -
					     h0.faults_write_aow - h0.faults_write_zero),
			(unsigned long long)(h1.faults_prezeroed - h0.faults_prezeroed));
	}
}

void bench_run(void)
{
	kprintf("bench: begin (guest instructions; meaningful under QEMU -icount shift=0)");
	frame_set_zeroed_limit(0);	/* no pre-zeroing in the tick of the micro-benchmarks */
	bench_calibrate();
	if (smp_ncpus() > 1) {		/* the one-CPU figures come from a boot with one */
		bench_smp();
		kprintf("bench: end");
		return;
	}
	bench_pairs();
	bench_kept();
	bench_levels();
	bench_sample();
	bench_bursts();
	bench_scaling();
	bench_faults();
	bench_scavenger();
	bench_fragmentation();
	bench_hysteresis();
	bench_frames();
	frame_set_zeroed_limit(FRAME_ZEROED_MAX);	/* the workloads run as a kernel does */
	bench_hit_rates();
	bench_workloads();
	kprintf("bench: end");
}
