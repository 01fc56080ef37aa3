/*
 * Trace records of the traced region's pages as a whole: a run-length
 * snapshot of every page's state, and the heap's figures (the stats
 * event).  Above mm/pagestate.h and mm/frame.h, whose state they read;
 * below the heap, which passes its own counters in.
 *
 * Context: any but the fault path; a snapshot runs with interrupts off so
 * no paced pass changes a page in the middle of it.
 */
#ifndef MM_TRACEPAGES_H
#define MM_TRACEPAGES_H

#include "mm/platform.h"

/* The stats event: page counts and frames read here, the heap's counters given. */
void trace_stats(size_t live_bytes, size_t live_allocs);
/* snap-begin, runs of "STATE:count" (PRESENT pages one by one, with frames), snap-end. */
void trace_snapshot(const char *why);

#endif
