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
 * takes a frame, and kheap_fault_report names it.  So is any access to a
 * GUARD page of the region: a guarded block's (mm/heapguard.c), reported
 * as its overflow or its use after free.  Anything else (a protection fault on PRESENT, a read fault on
 * ZERO) means the page tables disagree with the states: refused.
 *
 * The common write (docs/faults.md, "The fast path"): a data page of a
 * live allocation, outside the heap lock, under strict commit; and the
 * common read, of an AOW page in use.  One test each, common_write and
 * common_read, stands for every check of the general path, and implies
 * each of them passes; whatever fails it takes the general path, whose
 * checks are unchanged, so every refusal is still made there.  Both paths
 * end in the same transition (page_fault_install and its forms: the count
 * and the trace line page_set_state would make; the fast write only with
 * tracing off and the region watched) and the same counters (written,
 * read_zero).  kheap_fault_fast is the two tests alone (kheap_fault_fast_write
 * and _read, one of which the kernel's #PF stub calls before anything else).
 *
 * Context: the fault path, on any CPU, interrupts off (kheap_fault turns
 * them off for a caller that has them on); no lock.  Each
 * change is one compare-and-swap on the page's entry from the state read
 * at the start (page_fault_install), so CPUs faulting one page at once
 * install one entry: a loser gives back the frame it took (with the
 * reservation it took it from) and its access retries through the
 * winner's entry.  It reads the page's descriptor, which the heap lock
 * holder wrote before the faulting access, and takes its frame from the
 * page's reservation (mm/pagerun.c), so it never waits for kmalloc and
 * never needs the scavenger for a reserved page.  Its counters are this
 * CPU's set (struct heap's faults[]), summed by kheap_stats.
 */
#include "mm/heapfault.h"
#include "mm/heap_int.h"
#include "mm/pagestate_int.h"
#include "mm/heapreport.h"
#include "mm/heapdebug.h"

void (*kheap_fault_race)(uintptr_t va);

static inline struct fault_counts *counts(void) { return &heap.faults[cpu_id()]; }

static inline uintptr_t page_of(uintptr_t va) { return va & ~(uintptr_t)(PAGE_SIZE - 1); }

static enum kheap_fault_result refuse(const char **why, const char *what)
{
	*why = what;
	counts()->bad++;
	return KF_BAD_ACCESS;
}

/* An access to free heap space: fatal, and kheap_fault_report says what it hit. */
static enum kheap_fault_result misuse(const char **why, const char *what)
{
	*why = what;
	counts()->bad++;
	return KF_MISUSE;
}

/*
 * The page is already mapped as the access needs: another CPU resolved
 * the same fault first, or this CPU's TLB held the entry from before
 * (the zero frame, read-only).  Dropping that entry lets the access
 * retry through the new one.  On one CPU neither can happen, and such a
 * fault is refused: the page tables disagree with the states.  Only a
 * mapped state (ZERO, PRESENT) of a page in use counts: free space (KEPT
 * included) is a misuse, decided before this is asked.
 */
/* A GUARD page of the region is a guarded block's (mm/heapguard.c). */
#define GUARDED "access to a guarded block's GUARD page (an overflow or underflow, or a use after free)"

static enum kheap_fault_result resolved_elsewhere(uintptr_t va)
{
	mmu_invalidate_local(va);
	return KF_RESOLVED;
}

/*
 * The end of a write fault that installed frame f (pre: a pre-zeroed
 * one; zeroed: it needs no zeroing): its counters, then the zeroing, then
 * ZERO's shootdown, in that order so that nothing lives across a call.
 */
static inline __attribute__((always_inline)) void written(struct fault_counts *c, uintptr_t va,
							   unsigned st, bool pre, bool zeroed)
{
	if (pre)
		c->prezeroed++;
	if (st == PS_AOW)
		c->write_aow++;
	else
		c->write_zero++;
	if (!zeroed)
		mmu_zero_page(va);
	if (st == PS_ZERO)
		platform_tlb_shootdown();	/* other CPUs may still read the zero frame there */
}

/*
 * The page (AOW or ZERO, read as st; fast: the fast write's rest, for a
 * page known to be watched, heap.fast_write_kinds, whose caller ran the
 * tests' hook) gets frame f, zeroed unless it was
 * pre-zeroed, installed if the entry is still st.  With more than one
 * CPU the frame is zeroed before it is mapped (mmu_zero_frame), as
 * another CPU may write the page as soon as the entry exists (a slab
 * page holds other CPUs' objects); with one, or where the platform has
 * no window, through va after.  False when another CPU installed an
 * entry first: f is the caller's still.
 */
static inline __attribute__((always_inline)) bool
map_written(uintptr_t va, unsigned st, pfn_t f, bool *zeroed, bool fast)
{
	bool pre = *zeroed;

	if (!pre && spin_smp)
		*zeroed = mmu_zero_frame(f);	/* before other CPUs can reach it */
	if (MM_DEBUG && kheap_fault_race && !fast)
		kheap_fault_race(va);		/* the tests' other CPU */
	/* each pair by name: the platform's swap from AOW, whose entry is known, reads nothing */
	if (!(fast ? (st == PS_AOW ? page_fault_install_watched(va, PS_AOW, PS_PRESENT, f)
				     : page_fault_install_watched(va, PS_ZERO, PS_PRESENT, f))
		     : (st == PS_AOW ? page_fault_install(va, PS_AOW, PS_PRESENT, f)
				     : page_fault_install(va, PS_ZERO, PS_PRESENT, f))))
		return false;
	written(counts(), va, st, pre, *zeroed);
	return true;
}

/*
 * A page that holds a reservation: its frame (a pre-zeroed one first),
 * installed; a loser gives it back, reservation and all.
 */
static inline __attribute__((always_inline)) enum kheap_fault_result
write_reserved(uintptr_t va, unsigned st)
{
	bool zeroed;
	pfn_t f = pagerun_reserved_frame(&zeroed);

	if (__builtin_expect(f == PFN_NONE || !map_written(va, st, f, &zeroed, false), 0))
		pagerun_return_frame(f, zeroed);	/* the access retries through the winner's entry */
	return KF_RESOLVED;
}

/*
 * The common write, in one test.  It implies every check of write_fault:
 * AOW or ZERO is not "already writable"; the kinds of
 * heap.fast_write_kinds (mm/heapcore.c) are LARGE, LARGE_TAIL and SLAB,
 * not FREE, and data pages, for which the lock must be free; and only
 * under strict commit, where such a page holds a reservation
 * (pagerun_holds_reservation) and gets its frame from it, which cannot
 * fail (mm/frame.h), where pagerun_fault_frame would take the same one.
 * The set is empty unless the whole region is watched, and with page
 * tracing off no install writes a line, so the install skips both tests
 * (page_fault_install_untraced); a traced write takes the general path,
 * which writes its line as before.
 */
static inline bool common_write(unsigned kind, unsigned st)
{
	bool ok = (st == PS_AOW || st == PS_ZERO) && (heap.fast_write_kinds >> kind & 1) &&
		  !TRACE_ON(TR_PAGES) && !heap_held();

	KASSERT(!ok || pagerun_holds_reservation(kind));
	return ok;
}

/*
 * The common read: an AOW page that is not free space.  It implies every
 * check of read_fault, which the general path would make in this order:
 * not FREE, not GUARD (it is AOW), not already mapped; and the read takes
 * no lock and no frame, so the heap lock's holder may fault it too.
 */
static inline bool common_read(unsigned kind, unsigned st)
{
	return st == PS_AOW && kind != PK_FREE;
}

/* AOW -> ZERO: the shared zero frame, read-only; a loser's access retries through the winner's entry. */
static inline __attribute__((always_inline)) enum kheap_fault_result read_zero(uintptr_t va)
{
	if (page_fault_install(va, PS_AOW, PS_ZERO, ps_zero_frame))
		counts()->read_aow++;
	return KF_RESOLVED;
}

/*
 * The general write path: each check, with its reason.  A page without a
 * reservation (overcommit) takes its frame from the free frames, which
 * may run the scavenger; if another CPU mapped the page meanwhile the
 * frame goes back: one frame mapped, none leaked.
 */
static enum kheap_fault_result write_fault(uintptr_t va, uint32_t i, unsigned st,
					   const char **why)
{
	bool zeroed;
	pfn_t f;

	if (pagerun_desc(i)->kind == PK_FREE)
		return misuse(why, "write to free heap memory (use after free, or a stray pointer)");
	if (st == PS_GUARD)
		return misuse(why, GUARDED);
	if (st == PS_PRESENT && platform_cpus_online() > 1)
		return resolved_elsewhere(va);
	if (st != PS_AOW && st != PS_ZERO)
		return refuse(why, "write fault on a heap page that is already writable");
	if (heap_held() && pagerun_desc(i)->kind != PK_META)
		return refuse(why, "fault on a heap data page while the heap lock is held");
	if (pagerun_holds_reservation(pagerun_desc(i)->kind))
		return write_reserved(va, st);
	f = pagerun_fault_frame(i, &zeroed);
	if (f == PFN_NONE) {
		*why = "out of memory: no frame for an overcommitted heap page";
		counts()->oom++;
		return KF_OOM;
	}
	if (!map_written(va, st, f, &zeroed, false))
		frame_free(f);		/* another CPU mapped it meanwhile */
	return KF_RESOLVED;
}

static enum kheap_fault_result read_fault(uintptr_t va, uint32_t i, unsigned st,
					 const char **why)
{
	if (pagerun_desc(i)->kind == PK_FREE)
		return misuse(why, "read of free heap memory (use after free, or a stray pointer)");
	if (st == PS_GUARD)
		return misuse(why, GUARDED);
	if ((st == PS_ZERO || st == PS_PRESENT) && platform_cpus_online() > 1)
		return resolved_elsewhere(va);
	if (st != PS_AOW)
		return refuse(why, "read fault on a heap page that is already mapped");
	return read_zero(va);
}

/* Everything but the common write and read, out of line. */
static __attribute__((noinline)) enum kheap_fault_result
fault_general(uintptr_t va, uint32_t i, unsigned st, bool write, const char **why)
{
	return write ? write_fault(va, i, st, why) : read_fault(va, i, st, why);
}

/*
 * The tails of the common write, out of line so that its own path calls
 * nothing but the zeroing, with nothing live across it (no registers to
 * save): a frame that is not a ready one (this CPU's cache was empty, f
 * is PFN_NONE: the locked take; or, with several CPUs, one to zero
 * before it is mapped), which ends as write_reserved; and a lost race,
 * whose frame goes back with its reservation.
 */
static __attribute__((noinline)) bool fast_write_rest(uintptr_t va, unsigned st, pfn_t f,
						      bool zeroed)
{
	va = page_of(va);
	if (f == PFN_NONE)
		f = pagerun_reserved_frame_locked(&zeroed);
	if (f == PFN_NONE || !map_written(va, st, f, &zeroed, true))
		pagerun_return_frame(f, zeroed);	/* the access retries through the winner's entry */
	return true;
}

static __attribute__((noinline)) bool fast_write_lost(pfn_t f, bool zeroed)
{
	pagerun_return_frame(f, zeroed);
	return true;
}

/*
 * write_reserved for a common write (page tracing off, the region
 * watched): the same frame, transition, counters and zeroing as
 * map_written, whose other cases are fast_write_rest's.  va is any
 * address in the page: the entry's primitives and the zeroing take the
 * page of va (mm/platform.h), and the tails round it themselves.
 */
static inline __attribute__((always_inline)) bool fast_write(uintptr_t va, unsigned st)
{
	bool zeroed = false;	/* the rest's when there is no cached frame */
	pfn_t f = pagerun_reserved_frame_cached(&zeroed);
	struct fault_counts *c = counts();	/* while the CPU's number is in a register */

	if (MM_DEBUG && kheap_fault_race)
		kheap_fault_race(page_of(va));	/* the tests' other CPU, for the rest too */
	if (__builtin_expect(f == PFN_NONE || (!zeroed && spin_smp), 0))
		return fast_write_rest(va, st, f, zeroed);
	/* each pair by name: the platform's swap from AOW, whose entry is known, reads nothing */
	if (__builtin_expect(!(st == PS_AOW ? page_fault_install_untraced(va, PS_AOW, PS_PRESENT, f)
					    : page_fault_install_untraced(va, PS_ZERO, PS_PRESENT, f)),
			     0))
		return fast_write_lost(f, zeroed);
	written(c, va, st, zeroed, zeroed);
	return true;
}

/* The common write to a ZERO page: out of line, so the first write's path saves no registers. */
static __attribute__((noinline)) bool fast_write_zero(uintptr_t va, unsigned kind)
{
	va = page_of(va);
	if (mmu_state_tabled(va) != PS_ZERO || !common_write(kind, PS_ZERO))
		return false;
	return fast_write(va, PS_ZERO);
}

/*
 * The common write, one test; false, nothing changed, for anything
 * else.  The page is in the region, whose tables exist
 * (mmu_state_tabled).  Interrupts off: the #PF gate's, or kheap_fault's.
 */
bool FAULT_FAST_ABI kheap_fault_fast_write(uintptr_t va)
{
	uint32_t i = pagerun_index(va);
	unsigned kind;

	if (i == PG_NONE)
		return false;
	kind = pagerun_desc(i)->kind;
	if (!mmu_aow_tabled(va))		/* the first write: AOW's entry, one compare */
		return fast_write_zero(va, kind);
	if (!common_write(kind, PS_AOW))
		return false;
	return fast_write(va, PS_AOW);
}

/* The common read, as the common write above. */
bool FAULT_FAST_ABI kheap_fault_fast_read(uintptr_t va)
{
	uint32_t i = pagerun_index(va);

	if (i == PG_NONE)
		return false;
	va = page_of(va);
	if (!common_read(pagerun_desc(i)->kind, mmu_state_tabled(va)))
		return false;
	read_zero(va);
	return true;
}

bool kheap_fault_fast(uintptr_t va, bool write)
{
	return write ? kheap_fault_fast_write(va) : kheap_fault_fast_read(va);
}

/* Interrupts off for both paths (the frame's inline take needs it), whatever the caller's. */
enum kheap_fault_result kheap_fault(uintptr_t va, bool write, const char **why)
{
	uint32_t i = pagerun_index(va);
	uintptr_t pg = page_of(va);
	enum kheap_fault_result r = KF_RESOLVED;
	unsigned long f;

	if (i == PG_NONE)
		return KF_NOT_HEAP;
	f = irq_save();
	if (!kheap_fault_fast(va, write))
		r = fault_general(pg, i, mmu_state(pg), write, why);
	irq_restore(f);
	return r;
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

	if (i != PG_NONE && mmu_state(va) == PS_GUARD)
		return guarded_fault_report(va, write, ip);
	if (i == PG_NONE || pagerun_desc(i)->kind != PK_FREE)
		return false;
	r.what = !pagerun_once_used(i) ? &WILD : write ? &UAF_WRITE : &UAF_READ;
	if (heap_nearest_alloc(va, &o)) {
		r.obj = o.start;
		r.obj_size = o.size;
	}
	heap_report_log(&r);
	return true;
}
