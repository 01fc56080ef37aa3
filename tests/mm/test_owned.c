/*
 * Owned slabs (mm/slab.h, docs/magazines.md "Owned slabs"): each cache's
 * slab-path objects come from a slab it owns, so two caches' objects
 * never share a slab (nor a cache line); a slab is let go when full, when
 * its owner leaves and at a whole-heap pass; objects freed by another
 * cache go straight back into the owner's slab, never into the freeing
 * cache's magazines; the check rejects each broken
 * ownership rule.  The cases that play a second cache need the host's
 * cache_switch; the rest run in the kernel too.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "src/lib.h"
#include "mm/heap_int.h"		/* white box: a slab's owner */
#include "mm/magazine_int.h"		/* white box: mag_current, for a cache's leaving */

/* A pointer used after its free on purpose, hidden from the analysers (make check). */
#define FREED(p) ((void *)hide_addr((uintptr_t)(p)))

#define SMALL 16		/* four objects to a cache line */
#define N 40			/* fewer than a slab or a magazine of SMALL holds */
#define SLAB_MOST 600		/* more than a slab of SMALL holds */

static void *first[N], *many[SLAB_MOST];

static void owners_needed(unsigned n)
{
	unsigned long f = heap_lock();

	slab_owners_needed(n);
	heap_unlock(f);
}

/*
 * Empty magazines and no slab owned: every kmalloc below takes the slab
 * path, and a cache owns slabs even alone (done() puts the default back:
 * in the kernel the heap is live).
 */
static void fresh(void)
{
	ktest_heap_setup();
	mag_set_enabled(false);
	mag_set_enabled(true);
	owners_needed(1);
}

static void done(void)
{
	owners_needed(2);
	CHECK(kheap_check());
}

static struct slab *slab_of(const void *p)
{
	return pagerun_desc(pagerun_index((uintptr_t)p))->u.slab;
}

static bool alloc_n(void **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = kmalloc(SMALL)))
			return false;
	return true;
}

static void free_n(void **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kfree(v[i]);
}

/* A kmalloc that misses comes from a slab the cache owns, until it is found full. */
TEST(owned_slab_serves_a_cache_until_full_then_goes)
{
	struct slab *s;
	size_t n = 1;

	fresh();
	many[0] = kmalloc(SMALL);
	CHECK(many[0]);
	s = slab_of(many[0]);
	CHECK(s->owner != NULL && s->owner->cur[s->cls] == s);
	while (s->nfree && n < SLAB_MOST && (many[n] = kmalloc(SMALL)) != NULL)
		CHECK(slab_of(many[n++]) == s);		/* all from it while it lasts */
	CHECK(s->nfree == 0);
	CHECK(n < SLAB_MOST && (many[n] = kmalloc(SMALL)) != NULL);
	CHECK(s->owner == NULL);			/* found full: let go */
	CHECK(slab_of(many[n]) != s && slab_of(many[n])->owner != NULL);	/* the next one's */
	n++;
	kfree(many[0]);
	CHECK(s->owner == NULL && kheap_check());	/* on the partial list again */
	free_n(many + 1, n - 1);
	done();
}

/* A whole-heap pass hands every owned slab back, so its empty pages can go. */
TEST(owned_slabs_go_back_at_a_whole_heap_pass)
{
	void *p;

	fresh();
	CHECK(alloc_n(first, N));
	p = first[0];
	CHECK(slab_of(p)->owner != NULL);
	free_n(first + 1, N - 1);
	kheap_scavenge(SIZE_MAX);
	CHECK(slab_of(p)->owner == NULL);
	kfree(p);
	done();
}

/* The check rejects an owned slab its owner does not point at, and one that lost its owner. */
TEST(owned_check_rejects_broken_ownership)
{
	struct slab *s;
	struct slab_owner *o;
	void *p;

	fresh();
	p = kmalloc(SMALL);
	CHECK(p);
	s = slab_of(p);
	o = s->owner;
	CHECK(o && kheap_check());
	o->cur[s->cls] = NULL;
	CHECK(!kheap_check());		/* owned, but not its owner's slab of the class */
	o->cur[s->cls] = s;
	s->owner = NULL;
	CHECK(!kheap_check());		/* on the owned list, owned by none */
	s->owner = o;
	done();
	kfree(p);
}

#ifdef cache_switch
static void *second[N];

/* Does any object of v share a slab with one of w? */
static bool share_a_slab(void **v, void **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (slab_of(v[i]) == slab_of(w[j]))
				return true;
	return false;
}

/* Two caches taking turns get their objects from slabs of their own. */
TEST(owned_two_caches_share_no_slab)
{
	fresh();
	for (size_t i = 0; i < N; i++) {
		cache_switch(0);
		first[i] = kmalloc(SMALL);
		cache_switch(1);
		second[i] = kmalloc(SMALL);
		CHECK(first[i] && second[i]);
	}
	CHECK(!share_a_slab(first, second, N));
	free_n(second, N);
	cache_switch(0);
	free_n(first, N);
	done();
}

/*
 * Objects of cache 0's slab freed by cache 1 go straight back into that
 * slab (a remote free), not into cache 1's magazines, and the slab stays
 * cache 0's: cache 1's next allocations do not get them, cache 0's do.
 */
TEST(owned_remote_frees_go_to_the_owner_not_the_freeing_cache)
{
	struct slab *s;
	unsigned long f;
	bool held = false;

	fresh();
	CHECK(alloc_n(first, N));
	s = slab_of(first[0]);
	cache_switch(1);
	free_n(first, N);			/* remote frees */
	f = heap_lock();
	for (size_t i = 0; i < N; i++)
		held |= mag_holds(first[i], s->cls);
	heap_unlock(f);
	CHECK(!held && s->nfree == s->nobj && s->owner != NULL && s->owner != slab_owner_current());
	CHECK(alloc_n(second, N));
	CHECK(!share_a_slab(first, second, N));	/* cache 1 hands out none of them */
	cache_switch(0);
	CHECK(alloc_n(first, N));
	for (size_t i = 0; i < N; i++)
		CHECK(slab_of(first[i]) == s);
	free_n(first, N);
	cache_switch(1);
	free_n(second, N);
	cache_switch(0);
	done();
}

/* A free to a slab no cache owns is a magazine hit of the freeing cache, as before owners. */
TEST(owned_free_to_an_unowned_slab_is_cached_locally)
{
	unsigned long f;
	bool held;
	void *p;

	fresh();
	cache_switch(1);
	p = kmalloc(SMALL);
	CHECK(p);
	mag_cache_leave(mag_current());	/* its slab unowned, p still live */
	CHECK(slab_of(p)->owner == NULL);
	cache_switch(0);
	kfree(p);
	f = heap_lock();
	held = mag_holds(p, slab_of(p)->cls);
	heap_unlock(f);
	CHECK(held);
	done();
	ktest_heap_setup();
}

/* An owner that leaves hands its slab back, while another cache still frees its objects. */
TEST(owned_owner_leaves_while_another_frees_its_objects)
{
	struct slab *s;

	fresh();
	cache_switch(1);
	CHECK(alloc_n(first, N));
	s = slab_of(first[0]);
	mag_cache_leave(mag_current());
	CHECK(s->owner == NULL);	/* back on the partial list, its objects live */
	cache_switch(0);
	free_n(first, N / 2);
	CHECK(kheap_check());
	cache_switch(2);
	CHECK((second[0] = kmalloc(SMALL)) != NULL && slab_of(second[0]) == s);	/* adopted again */
	kfree(second[0]);
	cache_switch(0);
	free_n(first + N / 2, N - N / 2);
	done();
	ktest_heap_setup();
}

/* A second free of an object another cache freed is reported, cached or back in its slab. */
TEST(owned_double_free_of_a_remote_freed_object_is_reported)
{
	struct kheap_stats st0, st1;
	void *p;

	fresh();
	p = kmalloc(SMALL);
	CHECK(p);
	cache_switch(1);
	kfree(p);			/* remote: back in cache 0's slab */
	kheap_stats(&st0);
	kfree(FREED(p));
	cache_switch(0);
	kfree(FREED(p));
	kheap_stats(&st1);
	CHECK(st1.invalid_frees == st0.invalid_frees + 2);
	p = kmalloc(SMALL);		/* the owner gets it again, and caches its own free */
	CHECK(p);
	kfree(p);
	cache_switch(1);
	kfree(FREED(p));		/* keyed in cache 0's magazine: found there */
	kheap_stats(&st0);
	CHECK(st0.invalid_frees == st1.invalid_frees + 1);
	cache_switch(0);
	done();
}
#endif
