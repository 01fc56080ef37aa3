/*
 * Arenas: allocation and free of integer ranges with boundary tags, after
 * Bonwick and Adams, "Magazines and Vmem" (USENIX 2001), and the vmem of
 * illumos and FreeBSD.  docs/vmem.md.
 *
 * Each arena keeps every tag of its spans on one segment list in address
 * order: a span tag, then the free and busy segments covering the span
 * exactly.  Free segments are also on the power-of-two free list of their
 * size; busy ones are in a hash by start address.
 *
 * Invariants (vmem_audit checks them): segments tile their span; no two
 * free segments touch inside a span; free list i holds exactly the free
 * segments of [2^i, 2^(i+1)) bytes and freemap bit i says it is non-empty;
 * the hash holds exactly the busy segments; an imported span is never
 * wholly free (it goes back to the source).
 *
 * Locking: vmem_lock per arena, an IRQ-saving spinlock of rank vmem
 * (docs/heap.md), all arenas the same rank, so debug builds refuse a
 * second arena lock taken while one is held, and re-entry.  Tags are
 * taken into a stash before the lock and returned after it
 * (mm/vmem_tag.c); an import or a release to the source runs with the
 * arena unlocked, so no two arena locks are ever held together.  The
 * table of arena slots is under the tag pool's lock (rank vmem tags).
 */
#include "mm/vmem_int.h"

static struct vmem arenas[VMEM_MAX_ARENAS];

/* What an allocation asks for, checked and rounded. */
struct want {
	size_t size, align;
	uintptr_t min, max;		/* [min, max) */
	bool best, plain;		/* plain: no alignment or window beyond the quantum */
};

unsigned long vmem_lock(struct vmem *vm)
{
	KASSERT(!spin_held(&vm->lock));	/* an arena re-entered: a refill under the lock? */
	return spin_lock(&vm->lock);
}

void vmem_unlock(struct vmem *vm, unsigned long flags)
{
	spin_unlock(&vm->lock, flags);
}

const char *vmem_name(const vmem_t *vm) { return vm->name; }

/* ---- lists ---- */

static void list_push(struct vmem_tag **head, struct vmem_tag *t)
{
	t->lprev = NULL;
	t->lnext = *head;
	if (*head)
		(*head)->lprev = t;
	*head = t;
}

static void list_remove(struct vmem_tag **head, struct vmem_tag *t)
{
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else
		*head = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
}

static void free_insert(vmem_t *vm, struct vmem_tag *t)
{
	unsigned i = vmem_flist(t->size);

	t->type = VT_FREE;
	list_push(&vm->free[i], t);
	vm->freemap |= (size_t)1 << i;
	vm->st.nfree++;
	vm->st.free_bytes += t->size;
}

static void free_remove(vmem_t *vm, struct vmem_tag *t)
{
	unsigned i = vmem_flist(t->size);

	list_remove(&vm->free[i], t);
	if (!vm->free[i])
		vm->freemap &= ~((size_t)1 << i);
	vm->st.nfree--;
	vm->st.free_bytes -= t->size;
}

static void busy_insert(vmem_t *vm, struct vmem_tag *t)
{
	t->type = VT_BUSY;
	list_push(&vm->hash[vmem_bucket(vm, t->start)], t);
	vm->st.nbusy++;
	vm->st.busy_bytes += t->size;
}

static void busy_remove(vmem_t *vm, struct vmem_tag *t)
{
	list_remove(&vm->hash[vmem_bucket(vm, t->start)], t);
	vm->st.nbusy--;
	vm->st.busy_bytes -= t->size;
}

static struct vmem_tag *busy_find(vmem_t *vm, uintptr_t addr)
{
	struct vmem_tag *t = vm->hash[vmem_bucket(vm, addr)];

	while (t && t->start != addr)
		t = t->lnext;
	return t;
}

static void seg_link_before(struct vmem_tag *p, struct vmem_tag *t)
{
	t->snext = p;
	t->sprev = p->sprev;
	p->sprev->snext = t;
	p->sprev = t;
}

static void seg_unlink(struct vmem_tag *t)
{
	t->sprev->snext = t->snext;
	t->snext->sprev = t->sprev;
}

/* ---- spans ---- */

/* Does [base, base + size) meet a span of the arena? */
static bool span_overlaps(vmem_t *vm, uintptr_t base, size_t size)
{
	for (struct vmem_tag *t = vm->head.snext; t != &vm->head; t = t->snext)
		if ((t->type == VT_SPAN || t->type == VT_IMPORT) &&
		    base < t->start + t->size && t->start < base + size)
			return true;
	return false;
}

/* Insert a span and its one free segment, in address order (2 tags). */
static void span_insert(vmem_t *vm, unsigned type, uintptr_t base, size_t size,
			struct vmem_stash *st)
{
	struct vmem_tag *p = vm->head.snext, *span = vmem_stash_pop(st), *seg = vmem_stash_pop(st);

	while (p != &vm->head && p->start < base)
		p = p->snext;
	span->type = type;
	span->start = seg->start = base;
	span->size = seg->size = size;
	seg_link_before(p, span);
	seg_link_before(p, seg);
	free_insert(vm, seg);
	vm->st.span_bytes += size;
	vm->st.nspans++;
	if (type == VT_IMPORT) {
		vm->st.imported_bytes += size;
		vm->st.imports++;
	}
}

/* Unlink span tag `span` (its segments already gone) into the stash. */
static void span_remove(vmem_t *vm, struct vmem_tag *span, struct vmem_stash *st)
{
	seg_unlink(span);
	vm->st.span_bytes -= span->size;
	vm->st.nspans--;
	if (span->type == VT_IMPORT) {
		vm->st.imported_bytes -= span->size;
		vm->st.releases++;
	}
	vmem_stash_push(st, span);
}

static const char *span_problem(vmem_t *vm, uintptr_t base, size_t size)
{
	if (!base || !size)
		return "a span may not be empty or contain address 0";
	if ((base | size) & (vm->quantum - 1))
		return "not aligned to the quantum";
	if (size > UINTPTR_MAX - base)
		return "it wraps around the top of the address space";
	return NULL;
}

bool vmem_add(vmem_t *vm, uintptr_t base, size_t size)
{
	struct vmem_stash st = { 0 };
	const char *why = span_problem(vm, base, size);
	unsigned long f;

	if (!why && !vmem_tags_get(&st, 2, 0, &why))
		why = "no boundary tags";
	if (why) {
		vmem_report(true, "vmem: arena '%s': span %#lx+%#zx refused: %s",
			    vm->name, (unsigned long)base, size, why);
		return false;
	}
	f = vmem_lock(vm);
	if (!(why = span_overlaps(vm, base, size) ? "it overlaps a span of the arena" : NULL))
		span_insert(vm, VT_SPAN, base, size, &st);
	vmem_unlock(vm, f);
	vmem_tags_put(&st);
	if (why)
		vmem_report(true, "vmem: arena '%s': span %#lx+%#zx refused: %s",
			    vm->name, (unsigned long)base, size, why);
	return !why;
}

/* ---- create and destroy ---- */

static const char *create_problem(const char *name, size_t quantum, vmem_t *source)
{
	if (!name || !name[0] || strlen(name) >= VMEM_NAME_LEN)
		return "the name must have 1 to 15 characters";
	if (!quantum || (quantum & (quantum - 1)))
		return "the quantum is not a power of two";
	if (source && source->depth >= VMEM_MAX_DEPTH)
		return "the source chain would be longer than VMEM_MAX_DEPTH";
	return NULL;
}

static vmem_t *slot_take(void)
{
	unsigned long f = vmem_tags_lock();
	vmem_t *vm = NULL;

	for (size_t i = 0; i < VMEM_MAX_ARENAS && !vm; i++)
		if (!arenas[i].used)
			vm = &arenas[i];
	if (vm) {
		memset(vm, 0, sizeof(*vm));
		vm->lock = (struct spinlock)SPINLOCK_INIT(LOCK_VMEM);
		vm->used = true;
	}
	vmem_tags_unlock(f);
	return vm;
}

vmem_t *vmem_create(const char *name, uintptr_t base, size_t size, size_t quantum,
		    vmem_t *source, size_t import_quantum)
{
	const char *why = create_problem(name, quantum, source);
	vmem_t *vm = why ? NULL : slot_take();

	if (!vm) {
		vmem_report(true, "vmem: vmem_create('%s') refused: %s", name ? name : "(null)",
			    why ? why : "all VMEM_MAX_ARENAS arenas are in use");
		return NULL;
	}
	memcpy(vm->name, name, strlen(name) + 1);
	vm->quantum = quantum;
	vm->source = source;
	vm->import_quantum = import_quantum;
	vm->depth = source ? source->depth + 1 : 1;
	vm->head.type = VT_HEAD;
	vm->head.snext = vm->head.sprev = &vm->head;
	if (size && !vmem_add(vm, base, size)) {
		__atomic_store_n(&vm->used, false, __ATOMIC_RELEASE);
		return NULL;
	}
	return vm;
}

/* Unlink the first span and its segments into the stash; its extent in *base, *size. */
static unsigned take_first_span(vmem_t *vm, struct vmem_stash *st, uintptr_t *base, size_t *size)
{
	struct vmem_tag *span = vm->head.snext, *t;
	unsigned type = span->type;

	while ((t = span->snext) != &vm->head && t->type != VT_SPAN && t->type != VT_IMPORT) {
		if (t->type == VT_FREE)
			free_remove(vm, t);
		else
			busy_remove(vm, t);
		seg_unlink(t);
		vmem_stash_push(st, t);
	}
	*base = span->start;
	*size = span->size;
	span_remove(vm, span, st);
	return type;
}

bool vmem_destroy(vmem_t *vm)
{
	size_t busy = vm->st.nbusy, bytes = vm->st.busy_bytes;

	if (busy)
		vmem_report(true, "vmem: arena '%s' destroyed with %zu busy segments "
			    "(%zu bytes) left", vm->name, busy, bytes);
	while (vm->head.snext != &vm->head) {
		struct vmem_stash st = { 0 };
		unsigned long f = vmem_lock(vm);
		uintptr_t base;
		size_t size;
		unsigned type = take_first_span(vm, &st, &base, &size);

		vmem_unlock(vm, f);
		vmem_tags_put(&st);
		if (type == VT_IMPORT)
			vmem_free(vm->source, base, size);
	}
	__atomic_store_n(&vm->used, false, __ATOMIC_RELEASE);
	return !busy;
}

/* ---- allocation ---- */

static const char *want_set(vmem_t *vm, struct want *w, size_t size, size_t align,
			    uintptr_t min, uintptr_t max, int flags)
{
	if (flags & ~(VM_PUBLIC | VM_REFILL))
		return "unknown flags";
	if (!size || size > SIZE_MAX - vm->quantum + 1)
		return "the size is 0 or too large";
	if (align & (align - 1))
		return "the alignment is not a power of two";
	if (max && max <= min)
		return "the address window is empty";
	w->size = (size + vm->quantum - 1) & ~(vm->quantum - 1);
	w->align = MAX(align, vm->quantum);
	w->min = min;
	w->max = max ? max : UINTPTR_MAX;
	w->best = flags & VM_BESTFIT;
	w->plain = w->align == vm->quantum && !min && !max;
	return NULL;
}

/* Where in free segment t an allocation satisfying w can start; 0 if none. */
static uintptr_t fit_in(const struct vmem_tag *t, const struct want *w)
{
	uintptr_t lo = MAX(t->start, w->min), hi = MIN(t->start + t->size, w->max);
	uintptr_t a = (lo + w->align - 1) & ~(w->align - 1);

	if (a < lo || a >= hi || hi - a < w->size)
		return 0;
	return a;
}

/* Instant fit: the head of the first list all of whose segments fit. */
static struct vmem_tag *instant_fit(vmem_t *vm, size_t size)
{
	unsigned i = vmem_flist(size) + ((size & (size - 1)) != 0);
	size_t map = i < VMEM_LISTS ? vm->freemap >> i << i : 0;

	return map ? vm->free[__builtin_ctzl((unsigned long)map)] : NULL;
}

/*
 * A search from the list of size's own power of two upward: the first
 * fit, or with w->best the smallest (a later list holds only larger
 * segments, so the search ends with the first list that has a fit).
 */
static struct vmem_tag *search_fit(vmem_t *vm, const struct want *w, uintptr_t *at)
{
	struct vmem_tag *best = NULL;

	for (unsigned i = vmem_flist(w->size); i < VMEM_LISTS && !best; i++) {
		for (struct vmem_tag *t = vm->free[i]; t; t = t->lnext) {
			uintptr_t a = fit_in(t, w);

			if (!a || (best && t->size >= best->size))
				continue;
			best = t;
			*at = a;
			if (!w->best)
				return t;
		}
	}
	return best;
}

/* Make [a, a + size) of free segment t busy; fragments either side stay free. */
static uintptr_t carve(vmem_t *vm, struct vmem_tag *t, uintptr_t a, size_t size,
		       uintptr_t caller, struct vmem_stash *st)
{
	free_remove(vm, t);
	if (a > t->start) {
		struct vmem_tag *lead = vmem_stash_pop(st);

		lead->start = t->start;
		lead->size = a - t->start;
		seg_link_before(t, lead);
		free_insert(vm, lead);
		t->start = a;
		t->size -= lead->size;
	}
	if (t->size > size) {
		struct vmem_tag *tail = vmem_stash_pop(st);

		tail->start = a + size;
		tail->size = t->size - size;
		seg_link_before(t->snext, tail);
		free_insert(vm, tail);
		t->size = size;
	}
	t->caller = caller;
	busy_insert(vm, t);
	vm->st.allocs++;
	return a;
}

static uintptr_t try_alloc(vmem_t *vm, const struct want *w, uintptr_t caller,
			   struct vmem_stash *st)
{
	struct vmem_tag *t = NULL;
	uintptr_t a = 0;

	if (w->plain && !w->best && (t = instant_fit(vm, w->size)) != NULL)
		a = t->start;
	if (!t)
		t = search_fit(vm, w, &a);
	return t ? carve(vm, t, a, w->size, caller, st) : 0;
}

/* Import a span for w from the source, with the arena unlocked (2 stash tags). */
static bool import(vmem_t *vm, const struct want *w, int flags, uintptr_t caller,
		   struct vmem_stash *st)
{
	size_t q = MAX(vm->quantum, vm->source->quantum), size = MAX(w->size, vm->import_quantum);
	uintptr_t a;
	unsigned long f;

	if (size > SIZE_MAX - q)
		return false;
	size = (size + q - 1) & ~(q - 1);
	a = vmem_xalloc_from(vm->source, size, MAX(w->align, q), w->min,
			     w->max == UINTPTR_MAX ? 0 : w->max, flags, caller);
	if (!a)
		return false;
	f = vmem_lock(vm);
	span_insert(vm, VT_IMPORT, a, size, st);
	vmem_unlock(vm, f);
	return true;
}

static uintptr_t alloc_or_import(vmem_t *vm, const struct want *w, int flags,
				 uintptr_t caller, struct vmem_stash *st)
{
	for (int tries = 0; tries < 2; tries++) {
		unsigned long f = vmem_lock(vm);
		uintptr_t a = try_alloc(vm, w, caller, st);

		if (!a && (tries || !vm->source))
			vm->st.failures++;
		vmem_unlock(vm, f);
		if (a || tries || !vm->source)
			return a;
		if (!import(vm, w, flags, caller, st)) {
			f = vmem_lock(vm);
			vm->st.failures++;
			vmem_unlock(vm, f);
			return 0;
		}
	}
	return 0;
}

/* Report an allocation refused for bad arguments (misuse) or for want of tags. */
static uintptr_t refuse(vmem_t *vm, size_t size, uintptr_t caller, const char *why, bool no_tags)
{
	struct vmem_tag_stats ts;
	char sym[96];

	ksym_format(caller, sym, sizeof(sym));
	if (!no_tags) {
		vmem_report(true, "vmem: arena '%s': allocation of %zu bytes by %s refused: %s",
			    vm->name, size, sym, why);
		return 0;
	}
	vmem_tag_stats(&ts);
	vmem_report(false, "vmem: arena '%s': no boundary tag for %zu bytes by %s: %s "
		    "(%zu tags free, %zu kept for refills); the allocation fails",
		    vm->name, size, sym, why, ts.free, ts.reserve);
	return 0;
}

uintptr_t vmem_xalloc_from(vmem_t *vm, size_t size, size_t align, uintptr_t minaddr,
			   uintptr_t maxaddr, int flags, uintptr_t caller)
{
	struct vmem_stash st = { 0 };
	struct want w = { 0 };
	const char *why = want_set(vm, &w, size, align, minaddr, maxaddr, flags);
	uintptr_t a;

	if (why)
		return refuse(vm, size, caller, why, false);
	if (!vmem_tags_get(&st, VMEM_TAGS_PER_OP, flags, &why)) {
		unsigned long f = vmem_lock(vm);

		vm->st.failures++;
		vmem_unlock(vm, f);
		return refuse(vm, size, caller, why, true);
	}
	a = alloc_or_import(vm, &w, flags, caller, &st);
	vmem_tags_put(&st);
	return a;
}

uintptr_t vmem_xalloc(vmem_t *vm, size_t size, size_t align, uintptr_t minaddr,
		      uintptr_t maxaddr, int flags)
{
	return vmem_xalloc_from(vm, size, align, minaddr, maxaddr, flags & ~VM_REFILL, CALLER());
}

uintptr_t vmem_alloc(vmem_t *vm, size_t size, int flags)
{
	return vmem_xalloc_from(vm, size, 0, 0, 0, flags & ~VM_REFILL, CALLER());
}

/* ---- free ---- */

/* Merge the now free t with free neighbours (not across a span tag). */
static struct vmem_tag *coalesce(vmem_t *vm, struct vmem_tag *t, struct vmem_stash *st)
{
	struct vmem_tag *n = t->snext, *p = t->sprev;

	if (n->type == VT_FREE) {
		free_remove(vm, n);
		t->size += n->size;
		seg_unlink(n);
		vmem_stash_push(st, n);
	}
	if (p->type == VT_FREE) {
		free_remove(vm, p);
		p->size += t->size;
		seg_unlink(t);
		vmem_stash_push(st, t);
		t = p;
	}
	free_insert(vm, t);
	return t;
}

/* If free segment t is a whole imported span, unlink both: the span's size, else 0. */
static size_t take_free_import(vmem_t *vm, struct vmem_tag *t, struct vmem_stash *st,
			       uintptr_t *base)
{
	struct vmem_tag *span = t->sprev;
	size_t size = span->size;

	if (span->type != VT_IMPORT || size != t->size)
		return 0;
	free_remove(vm, t);
	seg_unlink(t);
	vmem_stash_push(st, t);
	*base = span->start;
	span_remove(vm, span, st);
	return size;
}

/* The segment (not a span tag) holding addr, or NULL. */
static struct vmem_tag *seg_holding(vmem_t *vm, uintptr_t addr)
{
	for (struct vmem_tag *t = vm->head.snext; t != &vm->head; t = t->snext)
		if ((t->type == VT_FREE || t->type == VT_BUSY) &&
		    addr >= t->start && addr - t->start < t->size)
			return t;
	return NULL;
}

/* Why freeing (addr, size) is wrong; t is the busy segment at addr, if any. */
static void bad_free_why(vmem_t *vm, struct vmem_tag *t, uintptr_t addr, size_t size,
			 char *buf, size_t len)
{
	char sym[96];

	if (!t)
		t = seg_holding(vm, addr);
	if (t && t->type == VT_BUSY)
		ksym_format(t->caller, sym, sizeof(sym));
	if (!t)
		snprintf(buf, len, "not in any span of the arena");
	else if (t->type == VT_FREE)
		snprintf(buf, len, "in free segment %#lx-%#lx: a double free, or never allocated",
			 (unsigned long)t->start, (unsigned long)(t->start + t->size));
	else if (t->start != addr)
		snprintf(buf, len, "inside busy segment %#lx-%#lx allocated by %s, not its start",
			 (unsigned long)t->start, (unsigned long)(t->start + t->size), sym);
	else
		snprintf(buf, len, "the size disagrees with the %zu bytes allocated there by %s",
			 t->size, sym);
	(void)size;
}

/* size as the arena rounds it; 0 for a size no allocation can have. */
static size_t rounded(vmem_t *vm, size_t size)
{
	if (!size || size > SIZE_MAX - vm->quantum + 1)
		return 0;
	return (size + vm->quantum - 1) & ~(vm->quantum - 1);
}

bool vmem_free_from(vmem_t *vm, uintptr_t addr, size_t size, uintptr_t caller)
{
	struct vmem_stash st = { 0 };
	unsigned long f = vmem_lock(vm);
	struct vmem_tag *t = busy_find(vm, addr);
	uintptr_t base = 0;
	size_t give = 0;

	if (!t || t->size != rounded(vm, size)) {
		char why[160], sym[96];

		bad_free_why(vm, t, addr, size, why, sizeof(why));
		vm->st.bad_frees++;
		vmem_unlock(vm, f);
		ksym_format(caller, sym, sizeof(sym));
		vmem_report(true, "vmem: arena '%s': free(%#lx, %zu) by %s refused: %s; "
			    "arena unchanged",
			    vm->name, (unsigned long)addr, size, sym, why);
		return false;
	}
	busy_remove(vm, t);
	vm->st.frees++;
	t = coalesce(vm, t, &st);
	give = take_free_import(vm, t, &st, &base);
	vmem_unlock(vm, f);
	vmem_tags_put(&st);
	if (give)
		vmem_free_from(vm->source, base, give, caller);
	return true;
}

bool vmem_free(vmem_t *vm, uintptr_t addr, size_t size)
{
	return vmem_free_from(vm, addr, size, CALLER());
}
