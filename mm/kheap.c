/*
 * The kmalloc family over the heap core (mm/heap_int.h): page runs for
 * large sizes, slabs for small ones, every pointer checked against the
 * out-of-band descriptors before anything changes.
 *
 * Locking: each call takes the heap lock once, except a kmalloc or kfree
 * that the current cache's magazines serve (mm/magazine_int.h), which
 * takes none; the *_locked helpers assert it.  When memory runs short
 * the API asks the core's reclaim hook (the scavenger's policy) and
 * retries once; it never calls the scavenger itself.
 *
 * Counters kept here (in struct heap): live bytes and allocations, the
 * bytes freed since the scavenger last checked, misuse reports, NULLs.
 */
#include "mm/kheap.h"
#include "mm/kheap_int.h"
#include "mm/heapdebug.h"
#include "mm/magazine_int.h"
#include "mm/trace.h"
#include "mm/heapreport.h"

size_t kheap_freed(void) { return heap.freed_since_check; }
size_t kheap_live_bytes(void) { return heap.live_bytes; }
size_t kheap_live_allocs(void) { return heap.live_allocs; }

size_t kheap_meta_size(size_t npages) { return heap_desc_size(npages); }

/* floor(v * num / den) for num <= den, with no product that can wrap. */
static size_t scale_down(size_t v, size_t num, size_t den)
{
	return v / den * num + v % den * num / den;
}

size_t kheap_region_pages(size_t ram_frames, size_t vspace_pages, const char **rule)
{
	size_t by_ram = ram_frames / 4, by_vspace = 0, n;
	/* in eighths of a byte: a page, its descriptor and its bit of the freed bitmap */
	size_t per_page = (PAGE_SIZE + sizeof(struct pgdesc)) * 8 + 1;

	if (vspace_pages > 3)		/* two guards and a partly used metadata page */
		by_vspace = scale_down(vspace_pages - 3, PAGE_SIZE * 8, per_page);
	n = MIN(by_ram, by_vspace);
	*rule = by_ram <= by_vspace ? "RAM / 4" : "the kernel virtual space left";
	if (n > PG_NONE - 1) {		/* 64-bit hosts only: indices are 32-bit */
		n = PG_NONE - 1;
		*rule = "the 32-bit page index";
	}
	return n;
}

void kheap_init(uintptr_t base, size_t npages, void *meta, bool overcommit)
{
	heap_core_init(base, npages, meta, overcommit);
	slab_init();
	heapdebug_init();
	mag_init();
}

size_t kheap_max_size(void) { return (size_t)heap.npg * PAGE_SIZE; }
bool kheap_contains(uintptr_t va) { return pagerun_index(va) != PG_NONE; }

/* --- allocation (heap lock held) ------------------------------------- */

/* A run of pages, asking for memory back once if there is none. */
static uint32_t run_alloc(size_t npages, size_t align_pages)
{
	uint32_t i = pagerun_alloc(npages, align_pages, PK_LARGE);

	if (i == PG_NONE && heap_reclaim(npages, HR_ALLOC_FAILED))
		i = pagerun_alloc(npages, align_pages, PK_LARGE);
	return i;
}

static void *slab_alloc_retry(unsigned cls, bool *grew)
{
	void *p = slab_alloc(cls, grew);

	if (!p && heap_reclaim(2, HR_ALLOC_FAILED))
		p = slab_alloc(cls, grew);
	return p;
}

/* The slab class that serves size at align, or SLAB_NONE for a page run. */
static unsigned class_for(size_t size, size_t align)
{
	if (size > SLAB_MAX)
		return SLAB_NONE;
	if (align <= 8 || (align <= 16 && size > 8))		/* natural alignment */
		return slab_class_of(size);
	return align < PAGE_SIZE ? slab_class_aligned(size, align) : SLAB_NONE;
}

/* A page run of n pages at align; *usable its bytes. */
static void *alloc_run(size_t n, size_t align, size_t *usable)
{
	uint32_t i = run_alloc(n, align > PAGE_SIZE ? align / PAGE_SIZE : 1);

	*usable = n * PAGE_SIZE;
	return i == PG_NONE ? NULL : (void *)pagerun_va(i);
}

/* Count an allocation that succeeded; tell the reclaim hook if pages were committed. */
static inline __attribute__((always_inline))
void *account_alloc(void *p, size_t size, size_t usable, unsigned cls, bool grew, uintptr_t caller)
{
	heap.live_bytes += usable;
	heap.live_allocs++;
	if (TRACE_ON(TR_HEAP))
		trace_alloc(p, size, usable, cls == SLAB_NONE ? -1 : (int)cls, caller);
	if (grew)			/* frames were promised: pressure? */
		heap_reclaim(0, HR_COMMITTED);
	return p;
}

/* An object of class cls for a request of size, counted (a NULL too). */
static inline __attribute__((always_inline))
void *alloc_slab_locked(unsigned cls, size_t size, uintptr_t caller)
{
	bool grew = false;
	void *p = slab_alloc_retry(cls, &grew);

	if (__builtin_expect(!p, 0)) {
		heap.null_returns++;
		return NULL;
	}
	return account_alloc(p, size, slab_class_size(cls), cls, grew, caller);
}

/*
 * Allocate from a slab when the size and alignment fit a class, else a
 * page run, and count the result.
 */
void *alloc_locked(size_t size, size_t align, uintptr_t caller)
{
	unsigned cls = class_for(size, align);
	size_t usable = 0, n;
	void *p = NULL;

	HEAP_ASSERT_LOCKED();
	if (cls != SLAB_NONE)
		return alloc_slab_locked(cls, size, caller);
	if ((n = pagerun_pages_for(size)) != 0)
		p = alloc_run(n, align, &usable);
	if (!p) {
		heap.null_returns++;
		return NULL;
	}
	return account_alloc(p, size, usable, cls, true, caller);
}

static bool align_ok(size_t align)
{
	return align >= 8 && !(align & (align - 1));
}

void *kmalloc_aligned(size_t size, size_t align)
{
	return kheap_aligned_from(size, align, CALLER());
}

void *kheap_aligned_from(size_t size, size_t align, uintptr_t caller)
{
	unsigned long f;
	void *p;

	if (!align_ok(align) || align > kheap_max_size()) {
		size = SIZE_MAX;	/* refused below, and counted as every NULL is */
		align = 8;
	}
	if (__builtin_expect(heap_debug_level != 0, 0))
		return dbg_alloc(size ? size : 1, align, caller);
	f = heap_lock();
	p = alloc_locked(size ? size : 1, align, caller);
	heap_unlock(f);
	return p;
}

/* What each check can find wrong: the kind of misuse and its words. */
static const struct heap_misuse
	WRITTEN_CACHED = { HR_UAF_WRITE, "a freed object was written while in a magazine" },
	NOT_START_SMALL = { HR_INTERIOR_FREE, "inside a small object, not its start" },
	NOT_LIVE_SMALL = { HR_DOUBLE_FREE, "a small object that is not allocated" },
	NOT_HEAP = { HR_INVALID_FREE, "not a heap address" },
	NOT_START_LARGE = { HR_INTERIOR_FREE, "inside a large allocation, not its start" },
	IN_META = { HR_INVALID_FREE, "heap metadata, never handed out" },
	IN_FREE = { HR_DOUBLE_FREE, "in free heap space (already freed, or never allocated)" },
	CACHED_ALREADY = { HR_DOUBLE_FREE, "already free, in a magazine" };

/* A cached object whose key changed while it was in a magazine. */
static __attribute__((noinline, cold)) void report_written(void *p, uintptr_t caller)
{
	unsigned long f = heap_lock();

	report("kmalloc", p, &WRITTEN_CACHED, caller);
	heap_unlock(f);
}

/*
 * An object out of a magazine: its key checked and cleared, the
 * allocation traced; false when the key had changed (the caller reports
 * it, once it holds no lock).  Run where nothing can interrupt between
 * the magazine change and the trace line (interrupts off or the heap
 * lock held), so a stats line (the tick's) never sees one without the
 * other.
 */
static bool take_key_traced(void *p, size_t size, unsigned cls, uintptr_t caller)
{
	bool intact = *mag_word(p) == mag_key(p);

	*mag_word(p) = 0;
	if (TRACE_ON(TR_HEAP))
		trace_alloc(p, size, slab_class_size(cls), (int)cls, caller);
	return intact;
}

/* The same with nothing held, and the report made. */
static void *take_cached(void *p, size_t size, unsigned cls, uintptr_t caller)
{
	if (__builtin_expect(!take_key_traced(p, size, cls, caller), 0))
		report_written(p, caller);
	return p;
}

/*
 * A traced magazine hit: interrupts stay off from the magazine change to
 * its trace line (take_key_traced).  Untraced, the fast path pays
 * nothing.
 */
static void *alloc_cached_traced(size_t size, unsigned cls, uintptr_t caller)
{
	unsigned long f = irq_save();
	void *p = NULL;
	bool intact = !(mag_pop(cls, &p) || mag_swap_pop(cls, &p)) ||
		      take_key_traced(p, size, cls, caller);

	irq_restore(f);
	if (__builtin_expect(!intact, 0))
		report_written(p, caller);
	return p;
}

/*
 * A kmalloc of a cached class that missed (or was traced): a traced hit,
 * else under the heap lock a depot exchange, else its slab.
 */
static __attribute__((noinline)) void *alloc_miss(size_t size, uintptr_t caller)
{
	unsigned cls = slab_class_of(size);
	unsigned long f;
	void *p;

	if (TRACE_ON(TR_HEAP) && (p = alloc_cached_traced(size, cls, caller)))
		return p;
	if (!TRACE_ON(TR_HEAP) && mag_swap_pop(cls, &p))	/* traced: tried just above */
		return take_cached(p, size, cls, caller);
	f = heap_lock();
	p = mag_alloc_miss(cls);
	if (p) {
		bool intact = take_key_traced(p, size, cls, caller);	/* before the unlock */

		heap_unlock(f);
		if (__builtin_expect(!intact, 0))
			report_written(p, caller);
		return p;
	}
	p = alloc_slab_locked(cls, size, caller);
	heap_unlock(f);
	return p;
}

/* A cached object whose key was written while in a magazine: reported, cleared, returned. */
static __attribute__((noinline, cold)) void *alloc_written(size_t size, void *p, uintptr_t caller)
{
	return take_cached(p, size, slab_class_of(size), caller);
}

/*
 * Above heapcheck level 0 (mm/kheap_debug.c): cold and out of line, so
 * that the level-0 paths they branch from keep their layout.
 */
static __attribute__((noinline, cold)) void *alloc_debug(size_t size, uintptr_t caller)
{
	return dbg_alloc(size ? size : 1, 8, caller);
}

/* The sampling countdown ran out (mm/heapguard.c): cold and out of line too. */
static __attribute__((noinline, cold)) void *alloc_sample(size_t size, uintptr_t caller)
{
	return dbg_sample(size ? size : 1, caller);
}

static __attribute__((noinline, cold)) void free_debug(void *p, uintptr_t caller)
{
	dbg_free(p, caller);
}

/*
 * Every other kmalloc but an untraced hit: each counts down to the next
 * sampled guarded block (alloc_sample, mm/heapguard.c: one atomic
 * decrement here, nothing on the hit path); then a cached class's miss
 * (alloc_miss), else under the heap lock a slab (inline: the slab path)
 * or a page run.  alloc_slow and alloc_written are out of line and each
 * called from one place, so the hit path (ALLOC_FAST) neither saves
 * registers for them nor reads its caller's address before it knows it
 * needs it.
 */
static __attribute__((noinline)) void *alloc_slow(size_t size, uintptr_t caller)
{
	unsigned long f;
	void *p;

	if (__builtin_expect(heap_debug_level != 0, 0))	/* magazines are off then */
		return alloc_debug(size, caller);
	if (__builtin_expect(__atomic_sub_fetch(&guard_left, 1, __ATOMIC_RELAXED) <= 0, 0) &&
	    (p = alloc_sample(size, caller)) != NULL)
		return p;			/* a sampled guarded block */
	if (size - 1 < MAG_MAX_SIZE && mag_on)
		return alloc_miss(size, caller);
	f = heap_lock();
	if (size - 1 < SLAB_MAX)		/* 1 to SLAB_MAX: no other test */
		p = alloc_slab_locked(slab_class_of(size), size, caller);
	else					/* 0 (asks for 1 byte), or a page run */
		p = alloc_locked(size + !size, 8, caller);
	heap_unlock(f);
	return p;
}

/*
 * kmalloc's fast path: an untraced magazine hit (1 to MAG_MAX_SIZE
 * bytes) whose key is intact, cleared; everything else is alloc_slow's.
 * One compare gates it: with the magazines off, or kmalloc traced
 * (trace=heap), mag_fast_size is 0 and no pop is tried.
 */
#define ALLOC_FAST(size, caller) do {						\
	size_t m_ = (size) - 1;							\
	void *p_ = NULL;							\
										\
	if (__builtin_expect(m_ < mag_fast_size, 1) &&				\
	    __builtin_expect(mag_pop_size(m_, &p_), 1)) {				\
		if (__builtin_expect(*mag_word(p_) == mag_key(p_), 1)) {	\
			*mag_word(p_) = 0;					\
			return p_;						\
		}								\
		return alloc_written(size, p_, caller);				\
	}									\
	return alloc_slow(size, caller);					\
} while (0)

/*
 * The four fast-path entries (kmalloc, kfree and their _from forms) keep
 * no frame pointer: each calls nothing but by a tail call (alloc_slow,
 * alloc_written, free_slow), so no frame of theirs is ever on the stack
 * under a callee, and %ebp (%rbp) still holds their caller's frame when
 * the callee's prologue pushes it: every backtrace through the slow
 * paths reads as before, with the entry gone as for any tail call.  What
 * it gives up: a crash inside the entry's own few instructions (a wild
 * magazine slot) shows the entry as #0 and then its caller's callers;
 * its caller is missing unless diag's top-of-stack guess finds it, and
 * if the compiler used %ebp as a register there the walk stops at once
 * ("not on a mapped kernel stack").  Clang has no such attribute and
 * keeps the frame.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define FAST_ENTRY __attribute__((optimize("omit-frame-pointer")))
#else
#define FAST_ENTRY
#endif

FAST_ENTRY KHEAP_FAST_ABI void *kheap_malloc_from(size_t size, uintptr_t caller)
{
	ALLOC_FAST(size, caller);
}

FAST_ENTRY KHEAP_FAST_ABI void *kmalloc(size_t size)
{
	ALLOC_FAST(size, CALLER());
}

/* Zero p's usable bytes, skipping whole pages that read as zero already. */
static void zero_fresh(void *p, size_t size)
{
	uintptr_t a = (uintptr_t)p;

	if (size < PAGE_SIZE) {
		memset(p, 0, size);
		return;
	}
	for (uintptr_t v = a; v < a + size; v += PAGE_SIZE) {
		unsigned st = mmu_state(v);

		if (st != PS_AOW && st != PS_ZERO)
			memset((void *)v, 0, MIN(PAGE_SIZE, a + size - v));
	}
}

void *kzalloc(size_t size)
{
	void *p = kheap_malloc_from(size, CALLER());

	if (p)
		zero_fresh(p, size ? size : 1);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		total = SIZE_MAX;	/* no region holds it: refused and counted as any NULL */
	p = kheap_malloc_from(total, CALLER());
	if (p)
		zero_fresh(p, total ? total : 1);
	return p;
}

/* --- pointer checks and free ----------------------------------------- */

static const struct heap_misuse *slab_problem(enum slab_ptr r)
{
	if (r == SLAB_NOT_START)
		return &NOT_START_SMALL;
	if (r == SLAB_NOT_LIVE)
		return &NOT_LIVE_SMALL;
	return NULL;
}

/*
 * Check p is the start of a live allocation; NULL or what is wrong.
 * Small objects are only located here: slab_check_ptr or slab_free
 * checks them.
 */
static inline __attribute__((always_inline))
const struct heap_misuse *lookup(uintptr_t p, struct lookup *l)
{
	l->page = pagerun_index(p);
	if (l->page == PG_NONE)
		return &NOT_HEAP;
	l->d = pagerun_desc(l->page);
	switch (l->d->kind) {
	case PK_LARGE:
		if (p & (PAGE_SIZE - 1))
			return &NOT_START_LARGE;
		l->usable = (size_t)l->d->npages * PAGE_SIZE;
		return NULL;
	case PK_LARGE_TAIL:
		return &NOT_START_LARGE;
	case PK_SLAB:
		l->usable = slab_class_size(l->d->cls);	/* every slab page has its class */
		return NULL;
	case PK_META:
		return &IN_META;
	default:
		return &IN_FREE;
	}
}

__attribute__((noinline, cold)) void report(const char *fn, const void *p,
					    const struct heap_misuse *what, uintptr_t caller)
{
	struct heap_report r = { .what = what, .op = fn, .ptr = (uintptr_t)p, .caller = caller };
	struct heap_obj o;

	if (heap_debug_level)
		dbg_describe(&r);	/* the object and its sites, when recorded */
	if (!r.obj && heap_alloc_at(r.ptr, &o)) {	/* else its page's: its slot or run */
		r.obj = o.start;
		r.obj_size = o.size;
	}
	heap.invalid_frees++;
	heap_report(&r);
}

/* A kfree the pointer check refused: a guarded block (its pointer never starts a run), or a report. */
static __attribute__((noinline, cold)) void free_refused(void *p, const struct heap_misuse *why,
							 uintptr_t caller)
{
	if (why == &NOT_START_LARGE && heap_guarded && dbg_free_guarded(p, caller))
		return;
	report("kfree", p, why, caller);
}

void end_free(void *p, const struct heap_misuse *why, size_t usable, uintptr_t caller)
{
	HEAP_ASSERT_LOCKED();
	if (why)
		free_refused(p, why, caller);
	else if (TRACE_ON(TR_HEAP))
		trace_free(p, usable, caller);
}

/* Check a small object (lookup left it to the slab) without changing it. */
static const struct heap_misuse *check_small(uintptr_t p, struct lookup *l)
{
	return l->d->kind == PK_SLAB ? slab_problem(slab_check_ptr(l->d->u.slab, p)) : NULL;
}

/* An allocation of usable bytes is gone: the counters follow. */
static inline void count_free(size_t usable)
{
	heap.live_bytes -= usable;
	heap.live_allocs--;
	heap.freed_since_check += usable;
}

/* Free an allocation lookup() located; what is wrong, or NULL when freed. */
const struct heap_misuse *free_locked(uintptr_t p, struct lookup *l)
{
	if (l->d->kind == PK_SLAB) {
		const struct heap_misuse *why = slab_problem(slab_free(l->d->u.slab, p, &l->usable));

		if (why)
			return why;
	} else {
		pagerun_free(l->page, l->d->npages);
	}
	count_free(l->usable);
	return NULL;
}

/* A live small object that a magazine holds: freed already (heap lock held). */
static const struct heap_misuse *check_cached(uintptr_t p, const struct lookup *l)
{
	if (l->d->kind == PK_SLAB && *mag_word((void *)p) == mag_key((void *)p) &&
	    mag_holds((void *)p, l->d->cls))
		return &CACHED_ALREADY;
	return NULL;
}

/* Check p as every pointer is checked: its allocation, and not in a magazine. */
const struct heap_misuse *check_live(uintptr_t p, struct lookup *l)
{
	const struct heap_misuse *why = lookup(p, l);

	if (!why)
		why = check_small(p, l);
	return why ? why : check_cached(p, l);
}

/*
 * The heap lock's side of kfree.  push says what the fast path found:
 * MAG_NO_ROOM (p valid and keyed: a magazine exchange, or its slab),
 * MAG_KEYED (maybe cached: searched), MAG_BYPASS or MAG_UNCACHED (not a
 * cached class, an invalid pointer, NULL, or magazines off: no object is
 * cached then; checked as it is freed, as without magazines), MAG_REMOTE
 * (another cache's slab: searched as MAG_KEYED, since the owner may have
 * cached it, then to its slab, where its owner's next miss takes it).
 */
static void free_locked_side(void *p, enum mag_push push, uintptr_t caller)
{
	unsigned long f = heap_lock();
	struct lookup l = { .usable = 0 };	/* read by end_free on a report too */
	const struct heap_misuse *why;

	why = push == MAG_KEYED || push == MAG_REMOTE ? check_live((uintptr_t)p, &l)
						       : lookup((uintptr_t)p, &l);
	if (!why && (push == MAG_NO_ROOM || push == MAG_KEYED) && mag_free_miss(p, l.d->cls))
		l.usable = slab_class_size(l.d->cls);
	else if (!why)
		why = free_locked((uintptr_t)p, &l);
	end_free(p, why, l.usable, caller);
	heap_unlock(f);
}

/* The class of p, which mag_push found valid (MAG_NO_ROOM): no lock, as there. */
static unsigned free_class(const void *p)
{
	return pagerun_desc(pagerun_index((uintptr_t)p))->cls;
}

/*
 * kfree traced (the fast path's gate, mag_ncls, is 0 then): as
 * alloc_cached_traced, the push (or swap) and its line with interrupts
 * off.
 */
static void free_traced(void *p, uintptr_t caller)
{
	unsigned long f = irq_save();
	enum mag_push r = mag_push(p, true);

	if (r == MAG_NO_ROOM && mag_swap_push(p, free_class(p)))
		r = MAG_PUSHED;
	if (r == MAG_PUSHED)
		trace_free(p, slab_class_size(free_class(p)), caller);
	irq_restore(f);
	if (r != MAG_PUSHED)
		free_locked_side(p, r, caller);
}

/*
 * A free of an object on a slab page of a class the magazines do not
 * take (mag_push said MAG_UNCACHED, so p is in the region): its slab
 * checks and frees it.  The kind is read again under the lock; anything
 * but a slab page now goes the general way.
 */
static inline __attribute__((always_inline)) void free_uncached(void *p, uintptr_t caller)
{
	unsigned long f = heap_lock();
	struct pgdesc *d = pagerun_desc(pagerun_index((uintptr_t)p));
	enum slab_ptr r;
	size_t usable;

	if (__builtin_expect(d->kind != PK_SLAB, 0)) {
		heap_unlock(f);
		free_locked_side(p, MAG_BYPASS, caller);
		return;
	}
	r = slab_free(d->u.slab, (uintptr_t)p, &usable);
	if (__builtin_expect(r != SLAB_LIVE, 0)) {
		report("kfree", p, slab_problem(r), caller);
	} else {
		count_free(usable);
		if (TRACE_ON(TR_HEAP))
			trace_free(p, usable, caller);
	}
	heap_unlock(f);
}

/*
 * Every kfree but an untraced push: NULL, a traced free (mag_push said
 * MAG_UNCACHED or MAG_BYPASS: the gate was 0), and what mag_push
 * refused.  Out of line and called from one place, as alloc_slow.
 */
static __attribute__((noinline)) void free_slow(void *p, enum mag_push push, uintptr_t caller)
{
	if (__builtin_expect(heap_debug_level != 0, 0)) {	/* magazines are off then */
		if (p)
			free_debug(p, caller);
	} else if (push == MAG_UNCACHED && !TRACE_ON(TR_HEAP))
		free_uncached(p, caller);
	else if (!p)
		return;
	else if (TRACE_ON(TR_HEAP))
		free_traced(p, caller);
	else if (push != MAG_NO_ROOM || !mag_swap_push(p, free_class(p)))
		free_locked_side(p, push, caller);
}

/*
 * kfree's fast path: a push.  NULL needs no test here: it is outside the
 * region, so mag_push says MAG_BYPASS and free_slow ignores it; nor does
 * the trace: mag_ncls is 0 while kfree is traced, so the push is refused
 * (MAG_UNCACHED, or MAG_BYPASS where the page is no cached slab's) and
 * free_slow tries it again with interrupts off.
 */
#define FREE_FAST(p, caller) do {						\
	enum mag_push r_ = mag_push(p, false);					\
										\
	if (__builtin_expect(r_ == MAG_PUSHED, 1))				\
		return;								\
	free_slow(p, r_, caller);						\
} while (0)

FAST_ENTRY KHEAP_FAST_ABI void kfree(void *p)
{
	FREE_FAST(p, CALLER());
}

FAST_ENTRY KHEAP_FAST_ABI void kheap_free_from(void *p, uintptr_t caller)
{
	FREE_FAST(p, caller);
}

size_t ksize(const void *p)
{
	return kheap_size_from(p, CALLER());
}

size_t kheap_size_from(const void *p, uintptr_t caller)
{
	struct lookup l;
	const struct heap_misuse *why;
	unsigned long f;
	size_t n;

	if (heap_debug_level)
		return dbg_size(p, caller);
	f = heap_lock();
	why = check_live((uintptr_t)p, &l);
	n = why && heap_guarded ? dbg_guarded_size(p) : 0;	/* guarded at a level above */
	if (why && !n)
		report("ksize", p, why, caller);
	heap_unlock(f);
	return why ? n : l.usable;
}

/* --- realloc --------------------------------------------------------- */

/* Resize a large allocation in place: shrink always, grow into free pages after it. */
static bool resize_run(struct lookup *l, size_t size)
{
	size_t n = l->d->npages, m = pagerun_pages_for(size);

	if (!m)
		return false;		/* more pages than the region: it cannot stay */
	if (m < n)
		pagerun_free(l->page + (uint32_t)m, n - m);
	else if (m > n && !pagerun_grow(l->page, n, m))
		return false;
	l->d->npages = (uint32_t)m;
	heap.live_bytes += m * PAGE_SIZE - l->usable;
	if (m < n)
		heap.freed_since_check += (n - m) * PAGE_SIZE;
	if (TRACE_ON(TR_HEAP) && m != n)	/* the live data changed: say so */
		trace_resize((void *)pagerun_va(l->page), l->usable, m * PAGE_SIZE);
	return true;
}

/* In place when the size stays in the same kind of storage and fits. */
static bool resize_in_place(struct lookup *l, size_t size)
{
	if (l->d->kind == PK_SLAB)
		return size <= l->usable && (size > l->usable / 2 || l->usable <= 16);
	return size > SLAB_MAX && resize_run(l, size);
}

/* A guarded block left from a level above, resized at level 0: it moves. */
static void *move_guarded(void *p, size_t size, size_t old, uintptr_t caller)
{
	void *q = kheap_malloc_from(size, caller);

	if (q) {
		memcpy(q, p, MIN(size, old));
		kheap_free_from(p, caller);
	}
	return q;
}

void *krealloc(void *p, size_t size)
{
	return kheap_realloc_from(p, size, CALLER());
}

void *kheap_realloc_from(void *p, size_t size, uintptr_t caller)
{
	struct lookup l;
	const struct heap_misuse *why;
	unsigned long f;
	void *q;

	if (heap_debug_level)
		return dbg_realloc(p, size, caller);
	if (!p)
		return kheap_malloc_from(size, caller);
	if (!size)
		size = 1;
	f = heap_lock();
	why = check_live((uintptr_t)p, &l);
	if (why && heap_guarded && (l.usable = dbg_guarded_size(p)) != 0) {
		heap_unlock(f);
		return move_guarded(p, size, l.usable, caller);	/* from a level above */
	}
	if (why) {
		report("krealloc", p, why, caller);
		heap_unlock(f);
		return NULL;
	}
	if (resize_in_place(&l, size)) {
		heap_unlock(f);
		return p;
	}
	q = alloc_locked(size, 8, caller);
	heap_unlock(f);
	if (!q)
		return NULL;			/* p untouched */
	memcpy(q, p, MIN(size, l.usable));
	kheap_free_from(p, caller);
	return q;
}
