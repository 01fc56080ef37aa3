/*
 * The kmalloc family over page runs (mm/pagerun.c) and slabs (mm/slab.c),
 * with the pointer checks, the heap lock and the figures.  The page-fault
 * side of the heap is mm/heapfault.c.
 */
#include "mm/kheap.h"
#include "mm/pagerun.h"
#include "mm/scavenge.h"
#include "mm/frame.h"
#include "mm/heapfault.h"
#include "mm/trace.h"

static bool locked;
static size_t live_bytes, live_allocs, freed_since_check;
static uint64_t invalid_frees, null_returns;

unsigned long kheap_lock(void)
{
	unsigned long f = irq_save();

	KASSERT(!locked);		/* re-entered: kmalloc from the fault path? */
	locked = true;
	return f;
}

void kheap_unlock(unsigned long flags)
{
	locked = false;
	irq_restore(flags);
}

bool kheap_locked(void) { return locked; }

size_t kheap_take_freed(void)
{
	size_t n = freed_since_check;

	freed_since_check = 0;
	return n;
}

size_t kheap_freed(void) { return freed_since_check; }
size_t kheap_live_bytes(void) { return live_bytes; }
size_t kheap_live_allocs(void) { return live_allocs; }

size_t kheap_meta_size(size_t npages) { return pagerun_desc_size(npages); }

/* floor(v * num / den) for num <= den, with no product that can wrap. */
static size_t scale_down(size_t v, size_t num, size_t den)
{
	return v / den * num + v % den * num / den;
}

size_t kheap_region_pages(size_t ram_frames, size_t vspace_pages, const char **rule)
{
	size_t by_ram = ram_frames / 4, by_vspace = 0, n;
	size_t per_page = PAGE_SIZE + pagerun_desc_size(1);

	if (vspace_pages > 3)		/* two guards and a partly used descriptor page */
		by_vspace = scale_down(vspace_pages - 3, PAGE_SIZE, per_page);
	n = MIN(by_ram, by_vspace);
	*rule = by_ram <= by_vspace ? "RAM / 4" : "the kernel virtual space left";
	if (n > PR_NONE - 1) {		/* 64-bit hosts only: indices are 32-bit */
		n = PR_NONE - 1;
		*rule = "the 32-bit page index";
	}
	return n;
}

void kheap_init(uintptr_t base, size_t npages, void *meta, bool overcommit)
{
	pagerun_init(base, npages, meta, overcommit);
	slab_init();
	live_bytes = live_allocs = freed_since_check = 0;
	invalid_frees = null_returns = 0;
}

size_t kheap_max_size(void) { return pagerun_pages() * PAGE_SIZE; }
bool kheap_contains(uintptr_t va) { return pagerun_index(va) != PR_NONE; }

/* --- allocation (heap lock held) ------------------------------------- */

/* A run of pages, asking the scavenger once if there is none. */
static uint32_t run_alloc(size_t npages, size_t align_pages)
{
	uint32_t i = pagerun_alloc(npages, align_pages, PK_LARGE);

	if (i == PR_NONE && scavenge_locked(npages, SCAV_ALLOC_FAILED))
		i = pagerun_alloc(npages, align_pages, PK_LARGE);
	return i;
}

static void *slab_alloc_retry(unsigned cls, bool *grew)
{
	void *p = slab_alloc(cls, grew);

	if (!p && scavenge_locked(2, SCAV_ALLOC_FAILED))
		p = slab_alloc(cls, grew);
	return p;
}

/* Pages were committed: see whether that put the machine under pressure. */
static void *alloc_locked(size_t size, size_t align, uintptr_t caller)
{
	void *p = NULL;
	size_t usable = 0, n;
	bool grew = false;

	if (size <= SLAB_MAX && (align <= 8 || (align <= 16 && size > 8))) {	/* natural alignment */
		unsigned cls = slab_class_of(size);

		p = slab_alloc_retry(cls, &grew);
		usable = slab_class_size(cls);
	} else if (size <= SLAB_MAX && align < PAGE_SIZE &&
		   slab_class_aligned(size, align) != SLAB_NONE) {
		unsigned cls = slab_class_aligned(size, align);

		p = slab_alloc_retry(cls, &grew);
		usable = slab_class_size(cls);
	} else if ((n = pagerun_pages_for(size)) != 0) {
		uint32_t i = run_alloc(n, align > PAGE_SIZE ? align / PAGE_SIZE : 1);

		p = i == PR_NONE ? NULL : (void *)pagerun_va(i);
		usable = n * PAGE_SIZE;
		grew = true;
	}
	if (p) {
		live_bytes += usable;
		live_allocs++;
		if (TRACE_ON(TR_HEAP))
			trace_alloc(p, size, usable, usable > SLAB_MAX ? -1 : (int)slab_class_of(usable), caller);
		if (grew)			/* frames were promised: pressure? */
			scavenge_after_alloc_locked();
	} else {
		null_returns++;
	}
	return p;
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
	f = kheap_lock();
	p = alloc_locked(size ? size : 1, align, caller);
	kheap_unlock(f);
	return p;
}

void *kheap_malloc_from(size_t size, uintptr_t caller)
{
	unsigned long f = kheap_lock();
	void *p = alloc_locked(size ? size : 1, 8, caller);

	kheap_unlock(f);
	return p;
}

void *kmalloc(size_t size)
{
	return kheap_malloc_from(size, CALLER());
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

struct lookup {
	uint32_t page;
	struct pgdesc *d;
	size_t usable;
};

static const char *slab_problem(enum slab_ptr r)
{
	if (r == SLAB_NOT_START)
		return "inside a small object, not its start";
	if (r == SLAB_NOT_LIVE)
		return "a small object that is not allocated (double free?)";
	return NULL;
}

/*
 * Check p is the start of a live allocation; NULL or what is wrong.
 * Small objects are only located here: slab_check_ptr or slab_free
 * checks them.
 */
static const char *lookup(uintptr_t p, struct lookup *l)
{
	l->page = pagerun_index(p);
	if (l->page == PR_NONE)
		return "not a heap address";
	l->d = pagerun_desc(l->page);
	switch (l->d->kind) {
	case PK_LARGE:
		if (p & (PAGE_SIZE - 1))
			return "inside a large allocation, not its start";
		l->usable = (size_t)l->d->npages * PAGE_SIZE;
		return NULL;
	case PK_LARGE_TAIL:
		return "inside a large allocation, not its start";
	case PK_SLAB:
		l->usable = slab_object_size(l->d->u.slab);
		return NULL;
	case PK_META:
		return "heap metadata, never handed out";
	default:
		return "in free heap space (already freed, or never allocated)";
	}
}

static void report(const char *fn, const void *p, const char *what, uintptr_t caller)
{
	char sym[96];

	ksym_format(caller, sym, sizeof(sym));
	klog(LOG_ERROR, "kheap: %s(%p): %s; caller %s; heap unchanged", fn, p, what, sym);
	trace_event(TR_OOM, "badptr", "fn=%s ptr=%p caller=%s what=\"%s\"", fn, p, sym, what);
	invalid_frees++;
	platform_misuse();
}

/* Check a small object (lookup left it to the slab) without changing it. */
static const char *check_small(uintptr_t p, struct lookup *l)
{
	return l->d->kind == PK_SLAB ? slab_problem(slab_check_ptr(l->d->u.slab, p)) : NULL;
}

/* Free an allocation lookup() located; what is wrong, or NULL when freed. */
static const char *free_locked(uintptr_t p, struct lookup *l)
{
	if (l->d->kind == PK_SLAB) {
		const char *why = slab_problem(slab_free(l->d->u.slab, p, &l->usable));

		if (why)
			return why;
	} else {
		pagerun_free(l->page, l->d->npages);
	}
	live_bytes -= l->usable;
	live_allocs--;
	freed_since_check += l->usable;
	return NULL;
}

unsigned kheap_small_class(const void *p)
{
	struct lookup l;

	if (lookup((uintptr_t)p, &l) || l.d->kind != PK_SLAB ||
	    slab_check_ptr(l.d->u.slab, (uintptr_t)p) != SLAB_LIVE)
		return SLAB_NONE;
	return slab_class(l.d->u.slab);
}

void kheap_report_from(const char *fn, const void *p, const char *what, uintptr_t caller)
{
	unsigned long f = kheap_lock();

	report(fn, p, what, caller);
	kheap_unlock(f);
}

void kfree(void *p)
{
	kheap_free_from(p, CALLER());
}

void kheap_free_from(void *p, uintptr_t caller)
{
	struct lookup l;
	const char *why;
	unsigned long f;

	if (!p)
		return;
	f = kheap_lock();
	why = lookup((uintptr_t)p, &l);
	if (!why)
		why = free_locked((uintptr_t)p, &l);
	if (why)
		report("kfree", p, why, caller);
	else if (TRACE_ON(TR_HEAP))
		trace_free(p, l.usable, caller);
	kheap_unlock(f);
}

size_t ksize(const void *p)
{
	return kheap_size_from(p, CALLER());
}

size_t kheap_size_from(const void *p, uintptr_t caller)
{
	struct lookup l;
	const char *why;
	unsigned long f = kheap_lock();

	why = lookup((uintptr_t)p, &l);
	if (!why)
		why = check_small((uintptr_t)p, &l);
	if (why)
		report("ksize", p, why, caller);
	kheap_unlock(f);
	return why ? 0 : l.usable;
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
	live_bytes += m * PAGE_SIZE - l->usable;
	if (m < n)
		freed_since_check += (n - m) * PAGE_SIZE;
	return true;
}

/* In place when the size stays in the same kind of storage and fits. */
static bool resize_in_place(struct lookup *l, size_t size)
{
	if (l->d->kind == PK_SLAB)
		return size <= l->usable && (size > l->usable / 2 || l->usable <= 16);
	return size > SLAB_MAX && resize_run(l, size);
}

void *krealloc(void *p, size_t size)
{
	return kheap_realloc_from(p, size, CALLER());
}

void *kheap_realloc_from(void *p, size_t size, uintptr_t caller)
{
	struct lookup l;
	const char *why;
	unsigned long f;
	void *q;

	if (!p)
		return kheap_malloc_from(size, caller);
	if (!size)
		size = 1;
	f = kheap_lock();
	why = lookup((uintptr_t)p, &l);
	if (!why)
		why = check_small((uintptr_t)p, &l);
	if (why) {
		report("krealloc", p, why, caller);
		kheap_unlock(f);
		return NULL;
	}
	if (resize_in_place(&l, size)) {
		kheap_unlock(f);
		return p;
	}
	q = alloc_locked(size, 8, caller);
	kheap_unlock(f);
	if (!q)
		return NULL;			/* p untouched */
	memcpy(q, p, MIN(size, l.usable));
	kheap_free_from(p, caller);
	return q;
}

/* --- figures --------------------------------------------------------- */

void kheap_stats(struct kheap_stats *st)
{
	struct pagerun_stats ps;
	unsigned long f = kheap_lock();

	memset(st, 0, sizeof(*st));
	st->base = pagerun_base();
	st->pages = pagerun_pages();
	pagestate_counts(st->by_state);
	for (uint32_t i = 0; i < st->pages; i++) {
		struct pgdesc *d = pagerun_desc(i);

		st->large_pages += d->kind == PK_LARGE || d->kind == PK_LARGE_TAIL;
		st->slab_pages += d->kind == PK_SLAB;
		st->meta_pages += d->kind == PK_META;
	}
	pagerun_stats(&ps);
	st->free_pages = ps.free_pages;
	st->free_runs = ps.free_runs;
	st->cold_runs = ps.cold_runs;
	st->committed_pages = ps.committed_pages;
	st->reserved_frames = ps.reserved_frames;
	st->free_resident = ps.free_present;
	st->live_bytes = live_bytes;
	st->live_allocs = live_allocs;
	st->freed_since_check = freed_since_check;
	st->invalid_frees = invalid_frees;
	st->null_returns = null_returns;
	heapfault_counts(&st->faults_write_aow, &st->faults_read_aow,
			 &st->faults_write_zero, &st->faults_bad, &st->faults_oom);
	for (unsigned c = 0; c < SLAB_CLASSES; c++)
		slab_class_stats(c, &st->cls[c]);
	kheap_unlock(f);
}

void kheap_print_stats(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	kprintf("heap: %zu pages at %#lx: AOW %zu, ZERO %zu, PRESENT %zu",
		st.pages, (unsigned long)st.base, st.by_state[PS_AOW],
		st.by_state[PS_ZERO], st.by_state[PS_PRESENT]);
	kprintf("heap: %zu live allocations, %zu live bytes; pages: %zu large, %zu slab, "
		"%zu metadata, %zu free in %zu runs (%zu cold)",
		st.live_allocs, st.live_bytes, st.large_pages, st.slab_pages,
		st.meta_pages, st.free_pages, st.free_runs, st.cold_runs);
	kprintf("heap: %zu committed pages, %zu frames reserved, %zu bytes freed since last check",
		st.committed_pages, st.reserved_frames, st.freed_since_check);
	kprintf("heap: faults: %llu write-AOW, %llu read-AOW, %llu write-ZERO, %llu bad, %llu OOM; "
		"%llu invalid frees, %llu NULL returns",
		(unsigned long long)st.faults_write_aow, (unsigned long long)st.faults_read_aow,
		(unsigned long long)st.faults_write_zero, (unsigned long long)st.faults_bad,
		(unsigned long long)st.faults_oom, (unsigned long long)st.invalid_frees,
		(unsigned long long)st.null_returns);
	for (unsigned c = 0; c < SLAB_CLASSES; c++)
		if (st.cls[c].slabs)
			kprintf("heap: class %4zu: %zu in use, %zu slabs",
				st.cls[c].size, st.cls[c].in_use, st.cls[c].slabs);
	scavenge_print_stats();
}

bool kheap_check(void)
{
	unsigned long f = kheap_lock();
	bool ok = pagerun_check() && slab_check();

	kheap_unlock(f);
	return ok;
}
