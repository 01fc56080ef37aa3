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
#define BIG 4096		/* the largest cached class: one-page slabs, 4-round magazines */
#define BIG_MANY 64		/* far more than two magazines of it, 256 KiB */

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

/* n freed objects of size wait in the magazines and come back last in, first out. */
static void fill_and_take_back(size_t n, size_t size)
{
	struct kheap_stats a, b;

	fresh();
	CHECK(alloc_all(n, size));
	kheap_stats(&a);
	free_all(n);
	kheap_stats(&b);
	CHECKF(b.cached_objs == a.cached_objs + n, "%zu cached, %zu before", b.cached_objs,
	       a.cached_objs);
	CHECK(b.live_allocs == a.live_allocs - n && b.cached_bytes == a.cached_bytes + n * size);
	CHECK(b.cls[slab_class_of(size)].in_use == a.cls[slab_class_of(size)].in_use);
	for (size_t i = n; i-- > 0;)
		CHECK(kmalloc(size) == o[i]);
	CHECK(cached() == a.cached_objs);
	free_all(n);
	CHECK(kheap_check());
}

TEST(mag_fill_and_take_back) { fill_and_take_back(4, OBJ); }
/* Eight of the largest class fill both of its magazines (four rounds each). */
TEST(mag_fill_and_take_back_4096) { fill_and_take_back(8, BIG); }

/*
 * n frees of size fill magazines into the depot; turning the magazines
 * off flushes them: the objects are free in their slabs again.
 */
static void flush_gives_back(size_t n, size_t size)
{
	struct kheap_stats a, b;
	unsigned c = slab_class_of(size);

	fresh();
	kheap_stats(&a);
	CHECK(alloc_all(n, size));
	free_all(n);
	kheap_stats(&b);
	CHECKF(b.cached_objs == n && b.cls[c].in_use == a.cls[c].in_use + n,
	       "%zu cached of %zu", b.cached_objs, n);
	CHECK(mstats().depot_full > 0);
	CHECK(kheap_check());
	mag_set_enabled(false);
	kheap_stats(&b);
	CHECK(b.cached_objs == 0 && b.cls[c].in_use == a.cls[c].in_use);
	CHECK(mstats().depot_full == 0 && mstats().depot_empty == 0);
	CHECK(alloc_all(8, size));		/* off: straight from the slabs */
	free_all(8);
	CHECK(cached() == 0);
	mag_set_enabled(true);
	CHECK(kheap_check());
}

TEST(mag_flush_gives_objects_back_to_the_slabs) { flush_gives_back(MANY, OBJ); }
TEST(mag_flush_gives_4096_byte_objects_back_to_the_slabs) { flush_gives_back(BIG_MANY, BIG); }

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
 * A miss that a swap serves takes no depot magazine and no heap lock: two
 * magazines' worth freed (loaded and previous full), a magazine's worth
 * and one more taken (loaded empty, previous full: a swap), then two
 * frees (loaded full, previous empty: a swap).
 */
TEST(mag_swap_serves_a_miss_without_the_depot)
{
	struct mag_stats m0, m1, m2;
	uint64_t misses;
	size_t n;

	fresh();
	CHECK(alloc_all(MANY, OBJ));
	misses = mstats().free_misses;
	for (n = 0; mstats().free_misses < misses + 2; n++)	/* the second filled the first */
		kfree(o[n]);
	n--;				/* o[n] began the second magazine: n rounds each */
	for (size_t i = n + 1; i < 2 * n; i++)
		kfree(o[i]);		/* loaded and previous full */
	m0 = mstats();
	for (size_t i = 2 * n; i-- > n;)
		CHECK(kmalloc(OBJ) == o[i]);	/* the loaded one, last in first out */
	CHECK(kmalloc(OBJ) == o[n - 1]);	/* the previous one, swapped in */
	m1 = mstats();
	CHECKF(m1.alloc_swaps == m0.alloc_swaps + 1 && m1.alloc_misses == m0.alloc_misses + 1,
	       "%llu swaps, %llu misses", (unsigned long long)(m1.alloc_swaps - m0.alloc_swaps),
	       (unsigned long long)(m1.alloc_misses - m0.alloc_misses));
	kfree(o[n - 1]);		/* loaded full again, previous empty */
	kfree(o[n]);			/* a swap */
	m2 = mstats();
	CHECKF(m2.free_swaps == m1.free_swaps + 1 && m2.free_misses == m1.free_misses + 1,
	       "%llu swaps", (unsigned long long)(m2.free_swaps - m1.free_swaps));
	CHECK(m2.depot_full == m0.depot_full && m2.depot_empty == m0.depot_empty);
	for (size_t i = n + 1; i < MANY; i++)
		kfree(o[i]);
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

/*
 * A second free, ksize or krealloc of a cached object is reported and
 * changes nothing.  The first free must have cached it (the count).
 */
static void double_free_reported(size_t size)
{
	struct kheap_stats a, b;
	void *p, *q;

	fresh();
	p = kmalloc(size);
	CHECK(p);
	kheap_stats(&a);
	kfree(p);
	kheap_stats(&b);
	CHECKF(b.cached_objs == a.cached_objs + 1, "the free of %zu bytes cached %zu objects",
	       size, b.cached_objs - a.cached_objs);
	a = b;
	kfree(FREED(p));
	CHECK(ksize(FREED(p)) == 0);
	CHECK(krealloc(FREED(p), 2 * size) == NULL);
	kheap_stats(&b);
	CHECKF(b.invalid_frees == a.invalid_frees + 3, "%llu reports",
	       (unsigned long long)(b.invalid_frees - a.invalid_frees));
	CHECK(b.cached_objs == a.cached_objs && b.live_allocs == a.live_allocs);
	q = kmalloc(size);
	o[0] = kmalloc(size);
	CHECK(q == p && o[0] != p);		/* cached once, handed out once */
	kfree(q);
	kfree(o[0]);
	CHECK(kheap_check());
}

TEST(mag_double_free_of_a_cached_object_is_reported) { double_free_reported(OBJ); }
TEST(mag_double_free_of_a_cached_4096_byte_object_is_reported) { double_free_reported(BIG); }

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
static void pass_releases_full_magazines(size_t n, size_t size)
{
	struct kheap_stats a, b;
	unsigned c = slab_class_of(size);

	fresh();
	kheap_scavenge(SIZE_MAX);
	kheap_stats(&a);
	CHECK(alloc_all(n, size));
	for (size_t i = 0; i < n; i++)
		pattern_fill(o[i], size, (uint32_t)i);
	free_all(n);
	kheap_stats(&b);
	CHECK(b.cached_objs == n && b.cls[c].slabs * b.cls[c].objects >= n);
	CHECK(mstats().depot_full > 0);		/* full magazines, not just the cache's two */
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

TEST(mag_explicit_pass_releases_pages_held_by_full_magazines)
{
	pass_releases_full_magazines(MANY, 256);
}

TEST(mag_explicit_pass_releases_pages_held_by_full_magazines_of_4096)
{
	pass_releases_full_magazines(BIG_MANY, BIG);
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
