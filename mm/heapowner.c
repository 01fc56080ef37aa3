/*
 * The heap's entries in the owner index (mm/owner.h): the region, with a
 * describe hook that reads the page descriptors, and the descriptors
 * themselves.  heap_core_init registers both, downward; the index calls
 * the hook only through the pointer it was given.
 *
 * The hook says, for an address of the region: which allocation holds it
 * (start, usable size, offset; callers are not recorded), or that it is
 * a free object of a slab, heap metadata, or free heap space, and for
 * free space just past an allocation, how far past its end.
 *
 * What holds an address is found one way, by mm/heapfind.c
 * (heap_alloc_at); this file only words it.
 *
 * Context: any, the fault path and the #DF task included: no lock, no
 * allocation.  It reads descriptors that may be mid-update only if the
 * heap lock holder faulted, and then only to word a diagnostic.  Finding
 * a large allocation's head walks back over its tail pages: O(its pages).
 */
#include "mm/heap_int.h"
#include "mm/slab.h"
#include "mm/owner.h"
#include "mm/heapdebug.h"

static struct owner region_owner, desc_owner;

static bool is_large(uint32_t i)
{
	unsigned k = pagerun_desc(i)->kind;

	return k == PK_LARGE || k == PK_LARGE_TAIL;
}

/* The allocation ending at page i's end (the last of a run or slab), or false. */
static bool ends_at(uint32_t i, struct heap_obj *o)
{
	const struct pgdesc *d = pagerun_desc(i);
	const struct slab *s = d->u.slab;

	if (is_large(i))
		return heap_alloc_at(pagerun_va(i), o);
	if (d->kind != PK_SLAB || !s->nobj || slab_object_free(s, s->nobj - 1u))
		return false;
	return heap_alloc_at(s->base + (s->nobj - 1u) * slab_class_size(s->cls), o);
}

static void describe_free(uint32_t i, uintptr_t va, enum owner_access a, char *buf, size_t len)
{
	struct heap_obj o;

	if (i > 0 && pagerun_desc(i - 1)->kind != PK_FREE && ends_at(i - 1, &o)) {
		snprintf(buf, len, "%s %lu bytes past the end of heap allocation %#lx (%zu bytes), "
			 "in free heap space", owner_access_verb(a),
			 (unsigned long)(va - o.start - o.size), (unsigned long)o.start, o.size);
		return;
	}
	snprintf(buf, len, "%sfree heap space", owner_access_words(a));
}

static void describe_slab(const struct slab *s, uintptr_t va, enum owner_access a, char *buf,
			  size_t len)
{
	size_t size = slab_class_size(s->cls);
	size_t idx = (va - s->base) / size;
	uintptr_t obj = s->base + idx * size;

	if (idx >= s->nobj)
		snprintf(buf, len, "%sthe unused end of a heap slab of %zu-byte objects",
			 owner_access_words(a), size);
	else
		snprintf(buf, len, "%s%s %#lx (%zu bytes) at offset %lu", owner_access_words(a),
			 slab_object_free(s, (uint32_t)idx) ? "free heap object" : "heap allocation",
			 (unsigned long)obj, size, (unsigned long)(va - obj));
}

static const char *plural(unsigned long n) { return n == 1 ? "" : "s"; }

/*
 * A guarded block's page (mm/heapguard.c), as the misuse report places
 * it: "write 13 bytes past the end of heap allocation 0x... (100 bytes),
 * in its guard page", "... 16 bytes before ...", or, freed, "write to
 * freed heap allocation 0x... (5000 bytes) at offset 4000, in the
 * quarantine".
 */
static void describe_guarded(const struct guarded *g, uintptr_t va, enum owner_access a,
			     char *buf, size_t len)
{
	const char *freed = g->retired ? "freed " : "";
	const char *in = va < g->lo || va >= g->end ? "its guard page" :
			 g->retired ? "the quarantine" : "its unused bytes";
	unsigned long past = (unsigned long)(va - g->obj - g->size + 1), before = (unsigned long)(g->obj - va);

	if (va < g->obj)
		snprintf(buf, len, "%s %lu byte%s before %sheap allocation %#lx (%zu bytes), in %s",
			 owner_access_verb(a), before, plural(before), freed, (unsigned long)g->obj,
			 g->size, in);
	else if (va >= g->obj + g->size)
		snprintf(buf, len, "%s %lu byte%s past the end of %sheap allocation %#lx (%zu bytes), in %s",
			 owner_access_verb(a), past, plural(past), freed, (unsigned long)g->obj, g->size, in);
	else
		snprintf(buf, len, "%s%sheap allocation %#lx (%zu bytes) at offset %lu, in %s",
			 owner_access_words(a), freed, (unsigned long)g->obj, g->size,
			 (unsigned long)(va - g->obj), in);
}

static void describe_large(uintptr_t va, enum owner_access a, char *buf, size_t len)
{
	struct heap_obj o = { va, 0 };
	struct guarded g;

	if (guarded_find(va, &g) && (g.retired || va < g.obj || va >= g.obj + g.size)) {
		describe_guarded(&g, va, a, buf, len);
		return;
	}

	heap_alloc_at(va, &o);		/* a LARGE or LARGE_TAIL page: always found */
	snprintf(buf, len, "%sheap allocation %#lx (%zu bytes) at offset %lu",
		 owner_access_words(a), (unsigned long)o.start, o.size, (unsigned long)(va - o.start));
}

static void describe_heap(const struct owner *o, uintptr_t va, enum owner_access a, char *buf,
			  size_t len)
{
	uint32_t i = pagerun_index(va);
	const struct pgdesc *d = i == PG_NONE ? NULL : pagerun_desc(i);

	(void)o;
	if (!d)
		snprintf(buf, len, "%sthe heap region, past its pages", owner_access_words(a));
	else if (d->kind == PK_FREE)
		describe_free(i, va, a, buf, len);
	else if (d->kind == PK_SLAB)
		describe_slab(d->u.slab, va, a, buf, len);
	else if (d->kind == PK_META)
		snprintf(buf, len, "%sheap metadata (a page of slab descriptors)",
			 owner_access_words(a));
	else
		describe_large(va, a, buf, len);
}

void heap_owner_register(void)
{
	owner_remove(&region_owner);
	owner_remove(&desc_owner);
	if (!heap.npg)
		return;
	owner_add(&region_owner, heap.base, (size_t)heap.npg * PAGE_SIZE, OW_HEAP, "heap region",
		  describe_heap);
	owner_add(&desc_owner, (uintptr_t)heap.pd, heap_desc_size(heap.npg), OW_WIRED,
		  "the heap's page descriptors", NULL);
}
