/*
 * The SMP figures of bench (docs/benchmarks.md), run when the kernel has
 * more than one CPU (scripts/bench boots QEMU -smp 4 -icount shift=0 for
 * them).  QEMU then runs the CPUs round robin in one thread, each for a
 * slice of instructions, and rdtsc counts the instructions of all of
 * them: a time taken across a slice switch includes the other CPUs'
 * slices.  So a CPU's own cost is measured in short batches, and a
 * batch that spans a switch (over BATCH_GAP) is left out and counted.
 *
 * The figures: the 64-byte pair (a magazine hit) on each CPU while all
 * allocate, against the same pair on one CPU while the others idle; the
 * heap lock's polls and spin instructions per 1,000 kmalloc/kfree calls
 * while all CPUs run pairs that take it; and a scavenger pass's cost per
 * page released and per pass, TLB shootdowns included.
 *
 * Context: bench only, on the boot CPU; the application processors run
 * what on_all gives them and are idle otherwise.
 */
#include "src/bench.h"
#include "src/smp.h"
#include "src/lib.h"
#include "src/log.h"
#include "mm/kheap.h"
#include "mm/scavenge.h"
#include "mm/magazine.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tlb.h"

#define BATCH 10		/* pairs timed at once */
#define BATCHES 20000		/* per CPU: spans many of QEMU's slices */
#define BATCH_GAP 50000		/* a batch longer than this spanned another CPU's slice */
#define LOCK_PAIRS 20000	/* per CPU, for the heap lock's figures */
#define RUNS 10000

struct cpu_fig {
	uint64_t ticks, pairs, gaps;
};

static struct cpu_fig fig[CPU_MAX];
static size_t pair_size;
static unsigned ncpu, arrived;
static volatile uint64_t poll_sink;	/* poll_cost's sum, kept as the real loop keeps it */

/* Every CPU waits here until all have come: the work starts together. */
static void all_arrive(void)
{
	__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < ncpu)
		__asm__ volatile("pause");
}

/* fn on every CPU at once: the application processors', then the boot CPU's. */
static void on_all(void (*fn)(void *))
{
	arrived = 0;
	for (unsigned c = 1; c < ncpu; c++)
		if (!smp_call(c, fn, &fig[c]))
			panic("bench: cpu %u would not take its work", c);
	fn(&fig[0]);
	for (unsigned c = 1; c < ncpu; c++)
		smp_wait(c);
}

/* This CPU's pair cost in batches; the batches that spanned a slice switch left out. */
static void timed_pairs(void *arg)
{
	struct cpu_fig *f = arg;

	for (int i = 0; i < 100; i++)		/* warm: this CPU's magazine has objects */
		kfree(kmalloc(pair_size));
	all_arrive();
	memset(f, 0, sizeof(*f));
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t = rdtsc();

		for (int i = 0; i < BATCH; i++)
			kfree(kmalloc(pair_size));
		t = rdtsc() - t;
		if (t > BATCH_GAP) {
			f->gaps++;
			continue;
		}
		f->ticks += t;
		f->pairs += BATCH;
	}
}

static uint64_t per_pair(const struct cpu_fig *f)
{
	return f->pairs ? f->ticks / f->pairs : 0;
}

/* The 64-byte pair alone on the boot CPU, then on every CPU at once. */
static void bench_pairs_all(void)
{
	char line[160];
	size_t len = 0;
	uint64_t alone, worst = 0, gaps = 0;

	pair_size = 64;
	arrived = ncpu - 1;			/* the boot CPU alone: no one else to wait for */
	timed_pairs(&fig[0]);
	alone = per_pair(&fig[0]);
	on_all(timed_pairs);
	for (unsigned c = 0; c < ncpu; c++) {
		len += snprintf(line + len, sizeof(line) - len, "%scpu %u %llu", c ? ", " : "", c,
				(unsigned long long)per_pair(&fig[c]));
		worst = MAX(worst, per_pair(&fig[c]));
		gaps += fig[c].gaps;
	}
	kprintf("bench: smp %u CPUs: pair 64 bytes (magazine hit) while all allocate: %s "
		"instructions; alone %llu; worst/alone %llu.%02llu (%llu of %u batches of %d spanned "
		"a slice switch, left out)", ncpu, line, (unsigned long long)alone,
		(unsigned long long)(alone ? worst / alone : 0),
		(unsigned long long)(alone ? worst * 100 / alone % 100 : 0),
		(unsigned long long)gaps, ncpu * BATCHES, BATCH);
}

/* LOCK_PAIRS pairs of pair_size on this CPU, all CPUs together. */
static void lock_pairs(void *arg)
{
	(void)arg;
	all_arrive();
	for (int i = 0; i < LOCK_PAIRS; i++)
		kfree(kmalloc(pair_size));
}

/*
 * One poll's own instructions: the body of spin_wait_turn's loop (a load,
 * platform_spin_wait, cycles()) on the boot CPU while the others idle.
 * Under round robin each pause yields to the next CPU, so the cycles a
 * waiter sees between polls include the other CPUs' work; its own are
 * its polls times this.
 */
static uint64_t poll_cost(void)
{
	static uint32_t never;
	uint64_t n = 0, prev = cycles(), spent = 0, t0 = rdtsc();

	for (int i = 0; i < 1000; i++) {
		uint64_t now;

		n += __atomic_load_n(&never, __ATOMIC_ACQUIRE) != 1;
		platform_spin_wait();
		now = cycles();
		spent += now - prev < 4096 ? now - prev : 0;
		prev = now;
	}
	poll_sink = spent;
	return (rdtsc() - t0) / (n ? n : 1);
}

/*
 * The heap lock's polls per 1,000 kmalloc/kfree calls while every CPU
 * runs pairs; the waiters' own instructions (polls times one poll's);
 * and the machine's instructions while they polled (the lock's
 * spin_cycles: on hardware, the waiters' cycles).
 */
static void bench_lock(size_t size, const char *what, uint64_t per_poll)
{
	uint64_t s0 = kheap_lock_spins(), c0 = kheap_lock_spin_cycles(), s, c;
	uint64_t calls = 2ull * LOCK_PAIRS * ncpu;

	pair_size = size;
	on_all(lock_pairs);
	s = kheap_lock_spins() - s0;
	c = kheap_lock_spin_cycles() - c0;
	kprintf("bench: smp %u CPUs: heap lock under pairs of %zu bytes (%s), per 1000 kmalloc/kfree "
		"calls: %llu polls, %llu spin instructions (%llu a poll), %llu instructions run while "
		"waiting (%llu calls)", ncpu, size, what, (unsigned long long)(s * 1000 / calls),
		(unsigned long long)(s * per_poll * 1000 / calls), (unsigned long long)per_poll,
		(unsigned long long)(c * 1000 / calls), (unsigned long long)calls);
}

/* One scavenger pass over n resident one-page free runs: its instructions, pages and shootdowns. */
static void scavenge_runs(int n, uint64_t *t, size_t *released, struct tlb_stats *d)
{
	static void *pg[2 * RUNS];
	struct tlb_stats a, b;

	kheap_scavenge(SIZE_MAX);
	mag_set_enabled(false);			/* they would cache the one-page slabs' objects */
	for (int i = 0; i < 2 * n; i++)
		if ((pg[i] = kmalloc(PAGE_SIZE)))
			*(volatile uint8_t *)pg[i] = 1;
	for (int i = 0; i < 2 * n; i += 2)
		kfree(pg[i]);
	mag_set_enabled(true);
	tlb_get_stats(&a);
	*t = rdtsc();
	*released = kheap_scavenge(SIZE_MAX);
	*t = rdtsc() - *t;
	tlb_get_stats(&b);
	d->shootdowns = b.shootdowns - a.shootdowns;
	d->cycles = b.cycles - a.cycles;
	for (int i = 1; i < 2 * n; i += 2)
		kfree(pg[i]);
}

/* The pass's cost with the other CPUs idle: per page over RUNS runs, and a pass of one page. */
static void bench_shootdown(void)
{
	struct tlb_stats big, one;
	uint64_t tb, t1;
	size_t rb, r1;

	scavenge_runs(RUNS, &tb, &rb, &big);
	scavenge_runs(1, &t1, &r1, &one);
	kprintf("bench: smp %u CPUs: scavenger pass over %d free runs: %llu instructions, %zu pages "
		"released, %llu per page; %llu shootdowns, %llu instructions in them (%llu.%02llu per "
		"page)", ncpu, RUNS, (unsigned long long)tb, rb, (unsigned long long)(rb ? tb / rb : 0),
		(unsigned long long)big.shootdowns, (unsigned long long)big.cycles,
		(unsigned long long)(rb ? big.cycles / rb : 0),
		(unsigned long long)(rb ? big.cycles * 100 / rb % 100 : 0));
	kprintf("bench: smp %u CPUs: scavenger pass releasing %zu page: %llu instructions; "
		"%llu shootdowns, %llu instructions in them", ncpu, r1, (unsigned long long)t1,
		(unsigned long long)one.shootdowns, (unsigned long long)one.cycles);
}

void bench_smp(void)
{
	uint64_t per_poll;

	ncpu = smp_ncpus();
	per_poll = poll_cost();
	kprintf("bench: smp: %u CPUs, QEMU runs them round robin under -icount", ncpu);
	bench_pairs_all();
	bench_lock(64, "magazine hits", per_poll);
	bench_lock(8192, "slab, no magazine", per_poll);	/* above MAG_MAX_SIZE */
	bench_lock(16384, "page runs", per_poll);
	bench_shootdown();
}
