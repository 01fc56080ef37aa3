/*
 * Snapshots and figures of the traced region (mm/tracepages.h; line
 * format in docs/trace-format.md).  Each reads the page states and writes
 * its lines in one trace-lock section, where no traced page change of
 * another CPU can come between (mm/pagestate_int.h); the heap's own
 * changes are kept out by the heap lock its callers hold.
 */
#include "mm/tracepages.h"
#include "mm/trace.h"
#include "mm/pagestate.h"
#include "mm/frame.h"

void trace_stats(trace_live_fn live)
{
	size_t c[PS_COUNT], live_bytes, live_allocs;
	struct frame_stats fs;
	unsigned long f;

	if (!TRACE_ON(TR_STATS))
		return;
	frame_stats(&fs);		/* the frame lock comes before the trace lock */
	f = trace_hold();		/* no traced page change between the counts and the line */
	live(&live_bytes, &live_allocs);
	pagestate_counts(c);
	trace_event(TR_STATS, "stats", "present=%zu zero=%zu aow=%zu live_bytes=%zu live_allocs=%zu "
		    "frames_free=%u frames_reserved=%u frames_cached=%u frames_used=%u low=%u high=%u",
		    c[PS_PRESENT], c[PS_ZERO], c[PS_AOW], live_bytes, live_allocs,
		    (unsigned)fs.free, (unsigned)fs.reserved, (unsigned)fs.cached, (unsigned)fs.used,
		    (unsigned)fs.low, (unsigned)fs.high);
	trace_release(f);
}

struct run_text { char s[48]; int len; bool present; };

/* The run of the snapshot that starts at page i, as text; its length in pages. */
static size_t format_run(uintptr_t base, size_t pages, size_t i, struct run_text *r)
{
	uintptr_t va = base + i * PAGE_SIZE;
	unsigned st = mmu_state(va);
	size_t n = 1;

	r->present = st == PS_PRESENT;
	if (st == PS_PRESENT || st == PS_KEPT) {	/* one page a run: its own frame */
		r->len = snprintf(r->s, sizeof(r->s), " %s:1@%#lx", pagestate_name(st),
				  (unsigned long)mmu_frame(va));
		return 1;
	}
	while (i + n < pages && mmu_state(va + n * PAGE_SIZE) == st)
		n++;
	r->len = snprintf(r->s, sizeof(r->s), " %s:%zu", pagestate_name(st), n);
	return n;
}

void trace_snapshot(const char *why)
{
	char buf[200];
	struct run_text r;
	size_t len = 0, present = 0, pages;
	uintptr_t base;
	unsigned long f;

	if (!TRACE_ON(TR_PAGES))
		return;
	pages = trace_region(&base);
	f = trace_hold();		/* one section: no traced page change inside it */
	trace_event(TR_PAGES, "snap-begin", "why=%s base=%#lx pages=%zu", why, (unsigned long)base, pages);
	for (size_t i = 0; i < pages;) {
		i += format_run(base, pages, i, &r);
		present += r.present;
		if (len + r.len >= sizeof(buf) - 1) {
			trace_event(TR_PAGES, "snap", "%s", buf + 1);
			len = 0;
		}
		memcpy(buf + len, r.s, r.len + 1);
		len += r.len;
	}
	if (len)
		trace_event(TR_PAGES, "snap", "%s", buf + 1);
	trace_event(TR_PAGES, "snap-end", "present=%zu", present);
	trace_release(f);
}
