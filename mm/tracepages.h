/*
 * Trace records of the traced region's pages as a whole: a run-length
 * snapshot of every page's state, and the heap's figures (the stats
 * event).  Above mm/pagestate.h and mm/frame.h, whose state they read;
 * below the heap, which passes its own counters in.
 *
 * Context: any but the fault path, with the heap lock held (kheap_trace_stats,
 * kheap_trace_snapshot, a scavenger pass), so no heap-lock holder changes
 * a page or a live count meanwhile; the reading and the lines are one
 * trace-lock section, so no traced fault of another CPU does either.
 * A snapshot and a stats line's page counts are therefore exact on any
 * number of CPUs; its live figures may count a magazine hit of another
 * CPU (no shared lock) whose line comes next (docs/trace-format.md, rule 18).
 */
#ifndef MM_TRACEPAGES_H
#define MM_TRACEPAGES_H

#include "mm/platform.h"

/*
 * The stats event: page counts and frames read here, the live figures by
 * live(), called inside the trace lock's section, so that an object a
 * magazine hit on another CPU moves is counted on the side of the line its
 * own trace line is on, or of the one right after it.
 */
typedef void (*trace_live_fn)(size_t *live_bytes, size_t *live_allocs);
void trace_stats(trace_live_fn live);
/* snap-begin, runs of "STATE:count" (PRESENT pages one by one, with frames), snap-end. */
void trace_snapshot(const char *why);

#endif
