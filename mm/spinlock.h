/*
 * Spinlocks: ticket-ordered, and each saves and restores the interrupt
 * flag, so a lock is never held with interrupts on and an interrupt
 * handler on the holder's CPU cannot spin on it.
 *
 * Promises: CPUs get a contended lock in the order they asked (tickets).
 * spin_held says whether *this* CPU holds the lock, in every build (the
 * fault path needs it).  Debug builds (MM_DEBUG) panic, naming both locks
 * where two are involved, on taking a lock this CPU already holds, on
 * releasing one it does not hold, and on taking a lock out of the lock
 * order: a CPU may take a lock only while every lock it holds comes
 * earlier in the order (enum lock_rank; docs/heap.md, "Lock order", is
 * the one statement of it).  spin_order_problem is that check, pure, for
 * the host tests.
 *
 * Context: any, interrupts on or off; never sleeps.  A waiter calls
 * platform_spin_wait() between polls (the kernel answers TLB shootdowns
 * there, so a CPU spinning with interrupts off still acknowledges).
 */
#ifndef MM_SPINLOCK_H
#define MM_SPINLOCK_H

#include "mm/platform.h"

/*
 * The lock order, earliest first, one lock to a rank; docs/heap.md lists
 * the same.  LOCK_NAMES is the names in that order.
 */
enum lock_rank {
	LOCK_HEAP = 1,		/* mm/heap_int.h: the core, the depot */
	LOCK_FAULT,		/* mm/heapfault.c: demand faults on heap pages */
	LOCK_FRAME,		/* mm/frame.c: the frame allocator */
	LOCK_TRACE,		/* mm/trace.c: a trace line's number and its output */
	LOCK_LOG,		/* src/log.c: one whole line to the debug port */
	LOCK_NRANKS
};
#define LOCK_NAMES { "(none)", "heap", "fault", "frame", "trace", "log" }

struct spinlock {
	uint32_t next, serving;		/* tickets: the next to hand out, the one served */
	int32_t cpu;			/* holder's cpu_id(), -1 when free */
	uint32_t rank;			/* enum lock_rank */
	uint64_t spins;			/* polls spent waiting, all CPUs (figures; lock held) */
	uint64_t spin_cycles;		/* cycles() between waiters' polls (mm/spinlock.c) */
};

#define SPINLOCK_INIT(rk) { 0, 0, -1, (rk), 0, 0 }

const char *spin_name(const struct spinlock *l);

/* The one debug check of a take: NULL when cpu, holding the ranks in held, may take l. */
const char *spin_order_problem(const struct spinlock *l, unsigned cpu, uint32_t held,
			       char *buf, size_t len);
void spin_debug_take(struct spinlock *l);
void spin_debug_release(struct spinlock *l);
/* The contended path of spin_lock: poll until ticket t is served, counting. */
void spin_wait_turn(struct spinlock *l, uint32_t t);

static inline bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->cpu, __ATOMIC_RELAXED) == (int32_t)cpu_id();
}

static inline unsigned long spin_lock(struct spinlock *l)
{
	unsigned long f = irq_save();
	uint32_t t;

	if (MM_DEBUG)
		spin_debug_take(l);
	t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != t)
		spin_wait_turn(l, t);		/* contended: mm/spinlock.c */
	l->cpu = (int32_t)cpu_id();
	return f;
}

static inline void spin_unlock(struct spinlock *l, unsigned long flags)
{
	if (MM_DEBUG)
		spin_debug_release(l);
	l->cpu = -1;
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
	irq_restore(flags);
}

#endif
