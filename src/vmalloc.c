/*
 * vmalloc areas (src/vmalloc.h): [pages, AOW][GUARD], from the arena
 * vmalloc.  An area's record is a slot of a static table, with its owner
 * index node embedded, so the fault path finds it by address in
 * O(log n) with no lock and nothing here ever allocates memory for
 * bookkeeping.
 *
 * Commitment: every page holds a frame promise from vmalloc until its
 * first write takes the frame (frame_alloc_reserved); vfree frees the
 * PRESENT pages' frames (vm_convert) and drops the promises of the rest.
 */
#include "src/vmalloc.h"
#include "src/log.h"
#include "src/lib.h"
#include "mm/pagestate.h"
#include "mm/frame.h"
#include "mm/owner.h"

#define VMALLOC_IMPORT	(1024 * 1024)

struct vm_area {
	struct owner owner;	/* first: owner_find's result is the area */
	struct owner guard;
	size_t npages;
	bool live;
};

static vmem_t *arena;
static struct vm_area areas[VMALLOC_AREAS];
static struct vmalloc_stats stats;

vmem_t *vmalloc_arena(void) { return arena; }

void vmalloc_init(vmem_t *kva)
{
	arena = vmem_create("vmalloc", 0, 0, PAGE_SIZE, kva, VMALLOC_IMPORT);
	if (!arena)
		panic("boot: cannot create the vmalloc arena");
	vmem_log(arena, "vmalloc: large virtually contiguous areas, demand-faulted, a GUARD above each");
}

static struct vm_area *free_slot(void)
{
	for (size_t i = 0; i < VMALLOC_AREAS; i++)
		if (!areas[i].live)
			return &areas[i];
	return NULL;
}

static void *refuse(size_t size, uintptr_t caller, const char *why)
{
	char sym[64];

	ksym_format(caller, sym, sizeof(sym));
	klog(LOG_ERROR, "vmalloc: %zu bytes for %s refused: %s", size, sym, why);
	stats.failures++;
	return NULL;
}

/* Page tables for npages + 1 pages at va; false if a frame is missing. */
static bool have_tables(uintptr_t va, size_t npages)
{
	for (size_t i = 0; i <= npages; i++)
		if (!mmu_ensure_table(va + i * PAGE_SIZE))
			return false;
	return true;
}

/* The area's pages AOW, its guard GUARD, both in the owner index. */
static void lay_out(struct vm_area *a, uintptr_t va, size_t npages, uintptr_t caller)
{
	char name[OWNER_NAME_LEN];

	vm_convert(va, npages, PS_AOW, PC_EXPLICIT);
	vm_convert(va + npages * PAGE_SIZE, 1, PS_GUARD, PC_EXPLICIT);
	ksym_format(caller, name, sizeof(name));
	owner_add(&a->owner, va, npages * PAGE_SIZE, OW_VMALLOC, name, NULL);
	snprintf(name, sizeof(name), "above vmalloc area %#lx", (unsigned long)va);
	owner_add(&a->guard, va + npages * PAGE_SIZE, PAGE_SIZE, OW_GUARD, name, NULL);
	a->npages = npages;
	a->live = true;
}

static void *alloc_from(size_t size, uintptr_t caller)
{
	size_t npages = size / PAGE_SIZE + (size % PAGE_SIZE != 0);
	struct vm_area *a = free_slot();
	uintptr_t va;

	if (!size || npages > (SIZE_MAX - PAGE_SIZE) / PAGE_SIZE - 1)
		return refuse(size, caller, "the size is 0 or too large");
	if (!a)
		return refuse(size, caller, "every area record is in use (VMALLOC_AREAS)");
	va = vmem_alloc(arena, (npages + 1) * PAGE_SIZE, VM_INSTANTFIT);
	if (!va)
		return refuse(size, caller, "no virtual space in the vmalloc arena");
	if (!have_tables(va, npages) || !frame_reserve((uint32_t)npages)) {
		vmem_free(arena, va, (npages + 1) * PAGE_SIZE);
		return refuse(size, caller, "no frames to promise for its pages (strict commit)");
	}
	lay_out(a, va, npages, caller);
	stats.allocs++;
	return (void *)va;
}

void *vmalloc(size_t size)
{
	return alloc_from(size, CALLER());
}

/* The live area starting at p, or NULL. */
static struct vm_area *area_at(const void *p)
{
	const struct owner *o = owner_find((uintptr_t)p);

	if (!o || o->kind != OW_VMALLOC || o->start != (uintptr_t)p)
		return NULL;
	return (struct vm_area *)(uintptr_t)o;
}

void vfree(void *p)
{
	struct vm_area *a = area_at(p);
	uintptr_t va = (uintptr_t)p;
	size_t freed;

	if (!a) {
		char sym[64];

		ksym_format(CALLER(), sym, sizeof(sym));
		klog(LOG_ERROR, "vmalloc: vfree(%p) by %s refused: not the start of a live vmalloc "
		     "area (a double free, or never allocated); nothing changed", p, sym);
		stats.bad_frees++;
		return;
	}
	owner_remove(&a->owner);
	owner_remove(&a->guard);
	freed = vm_convert(va, a->npages, PS_UNUSABLE, PC_EXPLICIT);
	vm_convert(va + a->npages * PAGE_SIZE, 1, PS_UNUSABLE, PC_EXPLICIT);
	frame_unreserve((uint32_t)(a->npages - freed));
	vmem_free(arena, va, (a->npages + 1) * PAGE_SIZE);
	a->live = false;
	stats.frees++;
}

enum kheap_fault_result vmalloc_fault(uintptr_t va, bool write, const char **why)
{
	const struct owner *o = owner_find(va);
	uintptr_t page = va & ~(uintptr_t)(PAGE_SIZE - 1);
	unsigned st;

	if (!o || o->kind != OW_VMALLOC)
		return KF_NOT_HEAP;
	st = mmu_state(page);
	if (!write && st == PS_AOW) {
		page_set_state(page, PS_ZERO, zero_frame(), PC_READ_FAULT);
		stats.faults_read++;
		return KF_RESOLVED;
	}
	if (write && (st == PS_AOW || st == PS_ZERO)) {
		page_set_state(page, PS_PRESENT, frame_alloc_reserved(), PC_WRITE_FAULT);
		mmu_zero_page(page);
		stats.faults_write++;
		return KF_RESOLVED;
	}
	*why = "a fault on a vmalloc page the page tables cannot explain";
	return KF_BAD_ACCESS;
}

void vmalloc_stats(struct vmalloc_stats *st)
{
	*st = stats;
	st->areas = st->pages = st->present = st->reserved = 0;
	for (size_t i = 0; i < VMALLOC_AREAS; i++) {
		const struct vm_area *a = &areas[i];

		if (!a->live)
			continue;
		st->areas++;
		st->pages += a->npages;
		for (size_t j = 0; j < a->npages; j++)
			st->present += mmu_state(a->owner.start + j * PAGE_SIZE) == PS_PRESENT;
	}
	st->reserved = st->pages - st->present;
}
