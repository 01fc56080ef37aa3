/*
 * The spinlock's debug check (mm/spinlock.h): the lock order and
 * re-entry, each rule shown to reject its case and to name both locks;
 * and a take and release on the host's one CPU.
 */
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
