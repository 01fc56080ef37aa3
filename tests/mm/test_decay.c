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
 * objects, two a page, a class no magazine takes) freed leave at most
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
	kheap_stats(&before);
	n = slab_case_objects(&before);
	for (size_t i = 0; i < n; i++)
		CHECK((slabobj[i] = kmalloc(2000)) != NULL);
	kheap_stats(&grown);
	CHECKF(grown.meta_pages >= before.meta_pages + n / 2 / (PAGE_SIZE / sizeof(struct slab)),
	       "%zu metadata pages for %zu slabs", grown.meta_pages, n / 2);
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
