/*
 * The spinlock's debug check (mm/spinlock.h): the lock order and
 * re-entry, each rule shown to reject its case and to name both locks;
 * and a take and release on the host's one CPU.
 */
#include <stdio.h>
#include <string.h>
#include "tests/ktest.h"
#include "mm/spinlock.h"

TEST(spinlock_order_allows_earlier_then_later)
{
	struct spinlock frame = SPINLOCK_INIT(LOCK_FRAME);
	char buf[128];

	CHECK(!spin_order_problem(&frame, 0, 0, buf, sizeof(buf)));
	CHECK(!spin_order_problem(&frame, 0, 1u << LOCK_HEAP, buf, sizeof(buf)));
}

TEST(spinlock_order_violation_names_both_locks)
{
	struct spinlock heap = SPINLOCK_INIT(LOCK_HEAP);
	char buf[128];
	const char *why = spin_order_problem(&heap, 3, 1u << LOCK_FRAME, buf, sizeof(buf));

	CHECK(why);
	CHECKF(strstr(why, "cpu 3 takes heap while holding frame"), "%s", why);
}

TEST(spinlock_reentry_is_named)
{
	struct spinlock heap = SPINLOCK_INIT(LOCK_HEAP);
	char buf[128];
	const char *why;

	heap.cpu = 2;
	why = spin_order_problem(&heap, 2, 1u << LOCK_HEAP, buf, sizeof(buf));
	CHECK(why);
	CHECKF(strstr(why, "spinlock heap taken again on cpu 2"), "%s", why);
	CHECK(!spin_order_problem(&heap, 1, 0, buf, sizeof(buf)));	/* another CPU's: it waits */
}

/* One CPU (spin_smp false): the holder is recorded, the ticket left alone. */
TEST(spinlock_take_and_release_alone)
{
	struct spinlock l = SPINLOCK_INIT(LOCK_FRAME);
	bool was = spin_smp;
	unsigned long f;

	spin_smp = false;
	CHECK(!spin_held(&l));
	f = spin_lock(&l);
	CHECK(spin_held(&l) && l.next == 0 && l.serving == 0);
	spin_unlock(&l, f);
	CHECK(!spin_held(&l) && l.next == 0 && l.serving == 0 && l.spins == 0);
	spin_smp = was;
}

/* Several CPUs (spin_smp true): a ticket each time. */
TEST(spinlock_take_and_release_with_tickets)
{
	struct spinlock l = SPINLOCK_INIT(LOCK_FRAME);
	bool was = spin_smp;
	unsigned long f;

	spin_smp = true;
	f = spin_lock(&l);
	CHECK(spin_held(&l) && l.next == 1 && l.serving == 0);
	spin_unlock(&l, f);
	CHECK(!spin_held(&l) && l.next == 1 && l.serving == 1 && l.spins == 0);
	spin_smp = was;
}

TEST(spinlock_smp_begin_refused_while_a_lock_is_held)
{
	char buf[96];
	const char *why = spin_smp_problem(1u << LOCK_HEAP | 1u << LOCK_FRAME, buf, sizeof(buf));

	CHECK(why);
	CHECKF(strstr(why, "spinlock frame held without a ticket"), "%s", why);
	CHECK(!spin_smp_problem(0, buf, sizeof(buf)));
}

/* Two arenas share the rank vmem: a second arena lock while one is held is refused. */
TEST(spinlock_two_arena_locks_at_once_are_refused)
{
	struct spinlock a = SPINLOCK_INIT(LOCK_VMEM);
	char buf[128];
	const char *why = spin_order_problem(&a, 1, 1u << LOCK_VMEM, buf, sizeof(buf));

	CHECK(why);
	CHECKF(strstr(why, "cpu 1 takes vmem while holding vmem"), "%s", why);
}

/* With tickets (more than one CPU may run): free means no holder and no waiter. */
static bool trylock_with_tickets(void)
{
	struct spinlock l = SPINLOCK_INIT(LOCK_OWNER);
	unsigned long f, g;
	bool ok;

	if (!spin_trylock(&l, &f))
		return false;
	ok = spin_held(&l) && l.next == 1;
	ok = ok && !spin_trylock(&l, &g) && l.next == 1;	/* held: no wait, no second take */
	spin_unlock(&l, f);
	l.next++;				/* a waiter's ticket: not free, though nobody holds it */
	return ok && !spin_trylock(&l, &g) && !spin_held(&l);
}

/* Before spin_smp_begin (one CPU, no tickets): free means no holder, and a try takes no ticket. */
static bool trylock_on_one_cpu(void)
{
	struct spinlock l = SPINLOCK_INIT(LOCK_OWNER);
	unsigned long f, g;
	bool ok;

	if (!spin_trylock(&l, &f))
		return false;
	ok = spin_held(&l) && !spin_trylock(&l, &g);
	spin_unlock(&l, f);
	if (!ok || spin_held(&l) || !spin_trylock(&l, &f))	/* free again after the unlock */
		return false;
	spin_unlock(&l, f);
	return l.next == 0 && l.serving == 0;
}

TEST(spinlock_trylock_takes_a_free_lock_only)
{
	bool smp = spin_smp;

	spin_smp = true;
	CHECKF(trylock_with_tickets(), "with tickets");
	spin_smp = false;
	CHECKF(trylock_on_one_cpu(), "on one CPU");
	spin_smp = smp;
}

/* docs/heap.md, "Lock order", names the ranks of enum lock_rank in its order. */
TEST(spinlock_order_is_the_one_in_heap_md)
{
	static const char *const names[] = LOCK_NAMES;
	char line[256], want[64];
	unsigned rank = 1;
	bool in = false;
	FILE *f = fopen("docs/heap.md", "r");

	CHECK(f);
	while (fgets(line, sizeof(line), f) && rank < LOCK_NRANKS) {
		if (!strncmp(line, "### ", 4))
			in = !strcmp(line, "### Lock order\n");
		snprintf(want, sizeof(want), "%u. `%s`", rank, names[rank]);
		if (in && !strncmp(line, want, strlen(want)))
			rank++;
	}
	fclose(f);
	CHECKF(rank == LOCK_NRANKS, "docs/heap.md's lock order lacks \"%u. `%s`\" (or has it out of "
	       "order)", rank, rank < LOCK_NRANKS ? names[rank] : "");
}
