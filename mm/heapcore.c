/*
 * The heap core's state, set-up and reclaim hook (mm/heap_int.h).
 *
 * The reclaim hook is how the API asks for memory back without calling
 * the scavenger: the scavenger registers its policy here at init, as it
 * registers with the frame allocator's pressure hook, and the API's
 * calls only go down to the core.  With no hook (a heap set up without a
 * scavenger) a reclaim releases nothing.
 */
#include "mm/heap_int.h"
#include "mm/pagestate_int.h"	/* pagestate_watched: the fault path's flag */

struct heap heap;
static heap_reclaim_fn reclaim_hook;

size_t heap_desc_size(size_t npages)
{
	return npages * sizeof(struct pgdesc) + (npages + 31) / 32 * sizeof(uint32_t);
}

/*
 * The kinds whose write faults take the fast path (mm/heapfault.c,
 * common_write): the data kinds (whose faults the heap lock's holder may
 * not take), under strict commit (where they hold a reservation), when
 * the whole region is watched (the install need not test it); none
 * otherwise.  The platform watches the region before kheap_init
 * (docs/porting.md, boot step 3).
 */
static uint8_t fast_write_kinds(uintptr_t base, size_t npages, bool overcommit)
{
	if (overcommit || !npages || !pagestate_watched(base) ||
	    !pagestate_watched(base + (npages - 1) * PAGE_SIZE))
		return 0;
	return 1u << PK_LARGE | 1u << PK_LARGE_TAIL | 1u << PK_SLAB;
}

void heap_core_init(uintptr_t base, size_t npages, struct pgdesc *desc, bool overcommit)
{
	memset(&heap, 0, sizeof(heap));
	heap.lock = (struct spinlock)SPINLOCK_INIT(LOCK_HEAP);
	heap.base = base;
	heap.npg = (uint32_t)npages;
	heap.pd = desc;		/* arrives zeroed (every page FREE): untouched parts cost nothing */
	heap.freed = (uint32_t *)(desc + npages);	/* zeroed too: no page freed yet */
	heap.overcommit = overcommit;
	heap.fast_write_kinds = fast_write_kinds(base, npages, overcommit);
	heap.free_pages = npages;
	freerun_init();
	if (npages)
		freerun_make(0, heap.npg, no_span);
	heap_owner_register();
}

void heap_set_reclaim_hook(heap_reclaim_fn fn) { reclaim_hook = fn; }

size_t heap_reclaim(size_t want, enum heap_reclaim_why why)
{
	HEAP_ASSERT_LOCKED();
	return reclaim_hook ? reclaim_hook(want, why) : 0;
}

size_t heap_take_freed(void)
{
	size_t n = heap.freed_since_check;

	HEAP_ASSERT_LOCKED();
	heap.freed_since_check = 0;
	return n;
}
