/*
 * The debug side of mm/spinlock.h: each CPU's held locks as a mask of
 * ranks, checked on every take and release.  A CPU touches only its own
 * mask, with interrupts off (spin_lock has saved them), so no lock
 * guards the masks.  The switch from one CPU to several
 * (spin_smp_begin), written once, on the boot CPU.  And the contended
 * path, spin_wait_turn, which counts what waiting costs
 * (docs/benchmarks.md, the SMP figures).
 */
#include "mm/spinlock.h"

bool spin_smp;
static uint32_t held_ranks[CPU_MAX];
static const char *const names[] = LOCK_NAMES;

_Static_assert(ARRAY_SIZE(names) == LOCK_NRANKS, "a name for every rank");

const char *spin_name(const struct spinlock *l)
{
	return l->rank < LOCK_NRANKS ? names[l->rank] : "(bad rank)";
}

const char *spin_order_problem(const struct spinlock *l, unsigned cpu, uint32_t held,
			       char *buf, size_t len)
{
	uint32_t later = held & ~((1u << l->rank) - 1);	/* held ranks >= l's */

	if (l->cpu == (int32_t)cpu) {
		snprintf(buf, len, "spinlock %s taken again on cpu %u, which holds it", spin_name(l), cpu);
		return buf;
	}
	if (!later)
		return NULL;
	snprintf(buf, len, "lock order: cpu %u takes %s while holding %s, which comes after it",
		 cpu, spin_name(l), names[31 - __builtin_clz(later)]);
	return buf;
}

void spin_debug_take(struct spinlock *l)
{
	unsigned cpu = cpu_id();
	char buf[128];
	const char *why = spin_order_problem(l, cpu, held_ranks[cpu], buf, sizeof(buf));

	if (why)
		panic("%s", why);
	if (!spin_smp && cpu != 0)	/* a CPU started before spin_smp_begin: no tickets yet */
		panic("spinlock %s taken on cpu %u before spin_smp_begin", spin_name(l), cpu);
	held_ranks[cpu] |= 1u << l->rank;
}

void spin_debug_release(struct spinlock *l)
{
	unsigned cpu = cpu_id();

	if (l->cpu != (int32_t)cpu)
		panic("spinlock %s released on cpu %u; its holder is %s %d", spin_name(l), cpu,
		      l->cpu < 0 ? "nobody," : "cpu", (int)l->cpu);
	held_ranks[cpu] &= ~(1u << l->rank);
}

const char *spin_smp_problem(uint32_t held, char *buf, size_t len)
{
	if (!held)
		return NULL;
	snprintf(buf, len, "spinlock %s held without a ticket while other CPUs start",
		 names[31 - __builtin_clz(held)]);
	return buf;
}

void spin_smp_begin(void)
{
	char buf[96];

	if (MM_DEBUG && spin_smp_problem(held_ranks[cpu_id()], buf, sizeof(buf)))
		panic("%s", buf);
	__atomic_store_n(&spin_smp, true, __ATOMIC_RELEASE);
}

/*
 * A gap between two polls this long means this CPU did not run between
 * them (an interrupt, or an emulator running another CPU's slice): not
 * counted as polling.  A poll is a few instructions or cycles.
 */
#define SPIN_GAP 4096

/*
 * Poll until ticket t is served.  The counts are added once the lock is
 * ours, so they need no atomics: polls, and the cycles() that passed
 * between them, a gap over SPIN_GAP left out.  On hardware that is the
 * waiter's own cycles; under QEMU -icount's round robin, where each pause
 * hands over to the next CPU, it is every CPU's instructions meanwhile
 * (src/bench_smp.c says how it reads them).
 */
void spin_wait_turn(struct spinlock *l, uint32_t t)
{
	uint64_t n = 0, spent = 0, prev = cycles();

	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != t) {
		uint64_t now;

		n++;
		platform_spin_wait();
		now = cycles();
		spent += now - prev < SPIN_GAP ? now - prev : 0;
		prev = now;
	}
	l->spins += n;
	l->spin_cycles += spent;
}
