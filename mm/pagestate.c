/*
 * The page-state machine: the transition table and, once boot has laid
 * out its window (arch/x86/mmu.c mmu_init), the only writer of page-table
 * entries.  No locking of its own: callers hold whatever
 * protects the page they change (the heap lock, or interrupts off in the
 * fault path on this single CPU).
 */
#include "mm/pagestate.h"
#include "mm/frame.h"
#include "mm/trace.h"

static const char *const state_names[PS_COUNT] = {
	"UNUSABLE", "AOW", "PRESENT", "ZERO", "GUARD", "MMIO", "WIRED", "SWAPPED",
};

static const char *const cause_names[PC_COUNT] = {
	"boot", "write-fault", "read-fault", "scavenge", "explicit",
};

#define B(s) (1u << (s))
static const uint8_t allowed[PS_COUNT] = {
	[PS_UNUSABLE] = B(PS_AOW) | B(PS_GUARD) | B(PS_MMIO) | B(PS_WIRED),
	[PS_AOW]      = B(PS_PRESENT) | B(PS_ZERO) | B(PS_UNUSABLE),
	[PS_PRESENT]  = B(PS_AOW) | B(PS_UNUSABLE),
	[PS_ZERO]     = B(PS_PRESENT) | B(PS_AOW) | B(PS_UNUSABLE),
	[PS_GUARD]    = B(PS_UNUSABLE),
	[PS_MMIO]     = B(PS_UNUSABLE),
	[PS_WIRED]    = B(PS_UNUSABLE) | B(PS_GUARD),
	[PS_SWAPPED]  = 0,
};

static pfn_t the_zero_frame = PFN_NONE;
static uintptr_t watch_base;
static size_t watch_pages, counts[PS_COUNT];
static bool quiet;		/* vm_convert traces its runs itself */

void pagestate_watch(uintptr_t base, size_t npages)
{
	watch_base = base;
	watch_pages = npages;
	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < npages; i++)
		counts[mmu_state(base + i * PAGE_SIZE)]++;
}

void pagestate_watch_uniform(uintptr_t base, size_t npages, unsigned state)
{
	watch_base = base;
	watch_pages = npages;
	memset(counts, 0, sizeof(counts));
	counts[state] = npages;
	KASSERT(!npages || (mmu_state(base) == state && mmu_state(base + (npages - 1) * PAGE_SIZE) == state));
}

void pagestate_counts(size_t out[PS_COUNT])
{
	unsigned long f = irq_save();

	memcpy(out, counts, sizeof(counts));
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

pfn_t zero_frame(void) { return the_zero_frame; }
void pagestate_init(pfn_t zero) { the_zero_frame = zero; }

static void refuse(uintptr_t va, unsigned from, unsigned to, unsigned cause)
{
	panic("page state: illegal transition %s -> %s at %#lx (cause %s)",
	      pagestate_name(from), pagestate_name(to), (unsigned long)va,
	      pagestate_cause_name(cause));
}

/* Page events (docs/trace-format.md): this file knows the names, the trace only writes. */
static void trace_page(uintptr_t va, unsigned from, unsigned to, pfn_t frame, unsigned cause)
{
	char fs[16] = "-";

	if (frame != PFN_NONE)
		snprintf(fs, sizeof(fs), "%#lx", (unsigned long)frame);
	trace_event(TR_PAGES, "page", "%#lx %s %s %s %s", (unsigned long)va, pagestate_name(from),
		    pagestate_name(to), fs, pagestate_cause_name(cause));
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
	KASSERT(pagestate_is_mapped(to) == (frame != PFN_NONE));
	KASSERT(to != PS_ZERO || frame == the_zero_frame);
	if (va - watch_base < watch_pages * PAGE_SIZE) {
		counts[from]--;
		counts[to]++;
		if (TRACE_ON(TR_PAGES) && !quiet)	/* the frame mapped, or the one let go */
			trace_page(va, from, to, frame != PFN_NONE ? frame :
				   from == PS_PRESENT ? mmu_frame(va) : PFN_NONE, cause);
	}
	mmu_set(va, to, frame);
}

size_t vm_convert(uintptr_t va, size_t npages, unsigned to, unsigned cause)
{
	size_t i, freed = 0;

	KASSERT(to == PS_AOW || to == PS_UNUSABLE || to == PS_GUARD);
	for (i = 0; i < npages; i++) {
		unsigned from = mmu_state(va + i * PAGE_SIZE);

		if (from != to && !pagestate_allowed(from, to))
			refuse(va + i * PAGE_SIZE, from, to, cause);
	}
	/* Frameless pages are traced as runs ("pages" events); PRESENT ones one by one. */
	size_t run = 0;
	unsigned run_from = PS_COUNT;

	for (i = 0; i <= npages; i++) {
		uintptr_t p = va + i * PAGE_SIZE;
		unsigned from = i < npages ? mmu_state(p) : PS_COUNT;
		pfn_t f;

		if (run && from != run_from) {	/* run_from is never `to` nor PRESENT */
			if (TRACE_ON(TR_PAGES) && trace_in_region(p - run * PAGE_SIZE))
				trace_pages(p - run * PAGE_SIZE, run, run_from, to, cause);
			run = 0;
		}
		if (i == npages || from == to)
			continue;
		f = mmu_frame(p);
		quiet = from != PS_PRESENT;
		page_set_state(p, to, PFN_NONE, cause);
		quiet = false;
		if (from == PS_PRESENT) {
			frame_free(f);
			freed++;
		} else {
			run_from = from;
			run++;
		}
	}
	return freed;
}
