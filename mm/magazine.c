/*
 * The magazine layer's slow paths, its depot and its figures (fast paths
 * inline in mm/magazine_int.h; design in docs/magazines.md).
 *
 * The depot keeps, per class, a list of full magazines and one of empty
 * ones under the heap lock.  Magazines come from META pages, so they are
 * written under the heap lock without a fault that could fail; a page's
 * first slot is its header (free slots, count), and a page whose last
 * magazine is deleted goes back to page level, so magazines pin no page
 * once they are gone.
 *
 * Working set (after illumos's kmem_depot_ws_*): each depot list keeps
 * the fewest magazines it held since the last update (min); an update
 * makes that the reap limit and starts a new interval; a reap gives back
 * the magazines no cache asked for during the whole last interval.
 * The interval is the time between scavenger passes.
 *
 * Invariants (mag_check): a cache's previous magazine is full or empty;
 * rounds <= size; every round is the start of a live slab object of its
 * class holding its key, and no object is in two rounds; a full depot
 * magazine holds its class's size; the lists' counts are their lengths.
 */
#include "mm/magazine_int.h"
#include "mm/trace.h"

struct depot_list {
	struct magazine *head;
	size_t n, min, reaplimit;
};

struct depot {
	struct depot_list full, empty;
};

uintptr_t mag_secret;
bool mag_on;
unsigned mag_ncls;
size_t mag_fast_size;

/*
 * kmalloc's one gate (mm/kheap.c, ALLOC_FAST): MAG_MAX_SIZE when the
 * magazines are on, nothing holds the fast path off and kmalloc is not
 * traced (a traced hit writes its line with interrupts off, in the slow
 * path); else 0.  Tracing is set at boot before kheap_init (a later
 * trace_start is followed by mag_set_enabled to bring this up to date).
 */
static size_t fast_size(bool hold)
{
	return mag_on && !hold && !TRACE_ON(TR_HEAP) ? MAG_MAX_SIZE : 0;
}

/* kfree's gate (mag_push), as kmalloc's: the trace holds it off too. */
static unsigned fast_ncls(void)
{
	return mag_on && !TRACE_ON(TR_HEAP) ? MAG_CLASSES : 0;
}
#ifdef MAG_CACHE_PER_THREAD
__thread struct mag_cache mag_thread_cache __attribute__((tls_model("initial-exec")));
#else
struct mag_cache mag_caches[MAG_NCACHES];
#ifndef CACHE_CURRENT
struct mag_cache *mag_cache_at[MAG_NCACHES];
#endif
#endif
#ifdef CACHE_RESTART
uint16_t mag_at_for[MAG_MAX_SIZE / 8];
#endif
/* A META page of magazines: this header in its first slot, magazines after. */
struct mag_page {
	struct mag_page *next, *prev;	/* pages with a free slot */
	struct magazine *free;
	unsigned used;
};
#define MAGS_PER_PAGE (PAGE_SIZE / sizeof(struct magazine) - 1)

static struct mag_cache *caches;		/* the registry */
static struct depot depot[MAG_CLASSES];
static uint8_t mag_size[MAG_CLASSES];
static struct mag_page *pool;			/* pages with a free slot */
static size_t nmagazines;
static uint64_t trimmed;

static void join(struct mag_cache *c)
{
	c->next = caches;
	c->prev = NULL;
	if (caches)
		caches->prev = c;
	caches = c;
	c->joined = true;
}

/*
 * A thread's cache joins the registry at its first miss either way, and
 * only then owns slabs: from then on its exit hook hands them back.
 */
static void join_current(struct mag_cache *c)
{
#ifdef MAG_CACHE_PER_THREAD
	if (!c->joined && !c->left) {
		join(c);
		slab_owner_join();
		platform_cache_joined(c);
	}
#else
	(void)c;
#endif
}

void mag_init(void)
{
	unsigned long f;

	memset(depot, 0, sizeof(depot));
	caches = NULL;
	pool = NULL;
	nmagazines = trimmed = 0;
	mag_secret = (uintptr_t)(cycles() * 0x9E3779B97F4A7C15ull);
	mag_secret |= (uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1);	/* no key is a heap address */
	KASSERT(slab_class_size(MAG_CLASSES - 1) == MAG_MAX_SIZE && MAG_MAX_SIZE <= SLAB_MAX);
	for (unsigned c = 0; c < MAG_CLASSES; c++)
		mag_size[c] = (uint8_t)MIN(MAG_ROUNDS, MAX(MAG_MIN_ROUNDS,
							   MAG_BYTES / slab_class_size(c)));
#ifdef CACHE_RESTART
	for (unsigned i = 0; i < MAG_MAX_SIZE / 8; i++)		/* sizes 8i + 1 .. 8i + 8 */
		mag_at_for[i] = (uint16_t)mag_class_at(slab_class_of(8 * i + 8));
#endif
#ifdef MAG_CACHE_PER_THREAD
	memset(&mag_thread_cache, 0, sizeof(mag_thread_cache));
#else
	memset(mag_caches, 0, sizeof(mag_caches));
	for (unsigned i = 0; i < MAG_NCACHES; i++) {
#ifdef CACHE_CURRENT
		cache_set_current(i, &mag_caches[i]);
#else
		mag_cache_at[i] = &mag_caches[i];
#endif
		join(&mag_caches[i]);
	}
#endif
	mag_on = true;
	mag_ncls = fast_ncls();
	mag_fast_size = fast_size(false);
	f = heap_lock();
	slab_set_owning(MAG_CLASSES);	/* a cache's misses come from its own slabs */
	heap_unlock(f);
}

/* --- the pages of magazines ----------------------------------------- */

static void page_list(struct mag_page *pg)
{
	pg->next = pool;
	pg->prev = NULL;
	if (pool)
		pool->prev = pg;
	pool = pg;
}

static void page_unlist(struct mag_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		pool = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
}

static struct mag_page *page_new(void)
{
	uint32_t i = pagerun_alloc(1, 1, PK_META);
	struct mag_page *pg;
	struct magazine *m;

	if (i == PG_NONE)
		return NULL;
	pg = (struct mag_page *)pagerun_va(i);
	m = (struct magazine *)pg;
	pg->free = NULL;
	pg->used = 0;
	for (size_t k = MAGS_PER_PAGE; k > 0; k--) {
		m[k].next = pg->free;
		pg->free = &m[k];
	}
	page_list(pg);
	return pg;
}

static struct magazine *mag_new(void)
{
	struct mag_page *pg = pool ? pool : page_new();
	struct magazine *m;

	if (!pg)
		return NULL;
	m = pg->free;
	pg->free = m->next;
	if (++pg->used == MAGS_PER_PAGE)
		page_unlist(pg);
	nmagazines++;
	return m;
}

static void mag_delete(struct magazine *m)
{
	struct mag_page *pg = (struct mag_page *)((uintptr_t)m & ~(uintptr_t)(PAGE_SIZE - 1));

	if (pg->used-- == MAGS_PER_PAGE)
		page_list(pg);
	nmagazines--;
	if (!pg->used) {
		page_unlist(pg);
		pagerun_free(pagerun_index((uintptr_t)pg), 1);
		return;
	}
	m->next = pg->free;
	pg->free = m;
}

/* --- the depot -------------------------------------------------------- */

static void list_put(struct depot_list *l, struct magazine *m)
{
	m->next = l->head;
	l->head = m;
	l->n++;
}

static struct magazine *list_take(struct depot_list *l)
{
	struct magazine *m = l->head;

	if (!m)
		return NULL;
	l->head = m->next;
	if (--l->n < l->min)
		l->min = l->n;
	return m;
}

/* A full magazine enters the depot: its objects count as freed (a pass may take them). */
static void put_full(unsigned cls, struct magazine *m)
{
	list_put(&depot[cls].full, m);
	heap.freed_since_check += (size_t)mag_size[cls] * slab_class_size(cls);
}

/* Object p leaves the magazines for its slab: its key cleared, the heap's counts down. */
static void give_back(void *p)
{
	const struct pgdesc *d = pagerun_desc(pagerun_index((uintptr_t)p));
	size_t usable;

	*mag_word(p) = 0;
	if (slab_free(d->u.slab, (uintptr_t)p, &usable) != SLAB_LIVE)
		panic("magazine: cached object %p is not a live slab object", p);
	heap.live_bytes -= usable;
	heap.live_allocs--;
}

/* The n rounds of m back to the slabs. */
static void empty_out(struct magazine *m, unsigned n)
{
	while (n)
		give_back(m->round[--n]);
}

/* --- misses ---------------------------------------------------------- */

static void swap(struct mag_class_cache *cc)
{
	struct magazine *m = cc->loaded;
	uint8_t r = cc->rounds;

	cc->loaded = cc->prev;
	cc->rounds = cc->prounds;
	cc->prev = m;
	cc->prounds = r;
}

/* loaded is empty (or none): load a full one, from prev or the depot. */
static bool load_full(unsigned cls, struct mag_class_cache *cc)
{
	struct magazine *m;

	if (cc->prev && cc->prounds) {
		swap(cc);
		return true;
	}
	m = list_take(&depot[cls].full);
	if (!m)
		return false;
	if (cc->prev)
		list_put(&depot[cls].empty, cc->prev);
	cc->prev = cc->loaded;
	cc->prounds = 0;
	cc->loaded = m;
	cc->rounds = cc->size = mag_size[cls];
	return true;
}

/* Objects in a class's two magazines. */
static unsigned held(const struct mag_class_cache *cc)
{
	return cc->rounds + cc->prounds;
}

/*
 * A swap and mag_take_prevs both change a cache's previous magazine, the
 * one without the heap lock: each claims the cache first by exchange, and
 * neither waits (a swap that finds it claimed takes the lock instead; a
 * taker skips that cache).
 */
static bool claim(struct mag_cache *c) { return !__atomic_exchange_n(&c->swapping, 1, __ATOMIC_ACQUIRE); }
static void unclaim(struct mag_cache *c) { __atomic_store_n(&c->swapping, 0, __ATOMIC_RELEASE); }

/*
 * Could a swap serve the miss?  Read before the pin, as a hint: a miss it
 * rules out (the usual burst miss: the previous magazine not full for a
 * kmalloc, not empty for a kfree) goes to the heap lock without pinning
 * or claiming; a yes is checked again pinned and claimed.  The hint may
 * be stale only where mag_take_prevs takes the previous magazine meanwhile
 * (libkheap): a wrong yes is caught after the claim, a wrong no costs the
 * lock, where mag_alloc_miss and mag_free_miss swap as well.
 */
static bool swap_may_pop(const struct mag_class_cache *cc) { return cc->prev && cc->prounds; }
static bool swap_may_push(const struct mag_class_cache *cc) { return cc->prev && !cc->prounds; }

bool mag_swap_pop(unsigned cls, void **p)
{
	unsigned long f;
	struct mag_cache *c = mag_current();
	struct mag_class_cache *cc = &c->cc[cls];
	bool ok;

	if (!swap_may_pop(cc))
		return false;
	f = cache_pin();
	ok = mag_on && !c->left && !cc->rounds && claim(c);

	if (ok && !(ok = swap_may_pop(cc)))
		unclaim(c);
	if (ok) {
		swap(cc);
		c->alloc_swaps++;
		c->moved--;		/* a round taken, not by a hit */
		unclaim(c);
		*p = cc->loaded->round[--cc->rounds];
	}
	cache_unpin(f);
	return ok;
}

void *mag_alloc_miss(unsigned cls)
{
	unsigned long f = cache_pin();
	struct mag_cache *c = mag_current();
	struct mag_class_cache *cc = &c->cc[cls];
	unsigned before = held(cc);
	void *p = NULL;

	HEAP_ASSERT_LOCKED();
	join_current(c);
	c->alloc_misses++;
	if (mag_on && !c->left && (cc->rounds || load_full(cls, cc)))
		p = cc->loaded->round[--cc->rounds];
	c->moved += held(cc) - before;
	if (!p && mag_on && !c->left && slab_owned_first(cls))
		heap_reclaim(0, HR_COMMITTED);	/* the slab path follows: its object from our slab */
	cache_unpin(f);
	return p;
}

/* loaded is full (or none): load an empty one, from prev, the depot or the pool. */
static bool load_empty(unsigned cls, struct mag_class_cache *cc)
{
	struct magazine *m;

	if (cc->loaded && cc->prev && !cc->prounds) {
		swap(cc);
		return true;
	}
	m = list_take(&depot[cls].empty);
	if (!m && !(m = mag_new()))
		return false;
	if (cc->prev)
		put_full(cls, cc->prev);
	cc->prev = cc->loaded;
	cc->prounds = cc->rounds;
	cc->loaded = m;
	cc->rounds = 0;
	cc->size = mag_size[cls];
	return true;
}

bool mag_swap_push(void *p, unsigned cls)
{
	unsigned long f;
	struct mag_cache *c = mag_current();
	struct mag_class_cache *cc = &c->cc[cls];
	bool ok;

	if (!swap_may_push(cc))
		return false;
	f = cache_pin();
	ok = mag_on && !c->left && cc->loaded && cc->rounds == cc->size && claim(c);

	if (ok && !(ok = swap_may_push(cc)))
		unclaim(c);
	if (ok) {
		swap(cc);
		c->free_swaps++;
		c->moved++;		/* a round added, not by a hit */
		unclaim(c);
		cc->loaded->round[cc->rounds++] = p;
	}
	cache_unpin(f);
	return ok;
}

bool mag_free_miss(void *p, unsigned cls)
{
	unsigned long f = cache_pin();
	struct mag_cache *c = mag_current();
	struct mag_class_cache *cc = &c->cc[cls];
	unsigned before = held(cc);
	bool ok;

	HEAP_ASSERT_LOCKED();
	join_current(c);
	c->free_misses++;
	ok = mag_on && !c->left && (cc->rounds < cc->size || load_empty(cls, cc));
	if (ok)
		cc->loaded->round[cc->rounds++] = p;
	else
		*mag_word(p) = 0;
	c->moved += held(cc) - before;
	cache_unpin(f);
	return ok;
}

/* --- searching -------------------------------------------------------- */

static bool in_rounds(const struct magazine *m, unsigned n, const void *p)
{
	for (unsigned i = 0; m && i < n; i++)
		if (m->round[i] == p)
			return true;
	return false;
}

bool mag_holds(const void *p, unsigned cls)
{
	HEAP_ASSERT_LOCKED();
	if (cls >= MAG_CLASSES)
		return false;
	for (const struct mag_cache *c = caches; c; c = c->next)
		if (in_rounds(c->cc[cls].loaded, c->cc[cls].rounds, p) ||
		    in_rounds(c->cc[cls].prev, c->cc[cls].prounds, p))
			return true;
	for (const struct magazine *m = depot[cls].full.head; m; m = m->next)
		if (in_rounds(m, mag_size[cls], p))
			return true;
	return false;
}

/* --- flushing and trimming ------------------------------------------- */

/* One magazine of a cache to the depot: full or empty as it is, else emptied first. */
static void unload(unsigned cls, struct magazine *m, unsigned n)
{
	if (!m)
		return;
	if (n == mag_size[cls]) {
		put_full(cls, m);
		return;
	}
	empty_out(m, n);
	heap.freed_since_check += (size_t)n * slab_class_size(cls);
	list_put(&depot[cls].empty, m);
}

static void flush_cache(struct mag_cache *c)
{
	for (unsigned cls = 0; cls < MAG_CLASSES; cls++) {
		struct mag_class_cache *cc = &c->cc[cls];

		uint32_t hits = cc->alloc_hits;

		c->moved -= held(cc);
		unload(cls, cc->loaded, cc->rounds);
		unload(cls, cc->prev, cc->prounds);
		memset(cc, 0, sizeof(*cc));
		cc->alloc_hits = hits;
	}
}

static void unregister(struct mag_cache *c)
{
	if (!c->joined)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		caches = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->joined = false;
}

void mag_cache_leave(struct mag_cache *c)
{
	unsigned long f = heap_lock();

	c->left = true;
	flush_cache(c);
	unregister(c);
	if (c == mag_current())
		slab_owner_leave();	/* its slabs back to their classes */
	heap_unlock(f);
}

void mag_after_fork_child(void)
{
	struct mag_cache *me = mag_current();

	caches = NULL;
	if (me->joined && !me->left)
		join(me);
	slab_disown_all();		/* the other threads' are gone */
}

/* Give back up to n magazines of a depot list (their objects to the slabs). */
static void reap(unsigned cls, struct depot_list *l, size_t n, bool full)
{
	struct magazine *m;

	while (n-- && (m = list_take(l))) {
		if (full)
			empty_out(m, mag_size[cls]);
		mag_delete(m);
		trimmed++;
	}
}

/* The working-set update and reap of one class: what no cache asked for since the last. */
static void trim(unsigned cls)
{
	struct depot *d = &depot[cls];

	d->full.reaplimit = d->full.min;
	d->full.min = d->full.n;
	d->empty.reaplimit = d->empty.min;
	d->empty.min = d->empty.n;
	reap(cls, &d->full, d->full.reaplimit, true);
	reap(cls, &d->empty, d->empty.reaplimit, false);
}

static void purge(unsigned cls)
{
	reap(cls, &depot[cls].full, SIZE_MAX, true);
	reap(cls, &depot[cls].empty, SIZE_MAX, false);
}

/*
 * Per-thread caches: another thread's loaded magazines too, once the
 * platform has stopped its fast paths (platform_cache_stop); true if so.
 * The current cache is mag_reclaim's.
 */
static bool take_stopped(struct mag_cache *c)
{
#ifdef MAG_CACHE_PER_THREAD
	if (c != mag_current() && platform_cache_stop(c)) {
		flush_cache(c);
		return true;
	}
#else
	(void)c;
#endif
	return false;
}

/*
 * Every cache's previous magazine to the depot.  Safe for another
 * thread's or CPU's cache: the fast paths touch only the loaded magazine
 * and its counts; prev and prounds change only under the heap lock.
 */
void mag_take_prevs(void)
{
	HEAP_ASSERT_LOCKED();
	for (struct mag_cache *c = caches; c; c = c->next) {
		if (take_stopped(c) || !claim(c))	/* claimed: its owner is swapping */
			continue;
		for (unsigned cls = 0; cls < MAG_CLASSES; cls++) {
			struct mag_class_cache *cc = &c->cc[cls];

			unload(cls, cc->prev, cc->prounds);
			c->moved -= cc->prounds;	/* rounds taken, not by hits */
			cc->prev = NULL;
			cc->prounds = 0;
		}
		unclaim(c);
	}
	slab_disown_all();		/* their free objects may go with the slabs */
}

void mag_reclaim(bool all)
{
	unsigned long f = cache_pin();

	HEAP_ASSERT_LOCKED();
	if (all) {
		flush_cache(mag_current());
		slab_disown_all();	/* every cache's: a whole-heap pass */
	}
	for (unsigned cls = 0; cls < MAG_CLASSES; cls++) {
		if (all)
			purge(cls);
		else
			trim(cls);
	}
	cache_unpin(f);
}

void mag_trim(void)
{
	unsigned long f = heap_lock();

	mag_reclaim(false);
	heap_unlock(f);
}

void mag_set_enabled(bool on)
{
	unsigned long f = heap_lock();

	if (!on)
		for (struct mag_cache *c = caches; c; c = c->next)
			flush_cache(c);
	for (unsigned cls = 0; !on && cls < MAG_CLASSES; cls++)
		purge(cls);
	slab_set_owning(on ? MAG_CLASSES : 0);
	mag_on = on;
	mag_ncls = fast_ncls();
	mag_fast_size = fast_size(false);
	heap_unlock(f);
}

bool mag_enabled(void) { return mag_on; }

void mag_fast_hold(bool hold)
{
	HEAP_ASSERT_LOCKED();
	mag_fast_size = fast_size(hold);
}

/* --- figures ---------------------------------------------------------- */

void mag_live(size_t *bytes, size_t *allocs)
{
	size_t objs, cached;

	mag_count(&objs, &cached);
	*bytes = heap.live_bytes - cached;
	*allocs = heap.live_allocs - objs;
}

void mag_count(size_t *objs, size_t *bytes)
{
	size_t o = 0, b = 0;

	HEAP_ASSERT_LOCKED();
	for (unsigned cls = 0; cls < MAG_CLASSES; cls++) {
		size_t n = depot[cls].full.n * mag_size[cls];
		for (const struct mag_cache *c = caches; c; c = c->next)
			n += held(&c->cc[cls]);
		o += n;
		b += n * slab_class_size(cls);
	}
	*objs = o;
	*bytes = b;
}

/* kfree's hits are counted by the rounds they add (struct mag_class_cache). */
static void add_hits(const struct mag_cache *c, struct mag_stats *st)
{
	uint32_t allocs = 0, frees = -c->moved;

	for (unsigned cls = 0; cls < MAG_CLASSES; cls++) {
		allocs += c->cc[cls].alloc_hits;
		frees += c->cc[cls].alloc_hits + held(&c->cc[cls]);
	}
	st->alloc_hits += allocs;
	st->alloc_misses += c->alloc_misses + c->alloc_swaps;
	st->free_hits += frees;
	st->free_misses += c->free_misses + c->free_swaps;
	st->alloc_swaps += c->alloc_swaps;
	st->free_swaps += c->free_swaps;
}

void mag_stats(struct mag_stats *st)
{
	unsigned long f = heap_lock();

	memset(st, 0, sizeof(*st));
#ifdef MAG_CACHE_PER_THREAD
	add_hits(mag_current(), st);	/* others' counters move without the lock */
#else
	for (unsigned i = 0; i < MAG_NCACHES; i++)
		add_hits(&mag_caches[i], st);
#endif
	mag_count(&st->cached_objs, &st->cached_bytes);
	for (unsigned cls = 0; cls < MAG_CLASSES; cls++) {
		st->depot_full += depot[cls].full.n;
		st->depot_empty += depot[cls].empty.n;
	}
	st->magazines = nmagazines;
	st->trimmed = trimmed;
	heap_unlock(f);
}

/* --- the check -------------------------------------------------------- */

static bool bad(unsigned cls, const void *p, const char *what)
{
	klog(LOG_ERROR, "heap check: magazines, class %u, %p: %s", cls, p, what);
	return false;
}

/* Each round a live object of cls holding its key, seen once (marked by inverting the key). */
static bool check_rounds(unsigned cls, struct magazine *m, unsigned n, size_t *seen)
{
	for (unsigned i = 0; i < n; i++) {
		void *p = m->round[i];
		uint32_t pg = pagerun_index((uintptr_t)p);
		const struct pgdesc *d = pg == PG_NONE ? NULL : pagerun_desc(pg);

		if (!d || d->kind != PK_SLAB || d->cls != cls ||
		    slab_check_ptr(d->u.slab, (uintptr_t)p) != SLAB_LIVE)
			return bad(cls, p, "a round is not a live object of its class");
		if (*mag_word(p) == ~mag_key(p))
			return bad(cls, p, "an object is in two rounds");
		if (*mag_word(p) != mag_key(p))
			return bad(cls, p, "a cached object's key was overwritten");
		*mag_word(p) = ~mag_key(p);
	}
	*seen += n;
	return true;
}

static void unmark(struct magazine *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (*mag_word(m->round[i]) == ~mag_key(m->round[i]))
			*mag_word(m->round[i]) = mag_key(m->round[i]);
}

static bool check_cache_class(unsigned cls, struct mag_class_cache *cc, size_t *seen)
{
	if (cc->rounds > cc->size || (!cc->loaded && (cc->rounds || cc->size)) ||
	    (cc->size && cc->size != mag_size[cls]))
		return bad(cls, cc->loaded, "a cache's round count is out of range");
	if (cc->prounds && (!cc->prev || cc->prounds != mag_size[cls]))
		return bad(cls, cc->prev, "a previous magazine is neither full nor empty");
	return (!cc->loaded || check_rounds(cls, cc->loaded, cc->rounds, seen)) &&
	       (!cc->prev || check_rounds(cls, cc->prev, cc->prounds, seen));
}

static size_t length(const struct magazine *m)
{
	size_t n = 0;

	for (; m && n <= nmagazines; m = m->next)
		n++;
	return n;
}

static bool check_class(unsigned cls, size_t *seen, size_t *mags)
{
	struct depot *d = &depot[cls];

	if (length(d->full.head) != d->full.n || length(d->empty.head) != d->empty.n ||
	    d->full.min > d->full.n || d->empty.min > d->empty.n)
		return bad(cls, NULL, "a depot list's count or working-set minimum is wrong");
	*mags += d->full.n + d->empty.n;
	for (struct magazine *m = d->full.head; m; m = m->next)
		if (!check_rounds(cls, m, mag_size[cls], seen))
			return false;
	for (struct mag_cache *c = caches; c; c = c->next) {
		if (!check_cache_class(cls, &c->cc[cls], seen))
			return false;
		*mags += (c->cc[cls].loaded != NULL) + (c->cc[cls].prev != NULL);
	}
	return true;
}

static void unmark_class(unsigned cls)
{
	for (struct magazine *m = depot[cls].full.head; m; m = m->next)
		unmark(m, mag_size[cls]);
	for (struct mag_cache *c = caches; c; c = c->next) {
		if (c->cc[cls].loaded)
			unmark(c->cc[cls].loaded, c->cc[cls].rounds);
		if (c->cc[cls].prev)
			unmark(c->cc[cls].prev, c->cc[cls].prounds);
	}
}

/*
 * The checker's account: cached objects are live to the slabs and to the
 * heap's counters, and held by no caller; so the heap counts at least as
 * many live objects as the magazines hold, and every magazine that exists
 * is in a cache or the depot.
 */
bool mag_check(void)
{
	size_t seen = 0, mags = 0;
	bool ok = true;
	unsigned cls;

	HEAP_ASSERT_LOCKED();
	for (cls = 0; cls < MAG_CLASSES && ok; cls++)
		ok = check_class(cls, &seen, &mags);
	for (unsigned k = 0; k < cls; k++)
		unmark_class(k);
	if (!ok)
		return false;
	if (seen > heap.live_allocs)
		return bad(0, NULL, "the magazines hold more objects than the heap counts live");
	if (mags != nmagazines)
		return bad(0, NULL, "a magazine is neither in a cache nor in the depot");
	return true;
}
