/*
 * The scavenger's decay schedule (scavenge_decay, mm/scavenge.h): a free
 * page stays resident for the decay time after it was noted, at most a
 * step (decay_ms / 8) longer; then what lies beyond the cushion goes, and
 * once nothing was freed for a whole decay time, everything.  The clock
 * is the caller's argument, so these cases give it made-up times: no
 * sleeping, no wall clock, the same on the host and in the kernel.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/pagestate.h"
#include "mm/heap_int.h"		/* white box: the size of a slab descriptor */
#include "mm/magazine_int.h"	/* white box: MAG_ROUNDS */

#define DECAY 800			/* ms: steps of 100 */
#define STEP (DECAY / 8)
#define CUSHION 16

static struct scav_config saved;

/* The schedule on its own: no timer-tick pass (interrupts off), a fresh start. */
static unsigned long decay_begin(uint32_t decay_ms)
{
	struct scav_config cfg;
	unsigned long irq = irq_save();

	kheap_scavenge(SIZE_MAX);
	scavenge_get_config(&saved);
	cfg = saved;
	cfg.decay_ms = decay_ms;
	cfg.bg_pages_per_tick = 1u << 20;
	cfg.bg_retain_pages = CUSHION;
	cfg.bg_retain_live_pct = 0;
	scavenge_set_config(&cfg);
	return irq;
}

static void decay_end(unsigned long irq)
{
	scavenge_set_config(&saved);
	irq_restore(irq);
}

static size_t free_resident(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return st.free_resident;
}

/* A block of n pages, every page written (resident). */
static void *written(size_t n)
{
	void *p = kmalloc(n * PAGE_SIZE);

	if (p)
		memset(p, 0x5a, n * PAGE_SIZE);
	return p;
}

/* A fresh heap under the decay schedule, 32 written pages just freed (false: no 32 pages). */
static bool freed_under_decay(unsigned long *irq)
{
	void *a;

	ktest_heap_setup();
	a = written(32);
	if (!a)
		return false;
	*irq = decay_begin(DECAY);
	kfree(a);
	return true;
}

TEST(decay_keeps_freed_pages_for_the_decay_time_then_the_cushion)
{
	void *a, *b, *keep;
	unsigned long irq;
	uint64_t wait;

	ktest_heap_setup();
	keep = kmalloc(PAGE_SIZE);		/* something live: not a heap that empties */
	a = written(32);
	b = written(8);
	CHECK(keep && a && b);
	irq = decay_begin(DECAY);
	CHECK(free_resident() == 0);
	kfree(a);
	wait = scavenge_decay(1000);		/* a noted in the step of 1000-1099 */
	CHECKF(free_resident() == 32, "%zu free resident pages right after the free", free_resident());
	CHECKF(wait == DECAY, "next time in %llu ms: the quiet time's end", (unsigned long long)wait);
	kfree(b);
	CHECK(scavenge_decay(1500) != 0);	/* b noted in 1500-1599 */
	CHECK(scavenge_decay(1000 + DECAY - 1) != 0);
	CHECKF(free_resident() == 40, "%zu free resident pages before a's time", free_resident());
	CHECK(scavenge_decay(1100 + DECAY - 1) != 0);
	CHECKF(free_resident() == 40, "%zu free resident pages a step later", free_resident());
	wait = scavenge_decay(1100 + DECAY);	/* a's time: beyond the cushion goes */
	CHECKF(free_resident() == CUSHION, "%zu free resident pages after a's time, cushion %d",
	       free_resident(), CUSHION);
	CHECKF(wait == 1500 + DECAY - (1100 + DECAY), "then %llu ms to wait", (unsigned long long)wait);
	CHECK(scavenge_decay(1500 + DECAY - 1) != 0);
	CHECKF(free_resident() == CUSHION, "%zu free resident pages before the quiet time ends",
	       free_resident());
	CHECK(scavenge_decay(1500 + DECAY) == 0);	/* quiet since b: everything, nothing waits */
	CHECKF(free_resident() == 0, "%zu free resident pages after a quiet decay time", free_resident());
	decay_end(irq);
	kfree(keep);
	CHECK(kheap_check() && frame_audit());
}

TEST(decay_regrowth_within_the_time_reuses_resident_pages)
{
	struct kheap_stats s0, s1;
	unsigned long irq;
	void *a;

	CHECK(freed_under_decay(&irq));
	scavenge_decay(5000);
	scavenge_decay(5000 + DECAY - 1);	/* shrunk for almost the decay time */
	kheap_stats(&s0);
	a = written(32);
	kheap_stats(&s1);
	CHECK(a);
	CHECKF(s1.faults_write_aow == s0.faults_write_aow,
	       "%llu pages faulted again on regrowth",
	       (unsigned long long)(s1.faults_write_aow - s0.faults_write_aow));
	CHECK(free_resident() == 0);
	kfree(a);
	decay_end(irq);
	CHECK(kheap_check());
}

/*
 * Two callers, one clock: a caller that read the time, then waited for
 * the heap lock while another noted frees at a later time, brings a time
 * from before them.  It is no quiet time (now - active_at would wrap)
 * and no older step (its slot is the later one's, ten steps on): the
 * pages keep their decay time, and the quiet time still ends on time.
 */
TEST(decay_a_clock_read_before_another_callers_is_no_quiet_time)
{
	unsigned long irq;

	CHECK(freed_under_decay(&irq));
	CHECK(scavenge_decay(5000) != 0);	/* a noted in the step of 5000-5099 */
	CHECK(scavenge_decay(5000 - 10 * STEP) != 0);	/* read before, slot of the same index */
	CHECKF(free_resident() == 32, "%zu free resident pages after a late call with an early clock",
	       free_resident());
	CHECK(scavenge_decay(5000 + DECAY - 1) != 0);
	CHECKF(free_resident() == 32, "%zu free resident pages before the decay time", free_resident());
	CHECK(scavenge_decay(5000 + DECAY) == 0);	/* quiet since a: everything */
	CHECKF(free_resident() == 0, "%zu free resident pages after a quiet decay time", free_resident());
	decay_end(irq);
	CHECK(kheap_check() && frame_audit());
}

TEST(decay_off_releases_beyond_the_cushion_at_once)
{
	unsigned long irq;
	void *a;

	ktest_heap_setup();
	a = written(32);
	CHECK(a);
	irq = decay_begin(0);
	kfree(a);
	CHECK(scavenge_decay(1000) == 0);	/* the plain background tick */
	CHECKF(free_resident() == CUSHION, "%zu free resident pages with no decay", free_resident());
	decay_end(irq);
	CHECK(kheap_check());
}

/*
 * The pass after a quiet decay time gives back the metadata pages whose
 * slab descriptors are all unused: up to a thousand one-page slabs (2000-byte
 * objects, two a page; the pass empties the magazines first) freed leave at most
 * the descriptor page they shared with what was there before (an eighth
 * of the region on a small machine: 16 MiB of RAM has a 4 MiB heap).
 */
#define NSLABS 1000

static void *slabobj[2 * NSLABS];

/* How many 2000-byte objects the case takes: two to a page, an eighth of the region. */
static size_t slab_case_objects(const struct kheap_stats *st)
{
	return MIN((size_t)2 * NSLABS, st->pages / 4);
}

TEST(decay_idle_pass_frees_the_pages_of_unused_slab_descriptors)
{
	struct kheap_stats before, grown, after;
	unsigned long irq;
	size_t n;

	ktest_heap_setup();
	mag_set_enabled(false);		/* cached 2048-byte objects would serve some kmallocs */
	mag_set_enabled(true);
	kheap_stats(&before);
	n = slab_case_objects(&before);
	for (size_t i = 0; i < n; i++)
		CHECK((slabobj[i] = kmalloc(2000)) != NULL);
	kheap_stats(&grown);
	CHECKF(grown.meta_pages >= before.meta_pages + n / 2 / (PAGE_SIZE / sizeof(struct slab)),
	       "%zu metadata pages for %zu slabs, %zu before", grown.meta_pages, n / 2,
	       before.meta_pages);
	irq = decay_begin(DECAY);
	for (size_t i = 0; i < n; i++)
		kfree(slabobj[i]);
	CHECK(scavenge_decay(1000) != 0);	/* the frees noted: quiet from here */
	scavenge_decay(1000 + DECAY);		/* a whole quiet decay time: the idle pass */
	kheap_stats(&after);
	CHECKF(after.meta_pages <= before.meta_pages + 1, "%zu metadata pages left (%zu before)",
	       after.meta_pages, before.meta_pages);
	decay_end(irq);
	CHECK(kheap_check());
}

/*
 * Pages that a background pass's depot trim frees (the objects of full
 * magazines no cache asked for, back to their one-page slabs) appear
 * after the call noted what was free: they are noted then, and kept for
 * the decay time as any freed page.
 */
#define TRIMMED 64			/* 4096-byte objects: 16 magazines of 4 */

/* A fresh heap, its magazines empty, and TRIMMED written 4096-byte objects in slabobj. */
static bool written_objects(void)
{
	ktest_heap_setup();
	mag_set_enabled(false);		/* empty magazines: what they hold is the case's */
	mag_set_enabled(true);
	for (size_t i = 0; i < TRIMMED; i++) {
		slabobj[i] = kmalloc(PAGE_SIZE);
		if (!slabobj[i])
			return false;
		memset(slabobj[i], 0x5a, PAGE_SIZE);
	}
	return true;
}

TEST(decay_keeps_the_pages_a_depot_trim_frees_for_the_decay_time)
{
	unsigned long irq;
	size_t trimmed;

	CHECK(written_objects());
	irq = decay_begin(DECAY);
	for (size_t i = 0; i < TRIMMED; i++)
		kfree(slabobj[i]);		/* into magazines: the depot's full list */
	CHECK(free_resident() == 0);
	scavenge_decay(1000);			/* the first trim: the interval starts */
	scavenge_decay(1001);			/* nothing asked since: the depot's go */
	trimmed = free_resident();
	CHECKF(trimmed > CUSHION, "%zu free resident pages after the trim", trimmed);
	scavenge_decay(1000 + DECAY - 1);
	CHECKF(free_resident() == trimmed, "%zu free resident pages before the decay time, %zu "
	       "after the trim", free_resident(), trimmed);
	scavenge_decay(3000);			/* the idle pass: the slabs' descriptor pages go too */
	decay_end(irq);
	CHECK(kheap_check() && frame_audit());
}

/*
 * With no decay the call is the background tick's pass, and it runs with
 * nothing free beyond the cushion too: frees that all went into
 * magazines leave no free page, and the depot is still trimmed.
 */
TEST(decay_off_still_trims_the_depot)
{
	struct kheap_stats st;
	unsigned long irq;

	CHECK(written_objects());
	irq = decay_begin(0);
	for (size_t i = 0; i < TRIMMED; i++)
		kfree(slabobj[i]);
	CHECK(scavenge_excess() == 0);		/* nothing beyond the cushion */
	scavenge_decay(1000);
	scavenge_decay(1001);
	kheap_stats(&st);
	CHECKF(st.cached_objs < TRIMMED / 2, "%zu objects still cached of %d freed (the cache's "
	       "two magazines hold %d)", st.cached_objs, TRIMMED, 2 * MAG_MIN_ROUNDS);
	decay_end(irq);
	CHECK(kheap_check());
}

/*
 * The idle pass also empties every cache's previous magazine, not only
 * the current cache's (no fast path touches it): what stays cached is at
 * most the other cache's loaded magazine, and that cache still works.
 */
#define OBJS 2000			/* far more than two magazines of 64 bytes */

TEST(decay_idle_pass_empties_the_previous_magazine_of_every_cache)
{
#ifdef cache_switch
	struct kheap_stats st;
	unsigned long irq;
	size_t loaded;

	ktest_heap_setup();
	mag_set_enabled(false);		/* empty magazines: the counts are this case's */
	mag_set_enabled(true);
	for (size_t i = 0; i < OBJS; i++)
		CHECK((slabobj[i] = kmalloc(64)) != NULL);
	irq = decay_begin(DECAY);
	cache_switch(1);
	for (size_t i = 0; i < OBJS; i++)	/* cache 1: loaded, a full prev, the rest to the depot */
		kfree(slabobj[i]);
	cache_switch(0);
	CHECK(scavenge_decay(1000) != 0);
	scavenge_decay(1000 + DECAY);		/* the idle pass, run from cache 0 */
	kheap_stats(&st);
	loaded = st.cached_objs;
	CHECKF(loaded <= MAG_ROUNDS, "%zu objects still cached: more than a loaded magazine", loaded);
	decay_end(irq);
	cache_switch(1);
	for (size_t i = 0; i < loaded; i++)
		CHECK((slabobj[i] = kmalloc(64)) != NULL);
	kheap_stats(&st);
	CHECK(st.cached_objs == 0);
	for (size_t i = 0; i < loaded; i++)
		kfree(slabobj[i]);
	cache_switch(0);
	CHECK(kheap_check());
#else
	CHECK(mag_enabled());		/* one cache on this platform: nothing to switch to */
#endif
}

/*
 * The idle pass gives back the pages of page descriptors that lie wholly
 * inside a free run (freerun_release_meta).  The recorder stands in for
 * the platform: it keeps the ranges and zeroes them, as MADV_DONTNEED
 * would leave them, so a descriptor that was not zero bytes is lost and
 * the checks after see it.
 */
#define META_RANGES 64
#define DESCS_PER_PAGE (PAGE_SIZE / sizeof(struct pgdesc))

static struct { uintptr_t lo, hi; } meta_seen[META_RANGES];
static size_t meta_nseen;

static void meta_record(void *addr, size_t len)
{
	if (meta_nseen < META_RANGES)
		meta_seen[meta_nseen++] = (typeof(meta_seen[0])){ (uintptr_t)addr,
								  (uintptr_t)addr + len };
	memset(addr, 0, len);
}

static struct { uintptr_t lo, hi; } state_seen[META_RANGES];
static size_t state_nseen;

/* The platform's page states: only recorded (they are the MMU's here). */
static void state_record(uintptr_t va, size_t n)
{
	if (state_nseen < META_RANGES)
		state_seen[state_nseen++] = (typeof(state_seen[0])){ va, va + n * PAGE_SIZE };
}

/* Is [lo, hi) within one recorded state range? */
static bool state_covered(uintptr_t lo, uintptr_t hi)
{
	for (size_t k = 0; k < state_nseen; k++)
		if (state_seen[k].lo <= lo && state_seen[k].hi >= hi)
			return true;
	return false;
}

static bool state_touched(uintptr_t lo, uintptr_t hi)
{
	for (size_t k = 0; k < state_nseen; k++)
		if (state_seen[k].lo < hi && state_seen[k].hi > lo)
			return true;
	return false;
}

static size_t meta_release_recorded(void)
{
	static const struct meta_release rec = { meta_record, state_record };
	unsigned long f = heap_lock();
	size_t pages;

	meta_nseen = state_nseen = 0;
	pages = freerun_release_meta(&rec);
	heap_unlock(f);
	return pages;
}

/* Bytes of [lo, hi) that the recorded ranges cover. */
static size_t meta_covered(uintptr_t lo, uintptr_t hi)
{
	size_t n = 0;

	for (size_t k = 0; k < meta_nseen; k++)
		if (meta_seen[k].lo < hi && meta_seen[k].hi > lo)
			n += MIN(hi, meta_seen[k].hi) - MAX(lo, meta_seen[k].lo);
	return n;
}

/* The whole descriptor pages strictly inside the run [i, i + n): lo, hi. */
static void meta_inside(uint32_t i, size_t n, uintptr_t *lo, uintptr_t *hi)
{
	*lo = ((uintptr_t)&heap.pd[i + 1] + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	*hi = (uintptr_t)&heap.pd[i + n - 1] & ~(uintptr_t)(PAGE_SIZE - 1);
}

/*
 * Pages for a block with whole descriptor pages inside it: at most
 * `share` quarters of the region (a 16 MiB boot has 1024 pages, four
 * descriptor pages; a case that needs free space beside the block takes
 * two quarters, one that needs two whole pages inside it three).
 */
static size_t meta_case_pages(size_t share)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return MIN(3 * DESCS_PER_PAGE, st.pages / 4 * share);
}

TEST(meta_release_offers_the_descriptors_inside_a_freed_block_only)
{
	size_t n, mid;
	uintptr_t lo, hi;
	uint32_t i;
	void *p;

	ktest_heap_setup();
	n = meta_case_pages(3);
	CHECK(n >= 2 * DESCS_PER_PAGE + 2);
	p = kmalloc(n * PAGE_SIZE);
	CHECK(p != NULL);
	i = pagerun_index((uintptr_t)p);
	mid = i + n / 2;
	meta_release_recorded();
	CHECKF(meta_covered((uintptr_t)&heap.pd[i], (uintptr_t)&heap.pd[i + n]) == 0,
	       "a live block's descriptors offered back");
	CHECK(!state_touched((uintptr_t)p, (uintptr_t)p + n * PAGE_SIZE));
	CHECK(kheap_check());
	kfree(p);
	meta_inside(i, n, &lo, &hi);
	CHECK(hi > lo);
	CHECK(meta_release_recorded() >= (hi - lo) / PAGE_SIZE);
	CHECKF(meta_covered(lo, hi) == hi - lo, "%zu of %zu bytes inside the freed block offered",
	       meta_covered(lo, hi), (size_t)(hi - lo));
	CHECK(state_covered((uintptr_t)p, (uintptr_t)p + n * PAGE_SIZE));	/* never written: cold */
	CHECK(kheap_check());			/* the zeroed descriptors read right */
	CHECK(pagerun_desc(mid)->kind == PK_FREE && pagerun_once_used(mid));
	p = kmalloc(n * PAGE_SIZE);		/* reuse: the descriptors written again */
	CHECK(p != NULL);
	i = pagerun_index((uintptr_t)p);
	CHECK(pagerun_desc(i)->kind == PK_LARGE && pagerun_desc(i)->npages == n);
	CHECK(pagerun_desc(i + n / 2)->kind == PK_LARGE_TAIL);
	memset(p, 0x3c, n * PAGE_SIZE);
	CHECK(((uint8_t *)p)[n * PAGE_SIZE - 1] == 0x3c && kheap_check());
	kfree(p);
	CHECK(kheap_check());
}

/* The idle pass itself: what it offers grows by the freed block's inside. */
TEST(decay_idle_pass_gives_back_the_descriptors_inside_free_runs)
{
	struct scav_stats a, b, c;
	uintptr_t lo, hi;
	size_t n, inside;
	unsigned long irq;
	void *p, *q;

	ktest_heap_setup();
	n = meta_case_pages(2);
	p = kmalloc(n * PAGE_SIZE);
	CHECK(p != NULL);
	meta_inside(pagerun_index((uintptr_t)p), n, &lo, &hi);
	inside = (hi - lo) / PAGE_SIZE;
	irq = decay_begin(DECAY);
	q = kmalloc(2 * PAGE_SIZE);		/* a free to start the quiet time from */
	kfree(q);
	scavenge_stats(&a);
	CHECK(scavenge_decay(1000) != 0);
	scavenge_decay(1000 + DECAY);		/* the idle pass with the block live */
	scavenge_stats(&b);
	kfree(p);
	CHECK(scavenge_decay(2000) != 0);	/* the free noted */
	scavenge_decay(2000 + DECAY);		/* quiet again: the idle pass */
	scavenge_stats(&c);
	decay_end(irq);
	CHECK(b.meta_released > a.meta_released);	/* the rest of the region's free run */
	CHECKF(c.meta_released - b.meta_released >= b.meta_released - a.meta_released + inside,
	       "idle passes offered %llu, then %llu descriptor pages; the block holds %zu",
	       (unsigned long long)(b.meta_released - a.meta_released),
	       (unsigned long long)(c.meta_released - b.meta_released), inside);
	CHECK(kheap_check());
}

/*
 * What the release relies on, held by heap_check: the inside of a free
 * run is zero bytes, and a large run's tails are zero but for the kind.
 * One broken descriptor of each, then put back.
 */
TEST(meta_check_finds_a_stray_byte_inside_a_free_run_or_a_large_tail)
{
	struct pgdesc saved_desc;
	size_t n;
	uint32_t i;
	void *p;

	ktest_heap_setup();
	n = meta_case_pages(2);
	p = kmalloc(n * PAGE_SIZE);
	CHECK(p != NULL);
	i = pagerun_index((uintptr_t)p);
	saved_desc = heap.pd[i + 1];
	heap.pd[i + 1].cls = 1;
	CHECK(!kheap_check());
	heap.pd[i + 1] = saved_desc;
	CHECK(kheap_check());
	kfree(p);
	saved_desc = heap.pd[i + n / 2];
	heap.pd[i + n / 2].u.link.next = 1;
	CHECK(!kheap_check());
	heap.pd[i + n / 2] = saved_desc;
	CHECK(kheap_check());
}
