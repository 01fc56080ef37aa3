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

/* The decay schedule's state (see "The decay schedule" below). */
#define DECAY_STEPS 8
#define DECAY_SLOTS (DECAY_STEPS + 2)	/* a step ends, decay_ms more, the current step */

static struct decay_slot { uint64_t step; size_t pages; } slots[DECAY_SLOTS];
static size_t recent;		/* pages within their decay time, as of the last call */
static size_t seen;		/* heap.free_present after the last call */
static size_t freed_mark;	/* heap.freed_since_check after the last call */
static uint64_t active_at;	/* the last call that found something freed */
static bool idle_done;		/* the whole-heap pass after a quiet decay time ran */
static bool idle_pass;		/* that pass is running: unused descriptor pages go too,
				   and the page descriptors inside free runs */
static size_t trim_rise;	/* free resident pages the last pass's magazine trim made */

static const struct meta_release platform_release = {
	platform_meta_release, platform_state_release,
};

static const char *const trigger_names[SCAV_TRIGGERS] = {
	"pressure", "alloc-failed", "explicit", "background",
};

const char *scavenge_trigger_name(unsigned t)
{
	return t < SCAV_TRIGGERS ? trigger_names[t] : "invalid";
}

static size_t reclaim(size_t want, enum heap_reclaim_why why);
static void decay_reset(void);

void scavenge_init(const struct scav_config *c)
{
	cfg = *c;
	memset(&stats, 0, sizeof(stats));
	dry = false;
	decay_reset();
	heap_set_reclaim_hook(reclaim);
}

void scavenge_get_config(struct scav_config *c) { *c = cfg; }

/* A new decay time starts the schedule afresh: its steps are of another length. */
void scavenge_set_config(const struct scav_config *c)
{
	bool fresh = c->decay_ms != cfg.decay_ms;

	cfg = *c;
	if (fresh)
		decay_reset();
}

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
	size_t present = heap.free_present;

	HEAP_ASSERT_LOCKED();
	/*
	 * Magazines first, so what they give back can go in this pass; and
	 * before the dry test, since what they give the slabs counts as
	 * freed (a free into a magazine does not, mm/magazine_int.h).
	 */
	if (idle_pass || trigger == SCAV_ALLOC_FAILED)
		mag_take_prevs();	/* other caches' too: what they pin goes */
	mag_reclaim(trigger == SCAV_EXPLICIT || trigger == SCAV_ALLOC_FAILED);
	trim_rise = heap.free_present > present ? heap.free_present - present : 0;
	if (dry && heap.freed_since_check == 0) {
		stats.skipped_dry++;
		return 0;
	}
	if (TRACE_ON(TR_SCAV))
		trace_event(TR_SCAV, "scav-begin", "trigger=%s want=%zu", trigger_names[trigger], want);
	stats.last_counter_before = heap_take_freed();
	if (trigger != SCAV_BACKGROUND)
		slab_release_empty();	/* background leaves the kept slabs be */
	if (idle_pass)
		slab_release_descriptors();	/* their pages go in this pass */
	if (want)
		c = heap_release_warm(want, visit_limit,
				      trigger == SCAV_EXPLICIT ? PC_EXPLICIT : PC_SCAVENGE);
	if (idle_pass)			/* every run cold now: the platform's states go too */
		stats.meta_released += freerun_release_meta(&platform_release);
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
	if (TRACE_ON(TR_STATS))
		trace_stats(mag_live);		/* the heap lock held, as mag_live needs */
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

/* Every committing kmalloc asks: frame_below_low, not frame_stats, which walks every CPU's cache. */
static bool frames_low(void)
{
	return frame_below_low();
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

/*
 * The decay schedule.  Each call of scavenge_decay notes the free
 * resident pages that appeared since the last call (the rise of
 * heap.free_present) in the slot of its step (decay_ms / DECAY_STEPS
 * long); a slot's pages count as recent until decay_ms after its step
 * ends, so a page is kept at least decay_ms after it was noted and at
 * most a step longer.  The pages a call found beyond the target are not
 * noted: they were noted when they appeared.  Those its own pass freed
 * (the depot trim gives full magazines' objects back, emptying slabs)
 * appeared after the note: they are noted when the pass is done.  A step, not a curve: a heap
 * that grows back at any time within decay_ms finds every page it freed.
 * Callers read their clock before they take the heap lock, so a time may
 * come in earlier than the last call's: it counts as that call's (else
 * now - active_at would wrap to a quiet time and its slot, ten steps
 * back, would wipe the later step's pages).
 */

static void decay_reset(void)
{
	memset(slots, 0, sizeof(slots));
	recent = seen = freed_mark = 0;
	active_at = 0;
	idle_done = true;
}

static uint64_t step_ms(void) { return (cfg.decay_ms + DECAY_STEPS - 1) / DECAY_STEPS; }

/* When the pages of a slot stop counting as recent. */
static uint64_t slot_due(const struct decay_slot *s) { return (s->step + 1) * step_ms() + cfg.decay_ms; }

static void note_pages(uint64_t now, size_t n)
{
	struct decay_slot *s = &slots[now / step_ms() % DECAY_SLOTS];

	if (s->step != now / step_ms())
		*s = (struct decay_slot){ now / step_ms(), 0 };
	s->pages += n;
}

/* Drop the slots whose time has come; the pages the others hold. */
static size_t count_recent(uint64_t now)
{
	size_t n = 0;

	for (unsigned i = 0; i < DECAY_SLOTS; i++) {
		if (slots[i].pages && slot_due(&slots[i]) <= now)
			slots[i].pages = 0;
		n += slots[i].pages;
	}
	return n;
}

/* Milliseconds until the next slot or the quiet time runs out (0: none). */
static uint64_t next_due(uint64_t now)
{
	uint64_t due = idle_done ? UINT64_MAX : active_at + cfg.decay_ms;

	for (unsigned i = 0; i < DECAY_SLOTS; i++)
		if (slots[i].pages)
			due = MIN(due, slot_due(&slots[i]));
	return due == UINT64_MAX ? 0 : due > now ? due - now : 1;
}

size_t scavenge_excess(void)
{
	size_t resident = heap.free_present;
	size_t retain = MAX(cfg.bg_retain_pages,
			    heap.live_bytes / PAGE_SIZE * cfg.bg_retain_live_pct / 100);

	retain = MAX(retain, recent);
	return resident > retain ? resident - retain : 0;
}

/*
 * The background pass of a decay call, run even when nothing lies beyond
 * the target: it also ends the magazines' working-set interval (the depot
 * trim) and resets the freed-bytes counter, which a heap that keeps its
 * pages for the decay time still needs at the usual pace.
 */
static void tick_locked(void)
{
	size_t excess = scavenge_excess();

	if (cfg.bg_pages_per_tick)
		pass_locked(MIN(cfg.bg_pages_per_tick, excess),
			    4 * cfg.bg_pages_per_tick, SCAV_BACKGROUND);
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

/* Note what appeared, count what is recent; true once the heap was quiet for decay_ms. */
static bool decay_note(uint64_t now)
{
	size_t rise = heap.free_present > seen ? heap.free_present - seen : 0;

	if (rise || heap.freed_since_check != freed_mark) {
		active_at = now;
		idle_done = false;
	}
	note_pages(now, rise);
	recent = count_recent(now);
	return !idle_done && now - active_at >= cfg.decay_ms;
}

uint64_t scavenge_decay(uint64_t now)
{
	unsigned long f;
	uint64_t wait = 0;

	if (heap_held())
		return 0;
	f = heap_lock();
	if (!cfg.decay_ms) {		/* the tick's pass, run with no excess too: the trim */
		tick_locked();
		heap_unlock(f);
		return 0;
	}
	now = MAX(now, active_at);	/* read before a wait for the lock: not before the last note */
	if (decay_note(now)) {
		idle_pass = true;
		pass_locked(SIZE_MAX, SIZE_MAX, SCAV_EXPLICIT);
		idle_pass = false;
		decay_reset();			/* nothing free is left to wait */
	} else {
		trim_rise = 0;
		tick_locked();
		note_pages(now, trim_rise);	/* freed after decay_note looked: noted here */
		recent = count_recent(now);
	}
	seen = heap.free_present;
	freed_mark = heap.freed_since_check;
	wait = next_due(now);
	heap_unlock(f);
	return wait;
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
