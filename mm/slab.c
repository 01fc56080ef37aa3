/*
 * Size-class slabs (design in mm/slab.h).  Invariants, checked by
 * slab_check: a slab's nfree equals the set bits of its bitmap; a slab is
 * on its class's partial list iff nfree > 0 (both directions checked);
 * each of a slab's pages has a descriptor pointing at the slab, the first
 * one holding the page count; the kept empty slab, if any, is on the list
 * with nfree == nobj.  An owned slab is on the owned list and its owner's
 * slot of its class points at it.
 */
#include "mm/heap_int.h"
#include "mm/heapdebug.h"

#define SLAB_MAX_PAGES 8

/* 32 bytes on i386 (64 on x86_64): classes[cls] is one shift, not a multiply by 28. */
struct slab_class {
	uint32_t size, nobj, npages;
	struct slab *partial, *empty;
	size_t slabs, in_use;
} __attribute__((aligned(32)));

#define class_sizes slab_class_sizes
static struct slab_class classes[SLAB_CLASSES];
static struct slab *pool;			/* free descriptors */

static unsigned own_ncls;		/* classes below it are allocated from owned slabs */
static unsigned own_caches, own_min = 2;	/* caches that may own; how many before any does */
static struct slab *owned;		/* every owned slab, linked by own_next/own_prev */
#ifdef MAG_CACHE_PER_THREAD
__thread struct slab_owner own_thread __attribute__((tls_model("initial-exec")));
#else
struct slab_owner owners[MAG_NCACHES];
#endif

/*
 * Pages for a slab of objects of this size: the fewest that waste at most
 * 1/16 of the slab at its end, else the count up to SLAB_MAX_PAGES that
 * wastes the least.
 */
static uint32_t slab_pages(uint32_t size)
{
	uint32_t best = 0, best_waste = 0;

	for (uint32_t p = (size + PAGE_SIZE - 1) / PAGE_SIZE; p <= SLAB_MAX_PAGES; p++) {
		uint32_t bytes = p * PAGE_SIZE, waste = bytes % size;

		if (bytes / size > MAP_WORDS * 32)
			break;
		if (waste * 16 <= bytes)
			return p;
		if (!best || (uint64_t)waste * best * PAGE_SIZE < (uint64_t)best_waste * bytes)
			best = p, best_waste = waste;
	}
	return best;
}

void slab_init(void)
{
	sizeclass_init();
	memset(classes, 0, sizeof(classes));
	for (unsigned i = 0; i < SLAB_CLASSES; i++) {
		classes[i].size = class_sizes[i];
		classes[i].npages = slab_pages(class_sizes[i]);
		classes[i].nobj = classes[i].npages * PAGE_SIZE / class_sizes[i];
		KASSERT(classes[i].npages && classes[i].nobj <= MAP_WORDS * 32);
	}
	pool = NULL;
	owned = NULL;
	own_ncls = 0;
#ifdef MAG_CACHE_PER_THREAD
	memset(&own_thread, 0, sizeof(own_thread));
#else
	memset(owners, 0, sizeof(owners));
#endif
	own_caches = 0;
	own_min = 2;
}


unsigned slab_class_aligned(size_t size, size_t align)
{
	for (unsigned c = slab_class_of(size); c < SLAB_CLASSES; c++)
		if (classes[c].size % align == 0)
			return c;
	return SLAB_NONE;
}

/* A descriptor from the pool, carving a new metadata page when empty. */
static struct slab *desc_get(void)
{
	struct slab *s = pool;

	if (!s) {
		uint32_t pg = pagerun_alloc(1, 1, PK_META);
		struct slab *d;

		if (pg == PG_NONE)
			return NULL;
		d = (struct slab *)pagerun_va(pg);
		for (size_t i = 0; i < PAGE_SIZE / sizeof(*d); i++) {
			d[i].next = pool;
			pool = &d[i];
		}
		s = pool;
	}
	pool = s->next;
	return s;
}

static void partial_push(struct slab_class *c, struct slab *s, bool at_tail)
{
	struct slab *h = c->partial;

	if (!h) {
		s->next = s->prev = s;
		c->partial = s;
		return;
	}
	s->next = h;
	s->prev = h->prev;
	h->prev->next = s;
	h->prev = s;
	if (!at_tail)
		c->partial = s;
}

static void partial_remove(struct slab_class *c, struct slab *s)
{
	if (s->next == s) {
		c->partial = NULL;
		return;
	}
	s->prev->next = s->next;
	s->next->prev = s->prev;
	if (c->partial == s)
		c->partial = s->next;
}

static struct slab *slab_new(unsigned cls)
{
	struct slab_class *c = &classes[cls];
	struct slab *s = desc_get();
	uint32_t pg;

	if (!s)
		return NULL;
	pg = pagerun_alloc(c->npages, 1, PK_SLAB);
	if (pg == PG_NONE) {
		s->next = pool;
		pool = s;
		return NULL;
	}
	s->base = pagerun_va(pg);
	s->owner = NULL;
	s->cls = (uint16_t)cls;
	s->nobj = s->nfree = (uint16_t)c->nobj;
	s->hint = 0;
	s->rec = NULL;
	memset(s->map, 0, sizeof(s->map));
	for (uint32_t i = 0; i < c->nobj; i++)
		s->map[i / 32] |= 1u << (i % 32);
	for (uint32_t i = 0; i < c->npages; i++) {
		pagerun_desc(pg + i)->u.slab = s;
		pagerun_desc(pg + i)->cls = (uint16_t)cls;
	}
	c->slabs++;
	partial_push(c, s, false);
	return s;
}

static void disown(struct slab *s);	/* out of line: slab_free's path stays as it was */

static void slab_destroy(struct slab_class *c, struct slab *s)
{
	if (s->owner)
		disown(s);
	partial_remove(c, s);
	pagerun_free(pagerun_index(s->base), c->npages);
	if (s->rec)
		pagerun_free(pagerun_index((uintptr_t)s->rec), 1);
	c->slabs--;
	s->next = pool;
	pool = s;
}

/* --- owned slabs ------------------------------------------------------ */

static __attribute__((noinline)) void disown(struct slab *s)
{
	struct slab_owner *o = s->owner;

	if (!o)
		return;
	if (s->own_prev)
		s->own_prev->own_next = s->own_next;
	else
		owned = s->own_next;
	if (s->own_next)
		s->own_next->own_prev = s->own_prev;
	o->cur[s->cls] = NULL;
	s->owner = NULL;
}

/* s (partial, unowned) becomes o's slab of its class. */
static void adopt(struct slab *s, struct slab_owner *o)
{
	s->owner = o;
	o->cur[s->cls] = s;
	s->own_prev = NULL;
	s->own_next = owned;
	if (owned)
		owned->own_prev = s;
	owned = s;
}

/*
 * The first slab on c's partial list that no cache owns, or NULL.  Owned slabs of a class are at most one a
 * cache, so the walk is that short.
 */
static struct slab *unowned_partial(struct slab_class *c)
{
	struct slab *s = c->partial;

	for (; s; s = s->next == c->partial ? NULL : s->next)
		if (!s->owner)
			return s;
	return NULL;
}

bool slab_owned_first(unsigned cls)
{
	struct slab_class *c = &classes[cls];
	struct slab_owner *o = slab_owner_current();
	struct slab *s = o->cur[cls];
	bool grew = false;

	HEAP_ASSERT_LOCKED();
	if (cls >= own_ncls)
		return false;
#ifndef MAG_CACHE_PER_THREAD
	if (!o->on)
		slab_owner_join();		/* a CPU's cache: its first miss */
#endif
	if (!o->on || own_caches < own_min)
		return false;			/* alone: no other cache to share a line with */
	if (s && !s->nfree) {
		disown(s);			/* full: on no list, anyone's again */
		s = NULL;
	}
	if (!s) {
		s = unowned_partial(c);
		if (!s) {
			s = slab_new(cls);
			if (!s)
				return false;
			grew = true;
		}
		adopt(s, o);
	}
	c->partial = s;		/* first, for slab_alloc: the ring turned, nothing relinked */
	return grew;
}

void slab_set_owning(unsigned ncls)
{
	HEAP_ASSERT_LOCKED();
	if (!ncls)
		slab_disown_all();
	own_ncls = ncls;
}

void slab_owner_join(void)
{
	HEAP_ASSERT_LOCKED();
	if (!slab_owner_current()->on)
		own_caches++;
	slab_owner_current()->on = true;
}

void slab_owners_needed(unsigned n)
{
	HEAP_ASSERT_LOCKED();
	own_min = n;
}

void slab_owner_leave(void)
{
	struct slab_owner *o = slab_owner_current();

	HEAP_ASSERT_LOCKED();
	for (unsigned i = 0; i < SLAB_CLASSES; i++)
		if (o->cur[i])
			disown(o->cur[i]);
#ifdef MAG_CACHE_PER_THREAD
	if (o->on)
		own_caches--;
	o->on = false;
#endif
}

void slab_disown_all(void)
{
	HEAP_ASSERT_LOCKED();
	while (owned)
		disown(owned);
}

/* --- objects ---------------------------------------------------------- */

void *slab_alloc(unsigned cls, bool *grew)
{
	struct slab_class *c = &classes[cls];
	struct slab *s = c->partial;
	unsigned w;
	uint32_t m;

	HEAP_ASSERT_LOCKED();
	if (__builtin_expect(!s, 0)) {
		s = slab_new(cls);
		if (!s)
			return NULL;
		*grew = true;
	}
	for (w = s->hint; !(m = s->map[w]); w++)
		;
	s->map[w] = m & (m - 1);
	s->hint = (uint16_t)w;
	if (--s->nfree == 0)
		partial_remove(c, s);
	c->empty = c->empty == s ? NULL : c->empty;
	c->in_use++;
	return (void *)(s->base + (w * 32 + __builtin_ctz(m)) * c->size);
}

/* Object index of p in s, or -1 when p is not an object start. */
static int object_index(const struct slab *s, uintptr_t p)
{
	uint32_t idx = slab_object_index(s, p);

	return idx < s->nobj ? (int)idx : -1;
}

enum slab_ptr slab_check_ptr(const struct slab *s, uintptr_t p)
{
	int idx = object_index(s, p);

	if (idx < 0)
		return SLAB_NOT_START;
	return slab_object_free(s, (uint32_t)idx) ? SLAB_NOT_LIVE : SLAB_LIVE;
}

/* s has just become empty: keep it (one per class, listed last) or destroy it. */
static void slab_emptied(struct slab_class *c, struct slab *s)
{
	if (c->empty && c->empty != s) {
		slab_destroy(c, s);
		return;
	}
	c->empty = s;
	if (s->next != s) {		/* others are partial: use them first */
		partial_remove(c, s);
		partial_push(c, s, true);
	}
}

enum slab_ptr slab_free(struct slab *s, uintptr_t p, size_t *usable)
{
	struct slab_class *c = &classes[s->cls];
	uint32_t idx = slab_object_index(s, p);
	unsigned w = idx / 32;

	HEAP_ASSERT_LOCKED();
	if (idx >= s->nobj)
		return SLAB_NOT_START;
	if (slab_object_free(s, idx))
		return SLAB_NOT_LIVE;
	s->map[w] |= 1u << (idx % 32);
	if (w < s->hint)
		s->hint = (uint16_t)w;
	c->in_use--;
	*usable = c->size;
	if (s->nfree++ == 0)
		partial_push(c, s, false);
	if (s->nfree == s->nobj)
		slab_emptied(c, s);
	return SLAB_LIVE;
}

_Static_assert(MAP_WORDS * 32 * sizeof(struct obj_rec) <= PAGE_SIZE,
	       "a slab's records fit one metadata page");

struct obj_rec *slab_obj_rec(struct slab *s, uint32_t idx, bool make)
{
	HEAP_ASSERT_LOCKED();
	if (!s->rec && make) {
		uint32_t pg = pagerun_alloc(1, 1, PK_META);

		if (pg == PG_NONE)
			return NULL;
		s->rec = (struct obj_rec *)pagerun_va(pg);
		memset(s->rec, 0, s->nobj * sizeof(*s->rec));
	}
	return s->rec && idx < s->nobj ? &s->rec[idx] : NULL;
}

size_t slab_release_empty(void)
{
	size_t n = 0;

	HEAP_ASSERT_LOCKED();
	for (unsigned i = 0; i < SLAB_CLASSES; i++) {
		if (classes[i].empty) {
			n += classes[i].npages;
			slab_destroy(&classes[i], classes[i].empty);
			classes[i].empty = NULL;
		}
	}
	return n;
}

#define DESCS_PER_PAGE (PAGE_SIZE / sizeof(struct slab))

/* The descriptor page s was carved from; its pgdesc's cls is unused (PK_META). */
static struct pgdesc *desc_page(const struct slab *s)
{
	return pagerun_desc(pagerun_index((uintptr_t)s));
}

/* Each descriptor page's free descriptors, counted in its cls. */
static void count_pool(void)
{
	for (struct slab *s = pool; s; s = s->next)
		desc_page(s)->cls = 0;
	for (struct slab *s = pool; s; s = s->next)
		desc_page(s)->cls++;
}

/*
 * Unlink the descriptors of the pages whose every descriptor is in the
 * pool, freeing each page once its last one is unlinked (a page counts
 * down from 2 * DESCS_PER_PAGE; next is read before the page goes).
 */
size_t slab_release_descriptors(void)
{
	struct slab **link = &pool, *s;
	size_t n = 0;

	HEAP_ASSERT_LOCKED();
	count_pool();
	while ((s = *link) != NULL) {
		struct pgdesc *d = desc_page(s);

		if (d->cls < DESCS_PER_PAGE) {
			link = &s->next;
			continue;
		}
		*link = s->next;
		if (d->cls == DESCS_PER_PAGE)
			d->cls = 2 * DESCS_PER_PAGE;
		if (--d->cls == DESCS_PER_PAGE) {
			d->cls = 0;
			pagerun_free(pagerun_index((uintptr_t)s & ~(uintptr_t)(PAGE_SIZE - 1)), 1);
			n++;
		}
	}
	for (s = pool; s; s = s->next)
		desc_page(s)->cls = 0;
	return n;
}

void slab_class_stats(unsigned cls, struct slab_class_stats *st)
{
	HEAP_ASSERT_LOCKED();
	st->size = classes[cls].size;
	st->objects = classes[cls].nobj;
	st->pages = classes[cls].npages;
	st->in_use = classes[cls].in_use;
	st->slabs = classes[cls].slabs;
}

static bool bad(const struct slab *s, const char *what)
{
	klog(LOG_ERROR, "heap check: slab at %#lx (class %u): %s",
	     (unsigned long)(s ? s->base : 0), s ? s->cls : 0, what);
	return false;
}

/* Each slab page against its descriptor and bitmap; tallies per class. */
static bool check_pages(size_t *in_use, size_t *slabs, size_t *partial, size_t *nowned)
{
	for (uint32_t i = 0; i < heap.npg; i++) {
		struct pgdesc *d = pagerun_desc(i);
		struct slab *s = d->u.slab;
		unsigned nf = 0;

		if (d->kind != PK_SLAB || d->npages == 0)
			continue;		/* not a slab's first page */
		if (!s || s->base != pagerun_va(i) || s->cls != d->cls || s->cls >= SLAB_CLASSES ||
		    d->npages != classes[s->cls].npages)
			return bad(s, "page descriptor and slab disagree");
		for (uint32_t j = 1; j < d->npages; j++)
			if (pagerun_desc(i + j)->kind != PK_SLAB || pagerun_desc(i + j)->u.slab != s ||
			    pagerun_desc(i + j)->npages != 0)
				return bad(s, "a later page of the slab does not point at it");
		for (unsigned w = 0; w < MAP_WORDS; w++) {
			nf += __builtin_popcount(s->map[w]);
			if (w < s->hint && s->map[w])
				return bad(s, "free object below the scan hint");
		}
		if (nf != s->nfree || s->nobj != classes[s->cls].nobj)
			return bad(s, "free count disagrees with the bitmap");
		if (s->owner && s->owner->cur[s->cls] != s)
			return bad(s, "an owned slab is not its owner's slab of the class");
		(*nowned) += s->owner != NULL;
		in_use[s->cls] += s->nobj - s->nfree;
		slabs[s->cls]++;
		partial[s->cls] += s->nfree > 0;
	}
	return true;
}

/* The owned list: its slabs owned, as many as the pages counted. */
static bool check_owned(size_t nowned)
{
	size_t n = 0;

	for (const struct slab *s = owned; s; s = s->own_next)
		if (!s->owner || (s->own_next && s->own_next->own_prev != s) || ++n > nowned)
			return bad(s, "the owned list holds an unowned slab, is mislinked, or is too long");
	if (n != nowned)
		return bad(NULL, "an owned slab is missing from the owned list");
	return true;
}

bool slab_check(void)
{
	size_t in_use[SLAB_CLASSES] = { 0 }, slabs[SLAB_CLASSES] = { 0 };
	size_t partial[SLAB_CLASSES] = { 0 }, nowned = 0;

	HEAP_ASSERT_LOCKED();
	if (!check_pages(in_use, slabs, partial, &nowned) || !check_owned(nowned))
		return false;
	for (unsigned ci = 0; ci < SLAB_CLASSES; ci++) {
		struct slab_class *c = &classes[ci];
		struct slab *s = c->partial;
		size_t listed = 0;
		bool empty_seen = false;

		while (s) {
			if (s->nfree == 0 || s->cls != ci || s->next->prev != s)
				return bad(s, "partial list entry is full, of another class, or mislinked");
			empty_seen |= s == c->empty;
			if (++listed > c->slabs)
				return bad(s, "partial list holds more slabs than the class has");
			s = s->next;
			if (s == c->partial)
				break;
		}
		if (listed != partial[ci])
			return bad(c->partial, "a slab with free objects is missing from the partial list");
		if (c->empty && (!empty_seen || c->empty->nfree != c->empty->nobj))
			return bad(c->empty, "kept empty slab is not empty or not listed");
		if (in_use[ci] != c->in_use || slabs[ci] != c->slabs)
			return bad(NULL, "class counts disagree with the slabs");
	}
	return true;
}
