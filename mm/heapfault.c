/*
 * Demand faults on heap pages:
 *   read  of AOW   -> ZERO: map the shared zero frame read-only; no frame.
 *   write to AOW   -> PRESENT: a frame, mapped read-write, zeroed through va
 *                     unless it is a pre-zeroed one (mm/frame.h).
 *   write to ZERO  -> PRESENT: the same; mapping it replaces (and
 *                     invalidates) the read-only zero mapping.
 * A read or a write of free heap space is refused as a misuse
 * (KF_MISUSE): nothing lives there (metadata is out of band), so it is a
 * use after free or a stray pointer; it never maps the zero frame nor
 * takes a frame, and kheap_fault_report names it.  Anything else (a protection fault on PRESENT, a read fault on
 * ZERO) means the page tables disagree with the states: refused.
 *
 * The common write (docs/faults.md, "The fast path"): a data page of a
 * live allocation, outside the heap lock, under strict commit.  One test,
 * common_write, stands for every check of the general path, and implies
 * each of them passes; whatever fails it takes the general path, whose
 * checks are unchanged, so every refusal is still made there.  Both paths
 * end in map_written: the same transition (page_fault_state: the count and
 * the trace line page_set_state would make), the same counter.
 *
 * Context: the fault path.  No lock: it reads the page's descriptor,
 * which the heap lock holder wrote before the faulting access, and takes
 * its frame from the page's reservation (mm/pagerun.c), so it never waits
 * for kmalloc and never needs the scavenger for a reserved page.  Its
 * counters are the core's (struct heap), read by kheap_stats.
 */
#include "mm/heapfault.h"
#include "mm/heap_int.h"
#include "mm/pagestate_int.h"
#include "mm/heapreport.h"

static enum kheap_fault_result refuse(const char **why, const char *what)
{
	*why = what;
	heap.faults_bad++;
	return KF_BAD_ACCESS;
}

/* An access to free heap space: fatal, and kheap_fault_report says what it hit. */
static enum kheap_fault_result misuse(const char **why, const char *what)
{
	*why = what;
	heap.faults_bad++;
	return KF_MISUSE;
}

/* The page (AOW or ZERO, read as st) gets frame f, zeroed unless it was pre-zeroed. */
static inline __attribute__((always_inline)) enum kheap_fault_result
map_written(uintptr_t va, unsigned st, pfn_t f, bool zeroed)
{
	page_fault_state(va, st, PS_PRESENT, f);
	if (zeroed)
		heap.faults_prezeroed++;
	else
		mmu_zero_page(va);
	if (st == PS_AOW)
		heap.faults_write_aow++;
	else
		heap.faults_write_zero++;
	return KF_RESOLVED;
}

/*
 * The common write, in one test.  It implies every check of write_fault:
 * AOW or ZERO is not "already writable"; LARGE, LARGE_TAIL and SLAB are
 * not FREE, and are data pages, for which the lock must be free; and a
 * page that holds a reservation gets its frame from it, which cannot
 * fail (mm/frame.h), where pagerun_fault_frame would take the same one.
 */
_Static_assert(PK_LARGE_TAIL == PK_LARGE + 1 && PK_SLAB == PK_LARGE + 2,
	       "common_write tests the data kinds as one range");

static inline bool common_write(uint32_t i, unsigned st)
{
	unsigned kind = pagerun_desc(i)->kind;

	return (st == PS_AOW || st == PS_ZERO) && kind - PK_LARGE <= PK_SLAB - PK_LARGE &&
	       !heap.locked && pagerun_holds_reservation(kind);
}

/* The general write path: each check, with its reason. */
static enum kheap_fault_result write_fault(uintptr_t va, uint32_t i, unsigned st, const char **why)
{
	bool zeroed;
	pfn_t f;

	if (pagerun_desc(i)->kind == PK_FREE)
		return misuse(why, "write to free heap memory (use after free, or a stray pointer)");
	if (st != PS_AOW && st != PS_ZERO)
		return refuse(why, "write fault on a heap page that is already writable");
	if (heap.locked && pagerun_desc(i)->kind != PK_META)
		return refuse(why, "fault on a heap data page while the heap lock is held");
	f = pagerun_fault_frame(i, &zeroed);
	if (f == PFN_NONE) {
		*why = "out of memory: no frame for an overcommitted heap page";
		heap.faults_oom++;
		return KF_OOM;
	}
	return map_written(va, st, f, zeroed);
}

static enum kheap_fault_result read_fault(uintptr_t va, uint32_t i, unsigned st,
					 const char **why)
{
	if (pagerun_desc(i)->kind == PK_FREE)
		return misuse(why, "read of free heap memory (use after free, or a stray pointer)");
	if (st != PS_AOW)
		return refuse(why, "read fault on a heap page that is already mapped");
	page_fault_state(va, PS_AOW, PS_ZERO, zero_frame());
	heap.faults_read_aow++;
	return KF_RESOLVED;
}

enum kheap_fault_result kheap_fault(uintptr_t va, bool write, const char **why)
{
	uint32_t i = pagerun_index(va);
	unsigned st;

	if (i == PG_NONE)
		return KF_NOT_HEAP;
	va &= ~(uintptr_t)(PAGE_SIZE - 1);
	st = mmu_state(va);
	if (!write)
		return read_fault(va, i, st, why);
	if (common_write(i, st)) {
		bool zeroed;
		pfn_t f = pagerun_reserved_frame(&zeroed);

		return map_written(va, st, f, zeroed);
	}
	return write_fault(va, i, st, why);
}

enum kheap_fault_result kheap_fault_locked(uintptr_t va, bool write, const char **why)
{
	unsigned long f = heap_lock();
	enum kheap_fault_result r = kheap_fault(va, write, why);

	heap_unlock(f);
	return r;
}

/* What a fault in free space is: whether its page was ever handed out says which. */
static const struct heap_misuse
	UAF_READ = { HR_UAF_READ, "free heap space, handed out before" },
	UAF_WRITE = { HR_UAF_WRITE, "free heap space, handed out before" },
	WILD = { HR_WILD_ACCESS, "free heap space, never handed out" };

bool kheap_fault_report(uintptr_t va, bool write, uintptr_t ip)
{
	uint32_t i = pagerun_index(va);
	struct heap_report r = { .op = write ? "write" : "read", .ptr = va, .caller = ip };
	struct heap_obj o;

	if (i == PG_NONE || pagerun_desc(i)->kind != PK_FREE)
		return false;
	r.what = !(pagerun_desc(i)->flags & PG_USED) ? &WILD : write ? &UAF_WRITE : &UAF_READ;
	if (heap_nearest_alloc(va, &o)) {
		r.obj = o.start;
		r.obj_size = o.size;
	}
	heap_report_log(&r);
	return true;
}
