/*
 * Spinlocks: ticket-ordered, and each saves and restores the interrupt
 * flag, so a lock is never held with interrupts on and an interrupt
 * handler on the holder's CPU cannot spin on it.
 *
 * Promises: CPUs get a contended lock in the order they asked (tickets).
 * spin_held says whether *this* CPU holds the lock (where threads share
 * one CPU number, this thread: irq_lock_mine below), in every build (the
 * fault path needs it).  Debug builds (MM_DEBUG) panic, naming both locks
 * where two are involved, on taking a lock this CPU already holds, on
 * releasing one it does not hold, and on taking a lock out of the lock
 * order: a CPU may take a lock only while every lock it holds comes
 * earlier in the order (enum lock_rank; docs/heap.md, "Lock order", is
 * the one statement of it).  spin_order_problem is that check, pure, for
 * the host tests.
 *
 * One CPU: until the platform calls spin_smp_begin() (before it starts a
 * second CPU) no other CPU can run, so a take and a release skip the
 * ticket: they save and restore the interrupt flag, record the holder and
 * make the debug checks as ever, and touch neither next nor serving.
 * spin_smp_begin() turns tickets on for good; it must be called with no
 * lock held on the boot CPU (debug builds panic otherwise, naming the
 * lock), so no lock taken without a ticket is ever released with one, and
 * no second CPU ever finds a lock held without one (docs/smp.md).
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
	LOCK_VMALLOC = 1,	/* src/vmalloc.c: the area table, a whole vmalloc or vfree */
	LOCK_KSTACK,		/* src/kstack.c: a kstack_free's check and clearing */
	LOCK_IOREMAP,		/* src/ioremap.c: an iounmap's check and clearing */
	LOCK_VMEM_REFILL,	/* mm/vmem_tag.c: one tag refill at a time */
	LOCK_PTABLE,		/* arch/x86/mmu_32.c, mmu_64.c: making a page table */
	LOCK_HEAP,		/* mm/heap_int.h: the core, the depot */
	LOCK_VMEM,		/* mm/vmem.c: one arena (never two at once) */
	LOCK_VMEM_TAGS,		/* mm/vmem_tag.c, mm/vmem.c: the tag pool, the arena slots */
	LOCK_OWNER,		/* mm/owner.c: the owner index and its node pool */
	LOCK_VMFAULT,		/* src/vmalloc.c: demand faults on vmalloc pages */
	LOCK_FRAME,		/* mm/frame.c: the frame allocator */
	LOCK_REPORT,		/* mm/heapreport.c: the last misuse report */
	LOCK_TRACE,		/* mm/trace.c: a trace line's number and its output */
	LOCK_LOG,		/* src/log.c: one whole line to the debug port */
	LOCK_NRANKS
};
#define LOCK_NAMES { "(none)", "vmalloc", "kstack", "ioremap", "vmem refill", "page table", \
		     "heap", "vmem", "vmem tags", "owner", "vmalloc fault", "frame", \
		     "report", "trace", "log" }

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

/* More than one CPU may run (spin_smp_begin was called): tickets are taken. */
extern bool spin_smp;
/*
 * From now on other CPUs may take locks: the platform calls it on the
 * boot CPU, holding no lock, before it starts the first other CPU.
 */
void spin_smp_begin(void);
/* Its debug check, pure: NULL when a CPU holding the ranks in held may call it. */
const char *spin_smp_problem(uint32_t held, char *buf, size_t len);

/*
 * Where threads share one CPU number and "interrupts off" is a lock
 * among them (libkheap), a lock recorded on this CPU may be another
 * thread's: the glue's irq_lock_mine() says whether the caller holds the
 * interrupts-off lock, without which it holds no spinlock.  Elsewhere the
 * CPU a lock is recorded on is the caller's.
 */
#ifndef irq_lock_mine
#define irq_lock_mine() true
#endif

static inline bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->cpu, __ATOMIC_RELAXED) == (int32_t)cpu_id() && irq_lock_mine();
}

/* The ticket's half of a take: wait for our turn. */
static inline void spin_take_ticket(struct spinlock *l)
{
	uint32_t t;

	t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != t)
		spin_wait_turn(l, t);		/* contended: mm/spinlock.c */
}

/*
 * The take and release of a caller whose interrupts are off already (the
 * heap's fault path: mm/heapfault.h), with no flag to save or restore;
 * spin_lock and spin_unlock are these inside irq_save and irq_restore.
 */
static inline void spin_lock_irqs_off(struct spinlock *l)
{
	if (MM_DEBUG)
		spin_debug_take(l);
	if (spin_smp)
		spin_take_ticket(l);
	l->cpu = (int32_t)cpu_id();
}

static inline void spin_unlock_irqs_off(struct spinlock *l)
{
	if (MM_DEBUG)
		spin_debug_release(l);
	l->cpu = -1;
	if (spin_smp)
		__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

static inline unsigned long spin_lock(struct spinlock *l)
{
	unsigned long f = irq_save();

	spin_lock_irqs_off(l);
	return f;
}

static inline void spin_unlock(struct spinlock *l, unsigned long flags)
{
	spin_unlock_irqs_off(l);
	irq_restore(flags);
}

/*
 * Take l if it is free, without waiting; true if taken (*flags as for
 * spin_unlock).  For report paths that must not wait (a fault handler
 * whose CPU may hold l, a CPU stopped while holding it): a try never
 * waits, so it takes no part in a deadlock and the order check does not
 * apply; debug builds do not enter it in the CPU's held mask.
 */
static inline bool spin_trylock(struct spinlock *l, unsigned long *flags)
{
	unsigned long f = irq_save();
	uint32_t t = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	bool taken = spin_smp ? __atomic_compare_exchange_n(&l->next, &t, t + 1, false,
							   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
			      : l->cpu == -1;	/* one CPU, interrupts off: no holder, no waiter */

	if (!taken) {
		irq_restore(f);
		return false;
	}
	l->cpu = (int32_t)cpu_id();
	*flags = f;
	return true;
}

#endif
