/*
 * What holds a heap address, from the page descriptors alone: the free
 * run a free page is in, and the live allocation nearest to it (a large
 * block, or a live object of a slab).  The reports of a fault in free
 * space name it (mm/heapfault.c).  And the allocation a page of a run or
 * a slab holds (its slot, live or free), which a report of a bad call
 * names at any debug level (mm/kheap.c).
 *
 * Cost: O(the free run's length) to find its head from an interior page
 * (interior descriptors carry no link to it), plus O(the neighbouring
 * block's pages or the slab's objects); only a report pays it.
 *
 * Locking: none; it reads descriptors only.  The fault path calls it with
 * interrupts off on one CPU, where no descriptor changes under it (the
 * heap lock holder does not fault on data pages, docs/faults.md).
 * Objects cached in magazines count as live (the slab's bitmap says so).
 */
#include "mm/heap_int.h"

#define pd heap.pd

/* The head of the free run that holds free page i. */
static uint32_t run_head(uint32_t i)
{
	if (pd[i].flags & PG_TAIL)
		return i + 1 - pd[i].npages;
	while (pd[i].npages == 0)	/* interior pages; the head has the length */
		i--;
	return i;
}

/* The live object of s nearest its end (last) or its start (!last). */
static bool slab_edge_object(const struct slab *s, bool last, struct heap_obj *o)
{
	size_t size = slab_class_sizes[s->cls];

	for (uint32_t k = 0; k < s->nobj; k++) {
		uint32_t idx = last ? s->nobj - 1 - k : k;

		if (!slab_object_free(s, idx)) {
			o->start = s->base + idx * size;
			o->size = size;
			return true;
		}
	}
	return false;
}

uint32_t heap_large_head(uint32_t i)
{
	while (i > 0 && pd[i].kind == PK_LARGE_TAIL)	/* 0: descriptors read mid-update */
		i--;
	return i;
}

/* The allocation that page j is part of, the object nearest the free run on its `last` side. */
static bool alloc_on_page(uint32_t j, bool last, struct heap_obj *o)
{
	switch (pd[j].kind) {
	case PK_LARGE_TAIL:
		j = heap_large_head(j);
		/* fall through */
	case PK_LARGE:
		o->start = pagerun_va(j);
		o->size = (size_t)pd[j].npages * PAGE_SIZE;
		return true;
	case PK_SLAB:
		return slab_edge_object(pd[j].u.slab, last, o);
	default:
		return false;		/* META: not an allocation */
	}
}

bool heap_nearest_alloc(uintptr_t va, struct heap_obj *o)
{
	uint32_t i = pagerun_index(va), h, end;
	struct heap_obj before, after;
	bool b, a;

	if (i == PG_NONE || pd[i].kind != PK_FREE)
		return false;
	h = run_head(i);
	end = h + pd[h].npages;
	b = h > 0 && alloc_on_page(h - 1, true, &before);
	a = end < heap.npg && alloc_on_page(end, false, &after);
	if (b && (!a || va - (before.start + before.size) <= after.start - va))
		*o = before;
	else if (a)
		*o = after;
	return a || b;
}

bool heap_alloc_at(uintptr_t va, struct heap_obj *o)
{
	uint32_t i = pagerun_index(va), k;
	const struct slab *s;

	if (i == PG_NONE)
		return false;
	if (pd[i].kind == PK_LARGE || pd[i].kind == PK_LARGE_TAIL)
		return alloc_on_page(i, false, o);
	if (pd[i].kind != PK_SLAB)
		return false;
	s = pd[i].u.slab;
	k = (uint32_t)((va - s->base) / slab_class_size(s->cls));
	if (va < s->base || k >= s->nobj)
		return false;
	o->start = s->base + k * slab_class_size(s->cls);
	o->size = slab_class_size(s->cls);
	return true;
}
