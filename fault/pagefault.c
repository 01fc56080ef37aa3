/*
 * Page-fault dispatch.  Reads the faulting page's state and hands the
 * fault to the handler for that state; a state with no handler, or a
 * protection fault that is not a write to a ZERO page, is fatal with the
 * full diagnostic (fault/diag.c).
 *
 * Context rules (docs/faults.md): the fault path runs with interrupts as
 * the faulting code had them; it takes no lock kmalloc holds.  A fault
 * while already inside page_fault is reported once and stops the machine.
 */
#include "fault/fault.h"
#include "fault/diag.h"
#include "mm/pagestate.h"
#include "src/log.h"
#include "src/power.h"
#include "src/lib.h"

static int depth;

int fault_depth(void) { return depth; }

static void nested(const struct trapframe *tf)
{
	char sym[96];

	ksym_format(tf->eip, sym, sizeof(sym));
	kprintf("FATAL: page fault inside the page-fault handler: address=%#lx eip=%#lx <%s>",
		(unsigned long)tf->cr2, (unsigned long)tf->eip, sym);
	diag_backtrace(tf->ebp);
	poweroff(1);
}

void page_fault(struct trapframe *tf)
{
	uintptr_t va = tf->cr2;
	unsigned state;
	char why[96];

	if (depth)
		nested(tf);
	depth++;
	state = mmu_state(va);
	snprintf(why, sizeof(why), "no handler for a fault on a %s page",
		 pagestate_name(state));
	diag_fatal(tf, why);
}
