/*
 * Scavenger passes (policy in mm/scavenge.h, figures in docs/scavenger.md).
 * A pass runs with the heap lock held, so no allocation can take a page
 * out of a free run while the pass releases it.  The pass decides how far
 * to go; the core walks the runs and releases each page.
 */
#include "mm/scavenge.h"
#include "mm/heap_int.h"
#include "mm/magazine_int.h"
#include "mm/trace.h"
#include "mm/tracepages.h"

static struct scav_config cfg;
static struct scav_stats stats;
/*
 * No pass storms: true when the last pass that returned the kept empty
 * slabs left no KEPT page in free space.  Until something is freed
 * (the freed-bytes counter, which every pass resets, leaves 0), no page
 * can become a KEPT free page nor a kept empty slab, so a pass could
 * release nothing: it is not run (stats.skipped_dry).
 */
static bool dry;

static const char *const trigger_names[SCAV_TRIGGERS] = {
	"pressure", "alloc-failed", "explicit", "background",
};

const char *scavenge_trigger_name(unsigned t)
{
	return t < SCAV_TRIGGERS ? trigger_names[t] : "invalid";
}

static size_t reclaim(size_t want, enum heap_reclaim_why why);

void scavenge_init(const struct scav_config *c)
{
	cfg = *c;
	memset(&stats, 0, sizeof(stats));
	dry = false;
	heap_set_reclaim_hook(reclaim);
}

void scavenge_get_config(struct scav_config *c) { *c = cfg; }
void scavenge_set_config(const struct scav_config *c) { cfg = *c; }

/*
 * scavtrace=1: one line per pass, what it found and what it left.  The
 * utilisation is live bytes over the heap's resident bytes.
 */
static void log_pass(size_t released, uint64_t cyc)
{
	size_t c[PS_COUNT], resident;
	struct frame_stats fs;
	uint64_t n = 0;

	pagestate_counts(c);
	frame_stats(&fs);
	resident = c[PS_PRESENT] + c[PS_KEPT];		/* the heap's frames, free ones kept */
	for (unsigned t = 0; t < SCAV_TRIGGERS; t++)
		n += stats.passes[t];
	kprintf("scav: #%llu %s: released %zu pages, resident %zu (%zu free), frames free %u, "
		"live %zu bytes, utilisation %zu%%, counter was %zu bytes, %llu cycles",
		(unsigned long long)n, trigger_names[stats.last_trigger], released,
		resident, heap.free_present, (unsigned)fs.free, heap.live_bytes,
		resident ? (size_t)((uint64_t)heap.live_bytes * 100 / ((uint64_t)resident * PAGE_SIZE)) : 0,
		stats.last_counter_before, (unsigned long long)cyc);
}

static size_t pass_locked(size_t want, size_t visit_limit, unsigned trigger)
{
	struct frame_stats fs;
	uint64_t t0 = cycles();
	struct release_count c = { 0, 0, 0 };

	HEAP_ASSERT_LOCKED();
	/*
	 * Magazines first, so what they give back can go in this pass; and
	 * before the dry test, since what they give the slabs counts as
	 * freed (a free into a magazine does not, mm/magazine_int.h).
	 */
	mag_reclaim(trigger == SCAV_EXPLICIT || trigger == SCAV_ALLOC_FAILED);
	if (dry && heap.freed_since_check == 0) {
		stats.skipped_dry++;
		return 0;
	}
	if (TRACE_ON(TR_SCAV))
		trace_event(TR_SCAV, "scav-begin", "trigger=%s want=%zu", trigger_names[trigger], want);
	stats.last_counter_before = heap_take_freed();
	if (trigger != SCAV_BACKGROUND)
		slab_release_empty();	/* background leaves the kept slabs be */
	if (want)
		c = heap_release_warm(want, visit_limit,
				      trigger == SCAV_EXPLICIT ? PC_EXPLICIT : PC_SCAVENGE);
	dry = trigger != SCAV_BACKGROUND && heap.free_present == 0;
	frame_stats(&fs);
	stats.passes[trigger]++;
	stats.pages_released += c.frames;
	stats.zero_dropped += c.zero;
	stats.last_released = c.frames;
	stats.last_free_after = fs.free;
	stats.last_trigger = trigger;
	stats.cycles += cycles() - t0;
	if (TRACE_ON(TR_SCAV))
		trace_scav(trigger_names[trigger], stats.last_counter_before, c.frames, c.zero,
			   cycles() - t0, fs.free);
	if (TRACE_ON(TR_STATS)) {
		size_t bytes, allocs;

		mag_live(&bytes, &allocs);	/* as callers hold them, like kheap_stats */
		trace_stats(bytes, allocs);
	}
	if (cfg.log_passes)
		log_pass(c.frames, cycles() - t0);
	return c.frames;
}

/* Pages to release to bring unpromised free frames up to the high mark. */
static size_t to_high(void)
{
	struct frame_stats fs;
	size_t avail;

	frame_stats(&fs);
	avail = fs.available;
	return avail < fs.high ? fs.high - avail : 0;
}

static size_t run_pass(size_t want, size_t visit_limit, unsigned trigger)
{
	unsigned long f = heap_lock();
	size_t n = pass_locked(want, visit_limit, trigger);

	heap_unlock(f);
	return n;
}

size_t kheap_scavenge(size_t limit)
{
	return run_pass(limit, SIZE_MAX, SCAV_EXPLICIT);
}

static bool frames_low(void)
{
	struct frame_stats fs;

	frame_stats(&fs);
	return fs.available < fs.low;
}

/*
 * The core's reclaim hook (heap lock held).  An allocation that failed
 * gets a pass at once, for what it needs or up to the high mark; one that
 * committed pages gets a pressure pass if frames are low and enough was
 * freed since the last.
 */
static size_t reclaim(size_t want, enum heap_reclaim_why why)
{
	HEAP_ASSERT_LOCKED();
	if (why == HR_ALLOC_FAILED)
		return pass_locked(MAX(want, to_high()), SIZE_MAX, SCAV_ALLOC_FAILED);
	if (frames_low() && heap.freed_since_check >= cfg.threshold_bytes && heap.free_present)
		return pass_locked(to_high(), SIZE_MAX, SCAV_PRESSURE);
	return 0;
}

void scavenge_on_pressure(bool failed)
{
	if (TRACE_ON(TR_PRESSURE)) {
		struct frame_stats fs;

		frame_stats(&fs);
		trace_pressure(fs.available, fs.low, fs.high, failed);
	}
	if (heap_held()) {		/* never by design: see mm/scavenge.h */
		stats.skipped_locked++;
		return;
	}
	if (!failed && heap.freed_since_check < cfg.threshold_bytes) {
		stats.skipped_below_threshold++;
		return;
	}
	run_pass(to_high(), SIZE_MAX, failed ? SCAV_ALLOC_FAILED : SCAV_PRESSURE);
}

size_t scavenge_excess(void)
{
	size_t resident = heap.free_present;
	size_t retain = MAX(cfg.bg_retain_pages,
			    heap.live_bytes / PAGE_SIZE * cfg.bg_retain_live_pct / 100);

	return resident > retain ? resident - retain : 0;
}

void scavenge_tick(void)
{
	size_t excess;

	if (heap_held())		/* interrupts are off while it is held: never */
		return;
	excess = scavenge_excess();
	if (!cfg.bg_pages_per_tick || !excess)
		return;
	run_pass(MIN(cfg.bg_pages_per_tick, excess),
		 4 * cfg.bg_pages_per_tick, SCAV_BACKGROUND);
}

void scavenge_stats(struct scav_stats *st)
{
	*st = stats;
}

void scavenge_print_stats(void)
{
	kprintf("scavenger: passes %llu pressure, %llu alloc-failed, %llu explicit, %llu background; "
		"%llu pages released, %llu zero pages dropped, %llu skipped (lock held), "
		"%llu skipped (nothing to release), %llu cycles",
		(unsigned long long)stats.passes[SCAV_PRESSURE],
		(unsigned long long)stats.passes[SCAV_ALLOC_FAILED],
		(unsigned long long)stats.passes[SCAV_EXPLICIT],
		(unsigned long long)stats.passes[SCAV_BACKGROUND],
		(unsigned long long)stats.pages_released, (unsigned long long)stats.zero_dropped,
		(unsigned long long)stats.skipped_locked, (unsigned long long)stats.skipped_dry,
		(unsigned long long)stats.cycles);
	kprintf("scavenger: last pass (%s): counter was %zu bytes, released %zu, %zu frames free after",
		scavenge_trigger_name(stats.last_trigger), stats.last_counter_before,
		stats.last_released, stats.last_free_after);
}
