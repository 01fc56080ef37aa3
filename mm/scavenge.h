/*
 * The scavenger: gives back the frames of free heap pages, after "Virtual
 * allocator and paging design" (OSDev forum): a count of the bytes freed
 * since the last check, a scan of the free areas through the allocator's
 * own metadata, pages reverted to allocate-on-write.  It is policy only:
 * the walk and the release of a page are the heap core's (mm/heapwalk.c).
 *
 * What it walks: the warm free runs of the core (largest size buckets
 * first, oldest run first within each), after returning kept empty slabs
 * to page level.  Never every PTE of the region, never a committed page:
 * every page of a free run lies wholly in free space (metadata is out of
 * band), so interior pages of a free area go back as well as its edges.
 * A released PRESENT page turns AOW, its TLB entry invalidated before the
 * frame is freed; a ZERO page turns AOW.
 *
 * When it runs:
 *  - pressure: a frame allocation leaves free frames below the low
 *    watermark; runs only if the freed-since-last-check counter reached the
 *    threshold, and releases until free frames reach the high watermark;
 *  - failure: an allocation (a frame, or kmalloc's frame promise) failed:
 *    runs at once (kmalloc asks through the core's reclaim hook, which
 *    scavenge_init registers, so the API never calls the scavenger);
 *  - explicit: kheap_scavenge(limit);
 *  - background: up to a budget of pages a tick, while the heap holds more
 *    free-but-resident pages than a target (a floor, or a share of the
 *    live bytes when that is more: a cushion that grows with the heap's
 *    use, so a steady churn reuses resident pages instead of refaulting).
 * Every pass resets the counter, so pressure does not run it again until
 * something new is freed (hysteresis).
 *
 * Deadlock freedom: a pass takes the heap lock.  Under that lock only
 * metadata pages can fault, and they hold frame reservations, so nothing
 * that runs with the lock held ever calls frame_alloc and its pressure
 * hook.  Should that change, the hook finds the lock held and skips the
 * pass (counted in skipped_locked) rather than deadlock.
 */
#ifndef MM_SCAVENGE_H
#define MM_SCAVENGE_H

#include "mm/platform.h"

enum scav_trigger {
	SCAV_PRESSURE, SCAV_ALLOC_FAILED, SCAV_EXPLICIT, SCAV_BACKGROUND, SCAV_TRIGGERS
};

struct scav_config {
	size_t threshold_bytes;		/* freed bytes before pressure may run a pass */
	size_t bg_pages_per_tick;	/* 0: no background passes */
	size_t bg_retain_pages;		/* background leaves this many free pages resident, */
	size_t bg_retain_live_pct;	/* or this percent of the live bytes' pages if more */
	bool log_passes;		/* a log line per pass (scavtrace=1) */
	uint32_t decay_ms;		/* free pages stay resident this long (scavenge_decay); 0: no decay */
};

struct scav_stats {
	uint64_t passes[SCAV_TRIGGERS];
	uint64_t pages_released;	/* PRESENT -> AOW, frames given back */
	uint64_t zero_dropped;		/* ZERO -> AOW */
	uint64_t skipped_locked, skipped_below_threshold;
	uint64_t skipped_dry;		/* passes not run: nothing freed since one left nothing */
	uint64_t cycles;		/* rdtsc spent in passes (guest instructions under -icount) */
	uint64_t meta_released;		/* descriptor pages offered back by idle passes */
	size_t last_counter_before, last_released, last_free_after;
	unsigned last_trigger;
};

/* Set the policy and register it as the heap core's reclaim hook. */
void scavenge_init(const struct scav_config *cfg);
void scavenge_get_config(struct scav_config *cfg);
void scavenge_set_config(const struct scav_config *cfg);	/* keeps the figures */
/* Explicit pass: release up to limit pages; returns how many. */
size_t kheap_scavenge(size_t limit);
/* The frame allocator's pressure hook. */
void scavenge_on_pressure(bool failed);
/* The timer tick's background pass. */
void scavenge_tick(void);
/* Free resident heap pages beyond the background target (0 when within it). */
size_t scavenge_excess(void);
/*
 * The background pass on the decay schedule (docs/scavenger.md, "Decay"),
 * at time now_ms (milliseconds from any origin, never going back: the
 * caller's clock, so mm/ reads none): notes the free resident pages that
 * appeared since the last call, releases those beyond the cushion that
 * were noted decay_ms ago or longer, and once nothing was freed for a
 * whole decay time, everything (an explicit pass: the cushion, the kept
 * empty slabs, the depot).  Returns the milliseconds until a page's time
 * comes (0: nothing waits).  With decay_ms 0 it is scavenge_tick's
 * pass, run even with nothing beyond the cushion (the depot's trim).
 */
uint64_t scavenge_decay(uint64_t now_ms);
void scavenge_stats(struct scav_stats *st);
void scavenge_print_stats(void);
const char *scavenge_trigger_name(unsigned t);

#endif
