/*
 * The magazine layer (mm/magazine.h, docs/magazines.md): what kfree caches
 * and kmalloc takes back, the depot's exchanges and working-set trim,
 * the checks a cached object still gets, and scavenger passes over full
 * magazines.  Each case starts from empty magazines (turning them off
 * and on empties every cache and the depot), so its counts are its own.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "src/lib.h"

/* A pointer used after its free on purpose, hidden from the analysers (make check). */
#define FREED(p) ((void *)hide_addr((uintptr_t)(p)))
#include "mm/magazine.h"

#define OBJ 64			/* a cached class */
#define MANY 2000		/* far more than two magazines of it */

static void *o[MANY];

static void fresh(void)
{
	ktest_heap_setup();
	mag_set_enabled(false);
	mag_set_enabled(true);
}

static size_t cached(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return st.cached_objs;
}

static struct mag_stats mstats(void)
{
	struct mag_stats ms;

	mag_stats(&ms);
	return ms;
}

static bool alloc_all(size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (!(o[i] = kmalloc(size)))
			return false;
	return true;
}

static void free_all(size_t n)
{
	for (size_t i = 0; i < n; i++)
		kfree(o[i]);
}

/* Freed objects wait in the magazines and come back last in, first out. */
TEST(mag_fill_and_take_back)
{
	struct kheap_stats a, b;

	fresh();
	CHECK(alloc_all(4, OBJ));
	kheap_stats(&a);
	free_all(4);
	kheap_stats(&b);
	CHECKF(b.cached_objs == a.cached_objs + 4, "%zu cached, %zu before", b.cached_objs,
	       a.cached_objs);
	CHECK(b.live_allocs == a.live_allocs - 4 && b.cached_bytes == a.cached_bytes + 4 * OBJ);
	CHECK(b.cls[slab_class_of(OBJ)].in_use == a.cls[slab_class_of(OBJ)].in_use);
	for (int i = 3; i >= 0; i--)
		CHECK(kmalloc(OBJ) == o[i]);
	CHECK(cached() == a.cached_objs);
	free_all(4);
	CHECK(kheap_check());
}

/* Turning the magazines off flushes them: the objects are free in their slabs again. */
TEST(mag_flush_gives_objects_back_to_the_slabs)
{
	struct kheap_stats a, b;
	unsigned c = slab_class_of(OBJ);

	fresh();
	kheap_stats(&a);
	CHECK(alloc_all(MANY, OBJ));
	free_all(MANY);
	kheap_stats(&b);
	CHECK(b.cached_objs == MANY && b.cls[c].in_use == a.cls[c].in_use + MANY);
	mag_set_enabled(false);
	kheap_stats(&b);
	CHECK(b.cached_objs == 0 && b.cls[c].in_use == a.cls[c].in_use);
	CHECK(mstats().depot_full == 0 && mstats().depot_empty == 0);
	CHECK(alloc_all(8, OBJ));		/* off: straight from the slabs */
	free_all(8);
	CHECK(cached() == 0);
	mag_set_enabled(true);
	CHECK(kheap_check());
}

/* More frees than two magazines hold go to the depot as full magazines, and come back. */
TEST(mag_depot_exchange_both_ways)
{
	struct mag_stats m0, m1, m2;
	uint32_t ids = 0;

	fresh();
	CHECK(alloc_all(MANY, OBJ));
	for (size_t i = 0; i < MANY; i++)
		pattern_fill(o[i], OBJ, ids + (uint32_t)i);
	m0 = mstats();
	free_all(MANY);
	m1 = mstats();
	CHECKF(m1.depot_full > 0 && m1.free_misses > m0.free_misses, "%zu full in the depot",
	       m1.depot_full);
	CHECK(m1.free_hits - m0.free_hits + m1.free_misses - m0.free_misses == MANY);
	CHECK(alloc_all(MANY, OBJ));		/* all of them from the magazines */
	m2 = mstats();
	CHECK(m2.depot_full < m1.depot_full && m2.depot_empty > m1.depot_empty);
	CHECKF(m2.alloc_hits - m1.alloc_hits + m2.alloc_misses - m1.alloc_misses >= MANY,
	       "%llu hits", (unsigned long long)(m2.alloc_hits - m1.alloc_hits));
	CHECK(cached() == 0);
	for (size_t i = 0; i < MANY; i++)	/* each given once: write all, then check all */
		pattern_fill(o[i], OBJ, 7000 + (uint32_t)i);
	for (size_t i = 0; i < MANY; i++)
		CHECKF(pattern_check(o[i], OBJ, 7000 + (uint32_t)i) < 0, "object %zu given twice", i);
	free_all(MANY);
	CHECK(kheap_check());
}

/*
 * The working-set trim gives back what sat in the depot through a whole
 * interval between trims, and keeps what arrived during the last one.
 */
TEST(mag_trim_keeps_the_working_set)
{
	struct mag_stats m0, m1, m2;

	fresh();
	m0 = mstats();
	CHECK(alloc_all(MANY, OBJ));
	free_all(MANY / 2);
	mag_trim();				/* the first interval: all arrived in it */
	m1 = mstats();
	CHECK(m1.depot_full > 0 && m1.trimmed == m0.trimmed);
	for (size_t i = MANY / 2; i < MANY; i++)
		kfree(o[i]);
	m2 = mstats();
	CHECK(m2.depot_full > m1.depot_full);
	mag_trim();				/* m1's were not asked for since: they go */
	m0 = mstats();
	CHECKF(m0.depot_full == m2.depot_full - m1.depot_full &&
	       m0.trimmed == m1.trimmed + m1.depot_full,
	       "depot %zu after the trim, %zu before, %zu in the first interval", m0.depot_full,
	       m2.depot_full, m1.depot_full);
	mag_trim();				/* nothing used since: the rest goes too */
	m2 = mstats();
	CHECKF(m2.depot_full == 0 && m2.depot_empty == 0, "%zu full, %zu empty left",
	       m2.depot_full, m2.depot_empty);
	CHECK(cached() <= 2 * 63);		/* the cache's own two magazines at most */
	CHECK(kheap_check());
}

/* A second free, ksize or krealloc of a cached object is reported and changes nothing. */
TEST(mag_double_free_of_a_cached_object_is_reported)
{
	struct kheap_stats a, b;
	void *p, *q;

	fresh();
	p = kmalloc(OBJ);
	CHECK(p);
	kfree(p);
	kheap_stats(&a);
	kfree(FREED(p));
	CHECK(ksize(FREED(p)) == 0);
	CHECK(krealloc(FREED(p), 2 * OBJ) == NULL);
	kheap_stats(&b);
	CHECKF(b.invalid_frees == a.invalid_frees + 3, "%llu reports",
	       (unsigned long long)(b.invalid_frees - a.invalid_frees));
	CHECK(b.cached_objs == a.cached_objs && b.live_allocs == a.live_allocs);
	q = kmalloc(OBJ);
	o[0] = kmalloc(OBJ);
	CHECK(q == p && o[0] != p);		/* cached once, handed out once */
	kfree(q);
	kfree(o[0]);
	CHECK(kheap_check());
}

/* An object cached by one cache and freed again from another is reported too. */
TEST(mag_free_of_an_object_cached_by_another_cache)
{
#ifdef cache_switch
	struct kheap_stats a, b;
	void *p, *q;

	fresh();
	p = kmalloc(OBJ);
	q = kmalloc(OBJ);
	CHECK(p && q);
	kfree(p);			/* cache 0 */
	cache_switch(1);
	kheap_stats(&a);
	kfree(p);			/* cache 1: a double free */
	kheap_stats(&b);
	CHECK(b.invalid_frees == a.invalid_frees + 1 && b.cached_objs == a.cached_objs);
	kfree(q);			/* allocated by 0, freed by 1: cached by 1 */
	CHECK(kmalloc(OBJ) == q);
	kfree(q);
	cache_switch(0);
	CHECK(kmalloc(OBJ) == p);	/* each cache gives back its own */
	kfree(p);
	CHECK(kheap_check());
	mag_set_enabled(false);		/* cache 1's magazines too */
	CHECK(cached() == 0);
	mag_set_enabled(true);
#else
	CHECK(mag_enabled());		/* one cache on this platform: nothing to switch to */
#endif
}

/* A write into a cached object is reported when kmalloc takes it out. */
TEST(mag_write_after_free_is_reported_at_the_next_kmalloc)
{
	struct kheap_stats a, b;
	uintptr_t *p;

	fresh();
	p = kmalloc(OBJ);
	CHECK(p);
	kfree(p);
	kheap_stats(&a);
	p = (uintptr_t *)hide_addr((uintptr_t)p);	/* a write after free, on purpose */
	p[0] ^= 1;			/* the key */
	CHECK(!kheap_check());		/* the checker sees it too */
	CHECK(kmalloc(OBJ) == p);
	kheap_stats(&b);
	CHECK(b.invalid_frees == a.invalid_frees + 1);
	kfree(p);
	CHECK(kheap_check());
}

/*
 * A scavenger pass with full magazines: an explicit pass empties the
 * current cache and the depot, so slabs that only cached objects held go
 * back and their pages with them.
 */
TEST(mag_explicit_pass_releases_pages_held_by_full_magazines)
{
	struct kheap_stats a, b;
	unsigned c = slab_class_of(256);

	fresh();
	kheap_scavenge(SIZE_MAX);
	kheap_stats(&a);
	CHECK(alloc_all(MANY, 256));
	for (size_t i = 0; i < MANY; i++)
		pattern_fill(o[i], 256, (uint32_t)i);
	free_all(MANY);
	kheap_stats(&b);
	CHECK(b.cached_objs == MANY && b.cls[c].slabs >= MANY / 16);
	kheap_scavenge(SIZE_MAX);
	kheap_stats(&b);
	CHECKF(b.cached_objs == 0 && b.cls[c].in_use == a.cls[c].in_use, "%zu cached, %zu in use",
	       b.cached_objs, b.cls[c].in_use);
	CHECKF(b.slab_pages <= a.slab_pages &&
	       b.by_state[PS_PRESENT] <= a.by_state[PS_PRESENT] + b.meta_pages - a.meta_pages,
	       "slab pages %zu, were %zu; resident %zu, were %zu", b.slab_pages, a.slab_pages,
	       b.by_state[PS_PRESENT], a.by_state[PS_PRESENT]);
	CHECK(kheap_check() && frame_audit());
}

/* The same churn with magazines on and off keeps every byte. */
TEST(mag_on_and_off_keep_every_byte)
{
	static uint32_t len[256];
	uint32_t seed = 31;

	for (int pass = 0; pass < 2; pass++) {
		fresh();
		mag_set_enabled(pass == 0);
		memset(o, 0, sizeof(void *) * 256);
		for (int step = 0; step < 4000; step++) {
			uint32_t r = rng_next(&seed), k = r % 256;

			if (o[k]) {
				CHECKF(pattern_check(o[k], len[k], k) < 0, "slot %u changed",
				       (unsigned)k);
				kfree(o[k]);
				o[k] = NULL;
				continue;
			}
			len[k] = 1 + (r >> 8) % 1500;
			CHECK((o[k] = kmalloc(len[k])) != NULL);
			pattern_fill(o[k], len[k], k);
		}
		for (int k = 0; k < 256; k++)
			kfree(o[k]);
		CHECK(kheap_check());
	}
	mag_set_enabled(true);
}
