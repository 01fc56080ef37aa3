/*
 * The magazine hits' restartable sections (arch/x86/restart.h), in the
 * kernel.  kmalloc(16) and kfree are single-stepped (TF, #DB through
 * trap_set_debug_hook):
 *
 * - the table's range around each hit is exactly its section: the first
 *   stop inside is the range's start, the round count does not change at
 *   any stop inside it, and the step that leaves it at its end is the one
 *   that changed the count (the commit is the last instruction, one store);
 * - at each instruction boundary k inside the section in turn, the #DB
 *   handler stops stepping and sends this CPU a self-IPI, which arrives
 *   as the section resumes, exactly there, through the ordinary IRQ entry
 *   (trap_dispatch); its handler does a kfree (during the kmalloc) or a
 *   kmalloc (during the kfree) on the same cache.  With the rewind every
 *   boundary must give what the two calls in either order give: no object
 *   handed out twice, none lost, the round count right.  With the rewind
 *   off (restart_rewind_on) some boundary must break that, or the test
 *   could not see a missing rewind; the damage is repaired by hand.
 *
 * Context: kernel only, magazines on; CPU 0, one cache.  A traced kmalloc
 * keeps interrupts off around its hit (mm/kheap.c), so under trace=heap
 * no interrupt can land in a section and the cases say so and stop.
 */
#include "tests/ktest.h"
#include "mm/kheap.h"
#include "mm/magazine_int.h"
#include "mm/sizeclass.h"
#include "mm/trace.h"
#include "arch/x86/trap.h"
#include "arch/x86/restart.h"
#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"

#define EFLAGS_TF 0x100
#define STEPS 256
#define IPI_IRQ 2		/* the PIC's cascade line never raises its own vector */
#define SIZE 16

#ifdef CONFIG_X86_64
#define SP "%%rsp"
#else
#define SP "%%esp"
#endif

enum mode { RECORD, INTERFERE };

static struct {
	enum mode mode;
	unsigned k, seen;		/* INTERFERE: at the k-th stop inside a section */
	unsigned n;			/* RECORD: stops kept */
	uintptr_t ip[STEPS];
	uint8_t rounds[STEPS];
	struct mag_class_cache *cc;
	void *give, *taken;		/* the IPI's kfree(give), or taken = kmalloc */
	bool fired;
} st;

static void step_on(void) { __asm__ volatile("pushf; orl $0x100, (" SP "); popf" ::: "memory", "cc"); }
static void step_off(void) { __asm__ volatile("pushf; andl $~0x100, (" SP "); popf" ::: "memory", "cc"); }

static void on_step(struct trapframe *tf)
{
	if (st.mode == RECORD) {
		if (st.n < STEPS) {
			st.ip[st.n] = tf->eip;
			st.rounds[st.n++] = st.cc->rounds;
		}
	} else if (restart_find(tf->eip) && ++st.seen == st.k) {
		tf->eflags &= ~EFLAGS_TF;
		lapic_send(lapic_id(), ICR_FIXED | ICR_ASSERT | (IRQ_BASE + IPI_IRQ));
	}
}

/* The self-IPI, through trap_dispatch: the rewind has run by now. */
static void on_ipi(struct trapframe *tf)
{
	(void)tf;
	lapic_eoi();
	st.fired = true;
	if (st.give)
		kfree(st.give);
	else
		st.taken = kmalloc(SIZE);
}

static void *stepped_kmalloc(void)
{
	void *p;

	step_on();
	p = kmalloc(SIZE);
	step_off();
	return p;
}

static void stepped_kfree(void *p)
{
	step_on();
	kfree(p);
	step_off();
}

/* Can the cases run here?  Magazines on, untraced, a local APIC to interrupt with. */
static bool usable(void)
{
	if (TRACE_ON(TR_HEAP) || !mag_on || !lapic_mmio) {
		kprintf("test_restart: skipped (%s)", !lapic_mmio ? "no local APIC" :
			!mag_on ? "magazines off" : "trace=heap keeps interrupts off around a hit");
		return false;
	}
	st.cc = &mag_current()->cc[slab_class_of(SIZE)];
	trap_set_debug_hook(on_step);
	irq_set_handler(IPI_IRQ, on_ipi);
	return true;
}

static void done(void)
{
	trap_set_debug_hook(NULL);
	irq_set_handler(IPI_IRQ, NULL);
}

/*
 * The recorded stops of one stepped call: exactly one section visited,
 * entered at its start, the count unchanged inside, changed by the step
 * that leaves it at its end.  The number of stops inside, or 0.
 */
static unsigned section_stops(void)
{
	const struct restart_range *r = NULL;
	unsigned i = 0, j;

	while (i < st.n && !(r = restart_find(st.ip[i])))
		i++;
	if (!r || st.ip[i] != r->start)
		return 0;
	for (j = i; j < st.n && restart_find(st.ip[j]) == r; j++)
		if (st.rounds[j] != st.rounds[i] || (j > i && st.ip[j] <= st.ip[j - 1]))
			return 0;
	if (j == st.n || st.ip[j] != r->end || st.rounds[j] == st.rounds[i])
		return 0;
	for (unsigned m = j; m < st.n; m++)
		if (restart_find(st.ip[m]))
			return 0;
	return j - i;
}

/* Record one stepped call with interrupts off (no tick lands in it). */
static unsigned record(void (*call)(void *), void *arg)
{
	unsigned long f = irq_save();

	st.mode = RECORD;
	st.n = 0;
	call(arg);
	irq_restore(f);
	return section_stops();
}

static void *last_alloc;
static void call_kmalloc(void *arg) { (void)arg; last_alloc = stepped_kmalloc(); }
static void call_kfree(void *arg) { stepped_kfree(arg); }

/* Interrupt the next stepped call at its k-th stop in a section (the tests run with interrupts on). */
static void arm(unsigned k, void *give)
{
	st.mode = INTERFERE;
	st.k = k;
	st.seen = 0;
	st.give = give;
	st.taken = NULL;
	st.fired = false;
}

TEST(restart_table_is_the_sections)
{
	size_t n;
	const struct restart_range *r = restart_table(&n);

	for (size_t i = 0; i < n; i++)
		CHECKF(r[i].start < r[i].end && r[i].end - r[i].start <= 32, "section %u: %#lx-%#lx",
		       (unsigned)i, (unsigned long)r[i].start, (unsigned long)r[i].end);
	CHECKF(n >= 2, "%u sections: the kmalloc and kfree hits should be there", (unsigned)n);
	if (!usable())
		return;
	{
		void *a = kmalloc(SIZE), *b = kmalloc(SIZE);
		unsigned pop, push;

		kfree(b);
		pop = record(call_kmalloc, NULL);	/* takes b back */
		push = record(call_kfree, a);
		kfree(last_alloc);
		done();
		CHECKF(pop >= 4, "kmalloc's hit: no section whose range is exactly it (%u stops)", pop);
		CHECKF(push >= 4, "kfree's hit: no section whose range is exactly it (%u stops)", push);
	}
}

/* Rounds in the loaded magazine, with room for one more, else 0 (reported). */
static unsigned ready(void)
{
	unsigned n = st.cc->rounds;

	return st.cc->loaded && n >= 1 && n + 1 < st.cc->size ? n : 0;
}

/* kmalloc interrupted at stop k by a kfree(z): it must return z, count unchanged. */
static bool pop_once(unsigned k, bool *ran)
{
	void *z = kmalloc(SIZE), *y = kmalloc(SIZE), *p;
	unsigned n;
	bool ok;

	kfree(y);
	if (!(n = ready())) {
		kfree(z);
		return false;
	}
	arm(k, z);
	p = stepped_kmalloc();
	*ran = st.fired;
	ok = p == z && st.cc->rounds == n;
	kfree(p);
	if (!ok)
		kfree(z);	/* lost: keyed, in no magazine; the slow path frees it */
	return ok;
}

/* kfree(a) interrupted at stop k by a kmalloc: it must take the top x, a in its slot. */
static bool push_once(unsigned k, bool *ran)
{
	void *a = kmalloc(SIZE), *y = kmalloc(SIZE), *x;
	unsigned n;
	bool ok;

	kfree(y);
	if (!(n = ready())) {
		kfree(a);
		return false;
	}
	x = st.cc->loaded->round[n - 1];
	arm(k, NULL);
	stepped_kfree(a);
	*ran = st.fired;
	ok = st.taken == x && st.cc->rounds == n && st.cc->loaded->round[n - 1] == a;
	if (!ok) {		/* x both taken and still a round: a in its place */
		unsigned long f = irq_save();

		st.cc->loaded->round[n - 1] = a;
		st.cc->rounds = (uint8_t)n;
		irq_restore(f);
	}
	kfree(st.taken);
	return ok;
}

/* Every stop of one kind; the number that went wrong; *missed counts IPIs that never came. */
static unsigned every_stop(bool (*once)(unsigned, bool *), unsigned stops, unsigned *missed)
{
	unsigned bad = 0;

	for (unsigned k = 1; k <= stops; k++) {
		bool ran = false;

		if (!once(k, &ran))
			bad++;
		if (!ran)
			(*missed)++;
	}
	return bad;
}

TEST(restart_interrupt_at_every_instruction)
{
	unsigned pop, push, missed = 0, bad_on, bad_off;
	unsigned long rewinds;

	if (!usable())
		return;
	{
		void *a = kmalloc(SIZE), *b = kmalloc(SIZE);

		kfree(b);
		pop = record(call_kmalloc, NULL);
		push = record(call_kfree, a);
		kfree(last_alloc);
	}
	rewinds = restart_rewinds;
	bad_on = every_stop(pop_once, pop, &missed) + every_stop(push_once, push, &missed);
	rewinds = restart_rewinds - rewinds;
	restart_rewind_on = false;
	bad_off = every_stop(pop_once, pop, &missed) + every_stop(push_once, push, &missed);
	restart_rewind_on = true;
	done();
	kprintf("test_restart: %u and %u stops in kmalloc's and kfree's sections, %lu rewinds; "
		"without the rewind %u went wrong", pop, push, rewinds, bad_off);
	CHECKF(pop >= 4 && push >= 4, "sections not found (%u, %u stops)", pop, push);
	CHECKF(!missed, "%u self-IPIs never arrived", missed);
	CHECKF(!bad_on, "%u of %u interrupted hits left the magazine wrong with the rewind",
	       bad_on, pop + push);
	CHECKF(rewinds >= pop + push, "%lu rewinds for %u interrupted sections", rewinds, pop + push);
	CHECKF(bad_off, "no interrupted hit went wrong without the rewind: the test cannot see it");
	CHECK(kheap_check());
}
