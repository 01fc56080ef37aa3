/*
 * Demand faults on heap pages:
 *   read  of AOW   -> ZERO: map the shared zero frame read-only; no frame.
 *   write to AOW   -> PRESENT: a frame, mapped read-write, zeroed through va.
 *   write to ZERO  -> PRESENT: the same; mapping it replaces (and
 *                     invalidates) the read-only zero mapping.
 * A write to a page of free heap space is refused: nothing may store
 * there (metadata is out of band), so it is a use after free or a stray
 * pointer.  Anything else (a protection fault on PRESENT, a read fault on
 * ZERO) means the page tables disagree with the states: refused.
 *
 * Context: the fault path.  No lock: it reads the page's descriptor,
 * which the heap lock holder wrote before the faulting access, and takes
 * its frame from the page's reservation (mm/pagerun.c), so it never waits
 * for kmalloc and never needs the scavenger for a reserved page.  Its
 * counters are the core's (struct heap), read by kheap_stats.
 */
#include "mm/heapfault.h"
#include "mm/heap_int.h"

static enum kheap_fault_result refuse(const char **why, const char *what)
{
	*why = what;
	heap.faults_bad++;
	return KF_BAD_ACCESS;
}

enum kheap_fault_result kheap_fault(uintptr_t va, bool write, const char **why)
{
	uint32_t i = pagerun_index(va);
	unsigned st;
	pfn_t f;

	if (i == PG_NONE)
		return KF_NOT_HEAP;
	va &= ~(uintptr_t)(PAGE_SIZE - 1);
	st = mmu_state(va);
	if (!write) {
		if (st != PS_AOW)
			return refuse(why, "read fault on a heap page that is already mapped");
		page_set_state(va, PS_ZERO, zero_frame(), PC_READ_FAULT);
		heap.faults_read_aow++;
		return KF_RESOLVED;
	}
	if (st != PS_AOW && st != PS_ZERO)
		return refuse(why, "write fault on a heap page that is already writable");
	if (pagerun_desc(i)->kind == PK_FREE)
		return refuse(why, "write to free heap memory (use after free, or a stray pointer)");
	if (heap.locked && pagerun_desc(i)->kind != PK_META)
		return refuse(why, "fault on a heap data page while the heap lock is held");
	f = pagerun_fault_frame(i);
	if (f == PFN_NONE) {
		*why = "out of memory: no frame for an overcommitted heap page";
		heap.faults_oom++;
		return KF_OOM;
	}
	page_set_state(va, PS_PRESENT, f, PC_WRITE_FAULT);
	mmu_zero_page(va);
	if (st == PS_AOW)
		heap.faults_write_aow++;
	else
		heap.faults_write_zero++;
	return KF_RESOLVED;
}
