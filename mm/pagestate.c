/*
 * The page-state machine: the transition table and, once boot has laid
 * out its window (arch/x86/mmu_32.c mmu_init), the only writer of page-table
 * entries.  No lock of its own: callers hold whatever protects the page
 * they change (the heap lock, vmalloc's, kstack's or ioremap's), or,
 * for a demand fault on a heap page, install its entry by compare-and-swap
 * (page_fault_install); the scavenger's release, under the heap lock,
 * leaves a free ZERO page by compare-and-swap too, as only such a fault
 * could be changing it.  Those are different locks, so what vm_convert keeps
 * between pages (the batch of frames to free, the watch's quiet flag) is
 * each CPU's own, used with interrupts off.
 */
#include "mm/pagestate_int.h"
#include "mm/frame.h"

static const char *const state_names[PS_COUNT] = {
	"UNUSABLE", "AOW", "PRESENT", "ZERO", "GUARD", "MMIO", "WIRED", "KEPT",
};

static const char *const cause_names[PC_COUNT] = {
	"boot", "write-fault", "read-fault", "scavenge", "explicit", "free", "reuse",
};

#define B(s) (1u << (s))
static const uint8_t allowed[PS_COUNT] = {
	[PS_UNUSABLE] = B(PS_AOW) | B(PS_GUARD) | B(PS_MMIO) | B(PS_WIRED),
	[PS_AOW]      = B(PS_PRESENT) | B(PS_ZERO) | B(PS_UNUSABLE) | B(PS_GUARD),
	[PS_PRESENT]  = B(PS_AOW) | B(PS_UNUSABLE) | B(PS_KEPT) | B(PS_GUARD),
	[PS_ZERO]     = B(PS_PRESENT) | B(PS_AOW) | B(PS_UNUSABLE) | B(PS_GUARD),
	[PS_GUARD]    = B(PS_UNUSABLE) | B(PS_AOW),
	[PS_MMIO]     = B(PS_UNUSABLE),
	[PS_WIRED]    = B(PS_UNUSABLE) | B(PS_GUARD),
	[PS_KEPT]     = B(PS_PRESENT) | B(PS_AOW),
};

pfn_t ps_zero_frame = PFN_NONE;	/* mm/pagestate_int.h: the fault path reads it inline */
struct pagestate_watch ps_watch;

void pagestate_watch(uintptr_t base, size_t npages)
{
	ps_watch.base = base;
	ps_watch.bytes = npages * PAGE_SIZE;
	memset(ps_watch.counts, 0, sizeof(ps_watch.counts));
	for (size_t i = 0; i < npages; i++)
		ps_watch.counts[mmu_state(base + i * PAGE_SIZE)]++;
}

void pagestate_watch_uniform(uintptr_t base, size_t npages, unsigned state)
{
	ps_watch.base = base;
	ps_watch.bytes = npages * PAGE_SIZE;
	memset(ps_watch.counts, 0, sizeof(ps_watch.counts));
	ps_watch.counts[state] = npages;
	KASSERT(!npages || (mmu_state(base) == state && mmu_state(base + (npages - 1) * PAGE_SIZE) == state));
}

void pagestate_counts(size_t out[PS_COUNT])
{
	unsigned long f = irq_save();

	memcpy(out, ps_watch.counts, sizeof(ps_watch.counts));
	irq_restore(f);
}

const char *pagestate_name(unsigned s)
{
	return s < PS_COUNT ? state_names[s] : "INVALID";
}

const char *pagestate_cause_name(unsigned c)
{
	return c < PC_COUNT ? cause_names[c] : "invalid";
}

bool pagestate_allowed(unsigned from, unsigned to)
{
	return from < PS_COUNT && to < PS_COUNT && (allowed[from] & B(to));
}

bool pagestate_is_mapped(unsigned s)
{
	return s == PS_PRESENT || s == PS_ZERO || s == PS_MMIO || s == PS_WIRED;
}

bool pagestate_has_frame(unsigned s)
{
	return pagestate_is_mapped(s) || s == PS_KEPT;
}

pfn_t zero_frame(void) { return ps_zero_frame; }
void pagestate_init(pfn_t zero) { ps_zero_frame = zero; }

static void refuse(uintptr_t va, unsigned from, unsigned to, unsigned cause)
{
	panic("page state: illegal transition %s -> %s at %#lx (cause %s)",
	      pagestate_name(from), pagestate_name(to), (unsigned long)va,
	      pagestate_cause_name(cause));
}

/* Page events (docs/trace-format.md): this file knows the names, the trace only writes. */
void pagestate_trace(uintptr_t va, unsigned from, unsigned to, pfn_t frame, unsigned cause)
{
	char fs[16] = "-";

	if (frame == PFN_NONE && (from == PS_PRESENT || from == PS_KEPT))
		frame = mmu_frame(va);		/* the frame let go */
	if (frame != PFN_NONE)
		snprintf(fs, sizeof(fs), "%#lx", (unsigned long)frame);
	trace_event(TR_PAGES, "page", "%#lx %s %s %s %s", (unsigned long)va, pagestate_name(from),
		    pagestate_name(to), fs, pagestate_cause_name(cause));
}

void pagestate_change_traced(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
			     unsigned cause)
{
	unsigned long f = trace_hold();

	pagestate_count(from, to);
	pagestate_trace(va, from, to, frame, cause);
	mmu_set(va, to, frame);
	trace_release(f);
}

bool pagestate_install_traced(uintptr_t va, unsigned from, unsigned to, pfn_t frame,
			      unsigned cause)
{
	unsigned long f = trace_hold();
	bool done = mmu_set_if(va, from, to, frame);

	if (done) {
		pagestate_count(from, to);
		pagestate_trace(va, from, to, frame, cause);
	}
	trace_release(f);
	return done;
}

static void trace_pages(uintptr_t va, size_t n, unsigned from, unsigned to, unsigned cause)
{
	trace_event(TR_PAGES, "pages", "%#lx %zu %s %s %s", (unsigned long)va, n,
		    pagestate_name(from), pagestate_name(to), pagestate_cause_name(cause));
}

void page_set_state(uintptr_t va, unsigned to, pfn_t frame, unsigned cause)
{
	unsigned from = mmu_state(va);

	if (!pagestate_allowed(from, to))
		refuse(va, from, to, cause);
	pagestate_change(va, from, to, frame, cause);
}

/* Refuse the range before anything changes if one of its transitions is illegal. */
static void check_range(uintptr_t va, size_t npages, unsigned to, unsigned cause)
{
	for (size_t i = 0; i < npages; i++) {
		unsigned from = mmu_state(va + i * PAGE_SIZE);

		if (from != to && !pagestate_allowed(from, to))
			refuse(va + i * PAGE_SIZE, from, to, cause);
	}
}

/* The run of frameless pages that ends at p, as one "pages" line. */
static void trace_run(uintptr_t p, size_t run, unsigned from, unsigned to, unsigned cause)
{
	if (run && TRACE_ON(TR_PAGES) && trace_in_region(p - run * PAGE_SIZE))
		trace_pages(p - run * PAGE_SIZE, run, from, to, cause);
}

/*
 * Frames taken off PRESENT and KEPT pages, freed after a shootdown
 * (mm/pagestate.h): each CPU's, since vm_convert runs under different
 * locks on different CPUs (a vfree beside a scavenger pass).  Used with
 * interrupts off, so the CPU, and the batch, stay the caller's.
 *
 * Only a frame whose page was present when it was taken needs the
 * shootdown (`mapped`): a KEPT page's translation went from every TLB
 * when the free made it KEPT (vm_keep's shootdown), and none came back
 * since, as no TLB caches a not-present entry (Intel SDM Vol. 3A,
 * 4.10.4.3 "Optional Invalidation").  So a batch of KEPT frames goes back
 * without one, and a pass that removed a present translation still pays
 * one.
 */
struct batch { pfn_t f[VM_DEFER_MAX]; size_t n; bool deferring, mapped; };
static struct batch batches[CPU_MAX];

static struct batch *my_batch(void) { return &batches[cpu_id()]; }

static void free_batch(struct batch *b)
{
	if (!b->n)
		return;
	if (b->mapped)
		platform_tlb_shootdown();
	frame_free_many(b->f, b->n);	/* one lock section for the batch */
	b->n = 0;
	b->mapped = false;
}

/* Frame f of a page that was KEPT (mapped false) or present (true), its entry changed. */
static inline void collect(struct batch *b, pfn_t f, bool mapped)
{
	if (b->n == VM_DEFER_MAX)
		free_batch(b);
	b->f[b->n++] = f;
	b->mapped |= mapped;
}

/* A call's end: its frames go back now, unless a pass is deferring them. */
static void end_call(struct batch *b)
{
	if (!b->deferring)
		free_batch(b);
}

void vm_defer_frames(void) { my_batch()->deferring = true; }

size_t vm_free_deferred(void)
{
	struct batch *b = my_batch();
	size_t n = b->n;

	free_batch(b);
	b->deferring = false;
	return n;
}

/*
 * Convert one checked range, each page without a second look
 * (pagestate_change, not page_set_state).  Frameless pages are traced as
 * runs ("pages" events); PRESENT and KEPT ones one by one, and each such
 * frame is collected after its entry was changed and its TLB entry
 * invalidated (mmu_set), to go back after the shootdown.
 */
static size_t convert_range(struct batch *b, uintptr_t va, size_t n, unsigned to,
			    unsigned cause, size_t from_counts[PS_COUNT])
{
	size_t i, freed = 0, run = 0;
	unsigned run_from = PS_COUNT;	/* never `to`, PRESENT nor KEPT */

	for (i = 0; i < n; i++) {
		uintptr_t p = va + i * PAGE_SIZE;
		unsigned from = mmu_state(p);
		pfn_t f;

		if (run && from != run_from) {
			trace_run(p, run, run_from, to, cause);
			run = 0;
		}
		if (from == to)
			continue;
		from_counts[from]++;
		if (from != PS_PRESENT && from != PS_KEPT) {
			ps_watch.quiet[cpu_id()] = true;
			pagestate_change(p, from, to, PFN_NONE, cause);
			ps_watch.quiet[cpu_id()] = false;
			run_from = from;
			run++;
			continue;
		}
		f = mmu_frame(p);
		pagestate_change(p, from, to, PFN_NONE, cause);
		collect(b, f, from == PS_PRESENT);
		freed++;
	}
	trace_run(va + n * PAGE_SIZE, run, run_from, to, cause);
	return freed;
}

size_t vm_convert(uintptr_t va, size_t npages, unsigned to, unsigned cause)
{
	size_t from[PS_COUNT] = { 0 }, freed;
	unsigned long f;
	struct batch *b;

	KASSERT(to == PS_AOW || to == PS_UNUSABLE || to == PS_GUARD);
	check_range(va, npages, to, cause);
	f = irq_save();		/* this CPU's batch: no interrupt's kfree in between */
	b = my_batch();
	freed = convert_range(b, va, npages, to, cause, from);
	end_call(b);
	irq_restore(f);
	return freed;
}

/*
 * The release's page in any state but KEPT and AOW: none, by heap_check
 * (free pages are AOW or KEPT), but where a fault raced the free of its
 * page (it read the descriptor before the free, and its compare-and-swap
 * landed after).  The table decides, as for any page: what it forbids is
 * refused.  PRESENT goes AOW as KEPT does (no fault changes a PRESENT
 * entry), GUARD (the table allows it) without a frame.  ZERO goes AOW by compare-and-swap, since a write fault may be
 * turning it PRESENT at that moment (the entry is then read again), and
 * with one shootdown, for the zero-frame entry another CPU may hold.
 */
static __attribute__((noinline)) void release_other(struct batch *b, uintptr_t p, unsigned from,
						    pfn_t f, unsigned cause, size_t moved[PS_COUNT])
{
	if (!pagestate_allowed(from, PS_AOW))
		refuse(p, from, PS_AOW, cause);
	if (from == PS_ZERO) {
		if (!mmu_set_if(p, PS_ZERO, PS_AOW, PFN_NONE)) {
			from = mmu_read(p, &f);		/* the fault's entry */
			if (from != PS_AOW)
				release_other(b, p, from, f, cause, moved);
			return;
		}
		pagestate_count(PS_ZERO, PS_AOW);
		platform_tlb_shootdown();
	} else {
		pagestate_change(p, from, PS_AOW, PFN_NONE, cause);
		if (from == PS_PRESENT)
			collect(b, f, true);
	}
	moved[from]++;
}

/*
 * The release's ranges, untraced: each entry read once, for its state and
 * its frame (mmu_read_tabled: the heap region's tables exist); a KEPT
 * page turns AOW with no invalidation (mmu_set_absent: the entry was not
 * present, so no TLB holds it) and its frame goes into the batch, which
 * needs no shootdown for it (struct batch), its count with the others at
 * the end.  The batch's fill is kept in a local: a frame's store could
 * alias it.
 */
static size_t release_untraced(struct batch *b, const struct vm_range *r, size_t nr,
			       unsigned cause, size_t moved[PS_COUNT])
{
	pfn_t *fp = b->f + b->n, *const full = b->f + VM_DEFER_MAX;
	size_t kept = (size_t)0 - b->n;		/* + the fill at the end: the frames stored */

	for (const struct vm_range *last = r + nr; r != last; r++) {
		uintptr_t p = r->va, end = p + r->npages * PAGE_SIZE;

		for (; p != end; p += PAGE_SIZE) {
			pfn_t f;
			unsigned from = mmu_read_tabled(p, &f);

			if (__builtin_expect(from == PS_KEPT, 1)) {
				mmu_set_absent(p, PS_AOW, PFN_NONE);
				if (__builtin_expect(fp == full, 0)) {
					b->n = VM_DEFER_MAX;
					free_batch(b);
					kept += VM_DEFER_MAX;
					fp = b->f;
				}
				*fp++ = f;
			} else if (from != PS_AOW) {
				b->n = (size_t)(fp - b->f);
				kept += b->n;
				release_other(b, p, from, f, cause, moved);
				kept -= b->n;	/* a PRESENT page's frame is not a kept one */
				fp = b->f + b->n;
			}
		}
	}
	b->n = (size_t)(fp - b->f);
	return kept + b->n;
}

size_t vm_release_ranges(const struct vm_range *r, size_t nr, unsigned cause,
			 size_t from_counts[PS_COUNT])
{
	size_t moved[PS_COUNT] = { 0 }, kept = 0;
	unsigned long f = irq_save();	/* this CPU's batch: no interrupt's kfree in between */
	struct batch *b = my_batch();
	bool traced = pagestate_traced();

	for (size_t k = 0; MM_DEBUG && k < nr; k++)
		KASSERT(r[k].npages && pagestate_watched(r[k].va) &&
			pagestate_watched(r[k].va + (r[k].npages - 1) * PAGE_SIZE));
	if (traced) {	/* every page checked first and traced, as vm_convert */
		for (size_t k = 0; k < nr; k++)
			check_range(r[k].va, r[k].npages, PS_AOW, cause);
		for (size_t k = 0; k < nr; k++)
			convert_range(b, r[k].va, r[k].npages, PS_AOW, cause, moved);
	} else {
		kept = release_untraced(b, r, nr, cause, moved);
	}
	pagestate_count_many(PS_KEPT, PS_AOW, kept);
	moved[PS_KEPT] += kept;
	end_call(b);
	irq_restore(f);
	for (unsigned s = 0; s < PS_COUNT; s++)
		from_counts[s] += moved[s];
	return moved[PS_KEPT] + moved[PS_PRESENT];
}

/*
 * vm_keep and vm_reuse read each entry once (mmu_read_tabled: heap pages,
 * whose tables exist) and, untraced, write it without the per-page
 * count, counting the run once at the end (as vm_release_ranges does);
 * traced, each change is pagestate_change's, line and all.
 */
static void keep_present(uintptr_t p, pfn_t f, bool traced)
{
	if (traced)
		pagestate_change(p, PS_PRESENT, PS_KEPT, f, PC_FREE);
	else
		mmu_set(p, PS_KEPT, f);		/* was present: invlpg */
}

size_t vm_keep(uintptr_t va, size_t npages)
{
	size_t kept = 0, dropped = 0;
	bool traced = pagestate_traced();

	KASSERT(!npages || (pagestate_watched(va) && pagestate_watched(va + (npages - 1) * PAGE_SIZE)));
	for (uintptr_t p = va, end = va + npages * PAGE_SIZE; p != end; p += PAGE_SIZE) {
		pfn_t f;
		unsigned from = mmu_read_tabled(p, &f);

		if (from == PS_PRESENT) {
			keep_present(p, f, traced);
			kept++;
		} else if (from == PS_ZERO) {
			pagestate_change(p, from, PS_AOW, PFN_NONE, PC_FREE);
			dropped++;
		}
	}
	if (kept && !traced)
		pagestate_count_many(PS_PRESENT, PS_KEPT, kept);
	if (kept || dropped)
		platform_tlb_shootdown();	/* nothing with one CPU */
	return kept;
}

void vm_reuse(uintptr_t va, size_t npages)
{
	size_t reused = 0;
	bool traced = pagestate_traced();

	KASSERT(!npages || (pagestate_watched(va) && pagestate_watched(va + (npages - 1) * PAGE_SIZE)));
	for (uintptr_t p = va, end = va + npages * PAGE_SIZE; p != end; p += PAGE_SIZE) {
		pfn_t f;

		if (mmu_read_tabled(p, &f) != PS_KEPT)
			continue;
		if (traced)
			pagestate_change(p, PS_KEPT, PS_PRESENT, f, PC_REUSE);
		else
			mmu_set_absent(p, PS_PRESENT, f);	/* KEPT is not present: no invlpg */
		reused++;
	}
	if (reused && !traced)
		pagestate_count_many(PS_KEPT, PS_PRESENT, reused);
}
