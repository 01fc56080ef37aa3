/*
 * Page-fault dispatch.  Reads the faulting page's state and hands the
 * fault to the handler for that state; a state with no handler, or a
 * protection fault that is not a write to a ZERO page, is fatal with the
 * full diagnostic (fault/diag.c).
 *
 * Context rules (docs/faults.md): #PF comes through an interrupt gate, so
 * the fault path always runs with interrupts off, whatever the faulting
 * code had; it takes no lock kmalloc holds.  A fault while already inside
 * page_fault on the same CPU is reported once and stops the machine.
 */
#include "fault/fault.h"
#include "fault/diag.h"
#include "arch/x86/restart.h"
#include "mm/pagestate.h"
#include "mm/kheap.h"
#include "mm/heapfault.h"
#include "mm/scavenge.h"
#include "mm/frame.h"
#include "mm/trace.h"
#include "src/vmalloc.h"
#include "src/log.h"
#include "src/power.h"
#include "src/lib.h"

int fault_depth(void) { return (int)fault_depth_get(); }	/* each CPU's: faults nest per CPU */

__attribute__((noinline, noreturn)) static void nested(const struct trapframe *tf)
{
	char sym[96];

	ksym_format(tf->eip, sym, sizeof(sym));
	kprintf("FATAL: page fault inside the page-fault handler: address=%#lx eip=%#lx <%s>",
		(unsigned long)tf->cr2, (unsigned long)tf->eip, sym);
	diag_backtrace(tf->ebp);
	poweroff(1);
}

/* Out of frames for an overcommitted heap page: the figures, then fatal. */
__attribute__((noreturn)) static void oom(const struct trapframe *tf, const char *why)
{
	struct frame_stats fs;
	char sym[96];

	ksym_format(tf->eip, sym, sizeof(sym));
	frame_stats(&fs);
	kprintf("OOM: heap page at %#lx has no frame; faulting code %s", (unsigned long)tf->cr2, sym);
	trace_event(TR_OOM, "oom", "va=%#lx eip=%s frames_free=%u", (unsigned long)tf->cr2, sym,
		    (unsigned)fs.free);
	kprintf("OOM: frames: %u total, %u free, %u reserved, %u of those in per-CPU caches",
		(unsigned)fs.total, (unsigned)fs.free, (unsigned)fs.reserved, (unsigned)fs.cached);
	kheap_print_stats();
	scavenge_print_stats();
	diag_fatal(tf, why);
}

/* Not resolved: r and why say what the heap decided (KF_NOT_HEAP: not its page). */
__attribute__((noinline, noreturn)) static void unresolved(struct trapframe *tf,
							  enum kheap_fault_result r, const char *why)
{
	uintptr_t va = tf->cr2;
	char buf[96];

	if (r == KF_OOM)
		oom(tf, why);
	if (kheap_contains(va) && diag_pf_is_fetch(tf))	/* before any data-access report */
		diag_fatal(tf, "instruction fetch from heap memory, which is never code "
			   "(a call through a freed or wild pointer?)");
	if (r == KF_MISUSE)		/* free heap space: the heap's report, then fatal */
		kheap_fault_report(va, tf->err & PF_W, tf->eip);
	if (r != KF_NOT_HEAP)
		diag_fatal(tf, why);
	snprintf(buf, sizeof(buf), "no handler for a fault on a %s page%s",
		 pagestate_name(mmu_state(va)),
		 kheap_contains(va) ? " (reserved bit in the heap)" : "");
	diag_fatal(tf, buf);
}

/*
 * Every page fault the stub's fast path did not resolve (isr14 in
 * arch/x86/isr_32.S or isr_64.S: it gives the common heap faults to
 * kheap_fault_fast first, and comes here with the full frame for the
 * rest): a heap fault kheap_fault resolves, a vmalloc fault (an
 * owner-index lookup, src/vmalloc.h), and everything else, in
 * unresolved, out of line.
 */
void page_fault(struct trapframe *tf)
{
	enum kheap_fault_result r = KF_NOT_HEAP;
	const char *why = NULL;

	restart_rewind(&tf->eip);	/* before anything can reach the cache (arch/x86/restart.h) */
	if (fault_depth_get())
		nested(tf);
	fault_depth_set(1);
	if (!(tf->err & PF_NOT_DEMAND)) {	/* kheap_fault knows its region */
		r = kheap_fault(tf->cr2, tf->err & PF_W, &why);
		if (r == KF_NOT_HEAP)			/* then the vmalloc areas */
			r = vmalloc_fault(tf->cr2, tf->err & PF_W, &why);
	}
	if (r != KF_RESOLVED)
		unresolved(tf, r, why);
	fault_depth_set(0);
}
