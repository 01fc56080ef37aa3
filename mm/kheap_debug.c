/*
 * The kmalloc family at heapcheck level 1 and above (docs/debugging.md,
 * "Debug levels"): every call takes the heap lock (the magazines are off),
 * records the requested size (and at level 2 the sites) out of band,
 * keeps canaries in the slack after the requested bytes and poison in
 * freed small objects, and reports what it finds broken.
 *
 * Every allocation takes one byte more than asked for, so there is always
 * a canary after the last requested byte, and the byte just before a
 * small object (other than a slab's first) is its neighbour's canary or
 * poison: an underflow shows there.  The usable size is the requested
 * size.
 *
 * Locking: the heap lock for records and reports.  Canaries and poison
 * are written outside it, into memory the caller owns (a write under the
 * lock could fault on a page never written, which the kernel refuses);
 * under the lock they are only read, or repaired, where they were written
 * before, so those pages are backed.
 */
#include "mm/kheap.h"
#include "mm/kheap_int.h"
#include "mm/heapdebug.h"
#include "mm/magazine.h"
#include "mm/trace.h"

static const struct heap_misuse
	OVERFLOW = { HR_OVERFLOW, "a canary after the requested size was overwritten" },
	UNDERFLOW = { HR_UNDERFLOW, "the bytes before the object (its neighbour's slack) were overwritten" },
	POISON_WRITTEN = { HR_UAF_WRITE, "a freed object's poison was overwritten" };

/* An allocation located for its record. */
struct dobj {
	uintptr_t p;
	size_t bytes;			/* class size, or the run's bytes */
	struct obj_rec *rec;		/* a small object's record (NULL: none) */
	struct pgdesc *head;		/* a large allocation's head */
};

/* Locate the allocation starting at p (live: the caller checked or made it). */
static void locate(uintptr_t p, bool make, struct dobj *o)
{
	struct pgdesc *d = pagerun_desc(pagerun_index(p));

	o->p = p;
	o->rec = NULL;
	o->head = NULL;
	if (d->kind == PK_SLAB) {
		o->bytes = slab_class_size(d->cls);
		o->rec = slab_obj_rec(d->u.slab, slab_object_index(d->u.slab, p), make);
	} else {
		o->bytes = (size_t)d->npages * PAGE_SIZE;
		o->head = d;
	}
}

/* The recorded requested size of a live allocation, 0 when none. */
static size_t recorded_size(const struct dobj *o)
{
	if (o->rec)
		return o->rec->req & REC_FREED ? 0 : o->rec->req;
	if (!o->head)
		return 0;		/* a small object whose slab had no room for records */
	return o->head->flags & PG_RECORDED ? o->bytes - o->head->u.big.slack : 0;
}

/* The end of the canary after a large allocation of req bytes. */
static size_t canary_end(const struct dobj *o, size_t req)
{
	return MIN(o->bytes, req + LARGE_CANARY);
}

static void record(struct dobj *o, size_t req, uint16_t site)
{
	if (o->rec) {
		o->rec->req = (uint16_t)req;
		o->rec->alloc_site = site;
		o->rec->free_site = 0;
	} else if (o->head) {
		o->head->flags |= PG_RECORDED;
		o->head->u.big.slack = (uint16_t)(o->bytes - req);
		o->head->u.big.alloc_site = site;
		o->head->u.big.free_site = 0;
	} else {
		return;
	}
	site_count(site, req);
}

static uint16_t alloc_site_of(const struct dobj *o)
{
	if (o->rec)
		return o->rec->alloc_site;
	return o->head && o->head->flags & PG_RECORDED ? o->head->u.big.alloc_site : 0;
}

/*
 * A small object's canaries: the first LARGE_CANARY bytes of its slack,
 * which an overflow reaches first, and its last SLACK_TAIL bytes, which an
 * underflow of the next object reaches first; a long slack's middle is
 * left alone (writing and checking it would be most of a level-1 call).
 */
#define SLACK_TAIL 16

static size_t head_end(size_t req, size_t cs) { return MIN(cs, req + LARGE_CANARY); }
static size_t tail_start(size_t req, size_t cs) { return MAX(head_end(req, cs), cs - SLACK_TAIL); }

static void slack_fill(uintptr_t p, size_t req, size_t cs)
{
	canary_fill(p, req, head_end(req, cs));
	canary_fill(p, tail_start(req, cs), cs);
}

/* The first wrong canary of the slack, or cs. */
static size_t slack_first_bad(uintptr_t p, size_t req, size_t cs)
{
	size_t bad = canary_find(p, req, head_end(req, cs));

	return bad < head_end(req, cs) ? bad : canary_find(p, tail_start(req, cs), cs);
}

/* The lowest wrong canary of the run that ends at the slack's last byte, or cs. */
static size_t slack_tail_bad(uintptr_t p, size_t req, size_t cs)
{
	size_t lo = tail_start(req, cs) < cs ? tail_start(req, cs) : req;

	return canary_find_tail(p, lo, cs);
}

/* Report (heap lock held) what was found at ptr, against the object obj of size. */
static void report_at(const char *fn, const struct heap_misuse *what, uintptr_t ptr,
		      uintptr_t obj, size_t size, const struct obj_rec *rec, uintptr_t caller)
{
	struct heap_report r = { .what = what, .op = fn, .ptr = ptr, .obj = obj,
				 .obj_size = size, .caller = caller };

	if (rec) {
		r.alloc_site = site_pc(rec->alloc_site);
		r.free_site = site_pc(rec->free_site);
	}
	heap.invalid_frees++;
	heap_report(&r);
}

/* --- checks (heap lock held) ----------------------------------------- */

/*
 * The slack of the small object at p (requested size req, class size cs):
 * damage reaching its last byte and not its first is the next object's
 * underflow; any other damage is p's overflow.  Reports and repairs.
 */
static bool check_small_slack(const char *fn, uintptr_t p, size_t req, size_t cs,
			      const struct obj_rec *rec, uintptr_t caller)
{
	size_t first = slack_first_bad(p, req, cs), tail;

	if (first == cs)
		return true;
	tail = slack_tail_bad(p, req, cs);
	if (first == tail && first > req) {
		const struct obj_rec *next = NULL;
		struct slab *s = pagerun_desc(pagerun_index(p))->u.slab;
		uint32_t idx = slab_object_index(s, p + cs);

		if (idx < s->nobj && s->rec)
			next = &s->rec[idx];
		report_at(fn, &UNDERFLOW, p + first, p + cs,
			  next && next->req ? next->req & REC_SIZE : cs, next, caller);
	} else {
		report_at(fn, &OVERFLOW, p + first, p, req, rec, caller);
	}
	slack_fill(p, req, cs);
	return false;
}

/* A live allocation's canary; false (after a report) when broken. */
static bool check_canary(const char *fn, const struct dobj *o, uintptr_t caller)
{
	size_t req = recorded_size(o), bad;
	struct obj_rec sites;

	if (!req)
		return true;
	if (o->rec)
		return check_small_slack(fn, o->p, req, o->bytes, o->rec, caller);
	if (!o->head)
		return true;
	bad = canary_find(o->p, req, canary_end(o, req));
	if (bad == canary_end(o, req))
		return true;
	sites = (struct obj_rec){ 0, o->head->u.big.alloc_site, o->head->u.big.free_site };
	report_at(fn, &OVERFLOW, o->p + bad, o->p, req, &sites, caller);
	canary_fill(o->p, bad, canary_end(o, req));
	return false;
}

/* The poison of the freed object before p, written just before p: p's underflow. */
static bool check_before(const char *fn, const struct dobj *o, uintptr_t caller)
{
	struct slab *s;
	uint32_t idx;
	const struct obj_rec *prev;
	uintptr_t q = o->p - o->bytes;
	size_t tail;

	if (!o->rec)
		return true;
	s = pagerun_desc(pagerun_index(o->p))->u.slab;
	idx = slab_object_index(s, o->p);
	if (idx == 0 || idx >= s->nobj)
		return true;
	prev = &s->rec[idx - 1];
	if (!(prev->req & REC_FREED))
		return prev->req ? check_small_slack(fn, q, prev->req, o->bytes, prev, caller)
				 : true;
	tail = poison_find_tail(q, o->bytes);
	if (tail == o->bytes || tail == 0)
		return true;		/* intact, or all of it: its own use after free */
	report_at(fn, &UNDERFLOW, q + tail, o->p, recorded_size(o), o->rec, caller);
	poison_fill(q + tail, o->bytes - tail);
	return false;
}

/* A freed object's poison, broken at offset bad, as it is checked (heap lock held). */
static void report_poison(const char *fn, const struct dobj *o, size_t bad,
			  const struct obj_rec *was, uintptr_t caller)
{
	report_at(fn, &POISON_WRITTEN, o->p + bad, o->p, was->req & REC_SIZE, was, caller);
}

/* --- guarded blocks (mm/heapguard.c) --------------------------------- */

static void *dbg_alloc_plain(size_t size, size_t align, uintptr_t caller);

static const struct heap_misuse
	GUARD_TAIL = { HR_OVERFLOW, "the bytes between a sampled block and its guard page were written" },
	GUARD_HEAD = { HR_UNDERFLOW, "the bytes between a sampled block and the guard page before it were written" },
	GUARD_TWICE = { HR_DOUBLE_FREE, "a sampled block freed again" };

static void report_guarded(const char *fn, const struct heap_misuse *what, uintptr_t ptr,
			   const struct guarded *g, uintptr_t caller)
{
	struct obj_rec sites = { 0, g->alloc_site, g->free_site };

	report_at(fn, what, ptr, g->obj, g->size, &sites, caller);
}

/*
 * The canaries around a guarded block, in its data pages: up to
 * LARGE_CANARY bytes before it (a block at the end of its pages) and
 * after it, up to its guard page, at most LARGE_CANARY (a block at the
 * start of its pages).  Offsets from the block's start, which the
 * canaries' bytes do not depend on.
 */
static size_t guard_head(const struct guarded *g) { return MIN(g->obj - g->lo, (size_t)LARGE_CANARY); }
static size_t guard_tail(const struct guarded *g) { return MIN(g->end - g->obj, g->size + LARGE_CANARY); }

static void guard_fill(const struct guarded *g)
{
	uintptr_t lo = g->obj - guard_head(g);

	canary_fill(lo, 0, guard_head(g));
	canary_fill(g->obj, g->size, guard_tail(g));
}

/* The canaries of a recorded live block; false after a report (and their repair). */
static bool check_guarded_tail(const char *fn, const struct guarded *g, uintptr_t caller)
{
	size_t head = guard_head(g), bad;
	uintptr_t lo = g->obj - head;

	if (!(pagerun_desc(g->head)->flags & PG_RECORDED))
		return true;		/* its canaries are not written yet */
	bad = canary_find(g->obj, g->size, guard_tail(g));
	if (bad < guard_tail(g)) {
		report_guarded(fn, &GUARD_TAIL, g->obj + bad, g, caller);
		guard_fill(g);
		return false;
	}
	bad = canary_find_last(lo, 0, head);
	if (bad == head)
		return true;
	report_guarded(fn, &GUARD_HEAD, lo + bad, g, caller);
	guard_fill(g);
	return false;
}

/*
 * A guarded block of size (NULL when no run is left: the caller
 * allocates as usual).  Its canaries are written outside the lock, then
 * it is recorded.
 */
static void *guarded_alloc(size_t size, uintptr_t caller)
{
	unsigned long f = heap_lock();
	uintptr_t run = (uintptr_t)alloc_locked(guarded_run_bytes(size), PAGE_SIZE, caller), obj = 0;
	struct guarded g;

	if (run)
		obj = guarded_place(run, size, site_note(caller));
	heap_unlock(f);
	if (!obj)
		return NULL;
	guarded_find(obj, &g);
	guard_fill(&g);
	f = heap_lock();
	pagerun_desc(g.head)->flags |= PG_RECORDED;
	site_count(g.alloc_site, size);
	heap_unlock(f);
	return (void *)obj;
}

/*
 * Level 0: guard_left ran out on a slow path (mm/kheap.c).  The first
 * time, the sample is armed and the magazines' fast path held off, so the
 * next allocation, whatever it is, comes here; that one is the guarded
 * block.  NULL: allocate as usual.
 */
void *dbg_sample(size_t size, uintptr_t caller)
{
	unsigned long f = heap_lock();
	bool now = guarded_take(size);

	mag_fast_hold(guarded_armed());
	heap_unlock(f);
	return now ? guarded_alloc(size, caller) : NULL;
}

/* The run a block left the quarantine from, freed as any run (heap lock held). */
static void give_back(uint32_t h, uintptr_t caller)
{
	void *run = (void *)pagerun_va(h);
	struct lookup l = { .usable = 0 };
	const struct heap_misuse *why = check_live((uintptr_t)run, &l);

	if (!why)
		why = free_locked((uintptr_t)run, &l);
	end_free(run, why, l.usable, caller);
}

/* Every run of the quarantine back to the heap (heap lock held): no block is guarded now. */
static void give_back_quarantine(uintptr_t caller)
{
	for (uint32_t h; (h = guarded_unquarantine()) != PG_NONE;)
		give_back(h, caller);
}

bool dbg_free_guarded(void *p, uintptr_t caller)
{
	struct guarded g;
	uint32_t out;

	HEAP_ASSERT_LOCKED();
	if (!guarded_find((uintptr_t)p, &g) || g.obj != (uintptr_t)p)
		return false;
	if (g.retired) {
		report_guarded("kfree", &GUARD_TWICE, (uintptr_t)p, &g, caller);
		return true;
	}
	check_guarded_tail("kfree", &g, caller);
	if (pagerun_desc(g.head)->flags & PG_RECORDED)
		site_uncount(g.alloc_site, g.size);
	out = guarded_retire(&g, site_note(caller));
	if (out != PG_NONE)
		give_back(out, caller);
	return true;
}

size_t dbg_guarded_size(const void *p)
{
	struct guarded g;

	HEAP_ASSERT_LOCKED();
	return guarded_find((uintptr_t)p, &g) && g.obj == (uintptr_t)p && !g.retired ? g.size : 0;
}

/* --- the calls ------------------------------------------------------- */

void *dbg_alloc(size_t size, size_t align, uintptr_t caller)
{
	void *g = guarded_due(size, align) ? guarded_alloc(size, caller) : NULL;

	return g ? g : dbg_alloc_plain(size, align, caller);
}

static void *dbg_alloc_plain(size_t size, size_t align, uintptr_t caller)
{
	unsigned long f = heap_lock();
	void *p = alloc_locked(size < SIZE_MAX ? size + 1 : size, align, caller);
	struct obj_rec was = { 0, 0, 0 };
	struct dobj o;
	size_t bad = 0;

	if (p) {
		locate((uintptr_t)p, true, &o);
		if (o.rec) {
			was = *o.rec;
			o.rec->req = 0;		/* not checked until its canary is written */
		}
	}
	heap_unlock(f);
	if (!p)
		return NULL;
	if (was.req & REC_FREED)
		bad = poison_find(o.p, o.bytes);
	if (o.rec)
		slack_fill(o.p, size, o.bytes);
	else if (o.head)
		canary_fill(o.p, size, canary_end(&o, size));
	f = heap_lock();
	if (bad < o.bytes && (was.req & REC_FREED))
		report_poison("kmalloc", &o, bad, &was, caller);
	record(&o, size, site_index(caller));
	heap_unlock(f);
	return p;
}

/* Mark the small object freed and poisoned, with its free site. */
static void record_free(struct dobj *o, size_t req, uintptr_t caller)
{
	site_uncount(alloc_site_of(o), req);
	if (!o->rec)
		return;
	o->rec->req = (uint16_t)(REC_FREED | (req ? req : o->bytes));
	o->rec->free_site = site_index(caller);
}

void dbg_free(void *p, uintptr_t caller)
{
	unsigned long f = heap_lock();
	struct lookup l = { .usable = 0 };	/* read by end_free on a report too */
	const struct heap_misuse *why = check_live((uintptr_t)p, &l);
	struct dobj o;
	size_t req = 0;

	if (!why) {
		locate((uintptr_t)p, false, &o);
		req = recorded_size(&o);
		check_canary("kfree", &o, caller);
		check_before("kfree", &o, caller);
		if (o.rec)
			o.rec->req = 0;	/* being poisoned: a neighbour's check skips it */
	}
	heap_unlock(f);
	if (why) {			/* a guarded block (end_free knows it), or a report */
		f = heap_lock();
		end_free(p, why, 0, caller);
		heap_unlock(f);
		return;
	}
	if (l.d->kind == PK_SLAB)
		poison_fill((uintptr_t)p, l.usable);	/* still the caller's */
	f = heap_lock();
	why = check_live((uintptr_t)p, &l);
	if (!why) {
		locate((uintptr_t)p, true, &o);
		record_free(&o, req, caller);
		why = free_locked((uintptr_t)p, &l);
	}
	end_free(p, why, l.usable, caller);
	heap_unlock(f);
}

/* The usable size: what was asked for (the whole block when not recorded). */
size_t dbg_size(const void *p, uintptr_t caller)
{
	unsigned long f = heap_lock();
	struct lookup l;
	const struct heap_misuse *why = check_live((uintptr_t)p, &l);
	size_t n = why && heap_guarded ? dbg_guarded_size(p) : 0;
	struct dobj o;

	if (why && !n) {
		report("ksize", p, why, caller);
	} else if (!why) {
		locate((uintptr_t)p, false, &o);
		n = recorded_size(&o);
		n = n ? n : l.usable;
	}
	heap_unlock(f);
	return n;
}

/* Always moves: the new block gets its own record and canary. */
void *dbg_realloc(void *p, size_t size, uintptr_t caller)
{
	size_t old;
	void *q;

	if (!p)
		return dbg_alloc(size ? size : 1, 8, caller);
	old = dbg_size(p, caller);
	if (!old)
		return NULL;		/* reported */
	q = dbg_alloc(size ? size : 1, 8, caller);
	if (!q)
		return NULL;		/* p untouched */
	memcpy(q, p, MIN(size, old));
	dbg_free(p, caller);
	return q;
}

/* --- reports and kheap_check ------------------------------------------ */

void dbg_describe(struct heap_report *r)
{
	uint32_t i = pagerun_index(r->ptr), idx;
	struct pgdesc *d = i == PG_NONE ? NULL : pagerun_desc(i);
	struct slab *s;
	const struct obj_rec *rec;

	if (!d || d->kind != PK_SLAB || r->obj)
		return;
	s = d->u.slab;
	idx = (uint32_t)((r->ptr - s->base) / slab_class_size(s->cls));
	rec = s->rec && idx < s->nobj ? &s->rec[idx] : NULL;
	if (!rec || !rec->req)
		return;
	r->obj = s->base + idx * slab_class_size(s->cls);
	r->obj_size = rec->req & REC_SIZE;
	r->alloc_site = site_pc(rec->alloc_site);
	r->free_site = site_pc(rec->free_site);
}

/* Every recorded object of the slab whose first page is i. */
static bool check_slab_objects(struct slab *s)
{
	size_t cs = slab_class_size(s->cls);

	for (uint32_t k = 0; s->rec && k < s->nobj; k++) {
		struct obj_rec *rec = &s->rec[k];
		struct dobj o = { s->base + k * cs, cs, rec, NULL };

		size_t bad = rec->req & REC_FREED && slab_object_free(s, k) ? poison_find(o.p, cs) : cs;

		if (bad < cs) {
			report_poison("kheap_check", &o, bad, rec, 0);
			poison_fill(o.p, cs);
			return false;
		}
		if (rec->req && !(rec->req & REC_FREED) && !slab_object_free(s, k) &&
		    !check_canary("kheap_check", &o, 0))
			return false;
	}
	return true;
}

bool dbg_check(void)
{
	HEAP_ASSERT_LOCKED();
	for (uint32_t i = 0; i < heap.npg; i++) {
		struct pgdesc *d = pagerun_desc(i);
		struct dobj o = { pagerun_va(i), (size_t)d->npages * PAGE_SIZE, NULL, d };
		struct guarded g;

		if (d->kind == PK_SLAB && d->npages && !check_slab_objects(d->u.slab))
			return false;
		if (d->kind == PK_LARGE && d->flags & PG_SAMPLED && guarded_find(o.p, &g)) {
			if (!(d->flags & PG_RETIRED) && !check_guarded_tail("kheap_check", &g, 0))
				return false;
		} else if (d->kind == PK_LARGE && !check_canary("kheap_check", &o, 0)) {
			return false;
		}
	}
	return true;
}

/* --- the level ------------------------------------------------------- */

/* Forget every record: objects made or freed below level 1 left them stale. */
static void forget_records(void)
{
	for (uint32_t i = 0; i < heap.npg; i++) {
		struct pgdesc *d = pagerun_desc(i);

		if (d->kind == PK_SLAB && d->npages && d->u.slab->rec)
			memset(d->u.slab->rec, 0, d->u.slab->nobj * sizeof(struct obj_rec));
		if (d->kind == PK_LARGE && !(d->flags & PG_SAMPLED))
			d->flags &= (uint8_t)~PG_RECORDED;	/* a guarded block's is good at any level */
	}
}

static bool mags_were_on;

bool kheap_set_check(unsigned level)
{
	unsigned long f;
	bool from_zero = !heap_debug_level;

	if (level > HEAP_CHECK_MAX)
		return false;
	if (from_zero && level) {
		mags_were_on = mag_enabled();
		mag_set_enabled(false);	/* every object through the checks */
	}
	f = heap_lock();
	if (from_zero && level) {
		forget_records();
		site_forget();
	}
	heap_debug_level = level;
	guarded_set_rate(heap_guard_every);	/* level 3's rate is 1 */
	mag_fast_hold(false);
	heap_unlock(f);
	if (!from_zero && !level)
		mag_set_enabled(mags_were_on);
	return true;
}

unsigned kheap_check_level(void) { return heap_debug_level; }

void kheap_set_sample(unsigned every)
{
	unsigned long f = heap_lock();

	guarded_set_rate(every);
	mag_fast_hold(false);
	if (!every)
		give_back_quarantine(CALLER());
	heap_unlock(f);
}

unsigned kheap_sample(void) { return heap_guard_every; }

size_t kheap_leaks_at(uintptr_t site, size_t *bytes)
{
	unsigned long f = heap_lock();
	size_t n = site_live(site, bytes);

	heap_unlock(f);
	return n;
}

void kheap_print_leaks(void)
{
	unsigned long f = heap_lock();

	site_print_leaks();
	heap_unlock(f);
}
