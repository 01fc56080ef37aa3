/*
 * vmalloc areas (src/vmalloc.h): [pages, AOW][GUARD], from the arena
 * vmalloc.  An area's record is a slot of a static table, with its owner
 * index node embedded, so the fault path finds it by address in
 * O(log n) and nothing here ever allocates memory for bookkeeping.
 *
 * Locking (docs/heap.md, "Lock order"): vmalloc_spin (rank vmalloc, the
 * first) is held across a whole vmalloc, vfree or vmalloc_stats: the
 * table of areas, the failure counters, and an area from its slot being
 * taken until it is in the index (or from leaving the index until its
 * slot is free).  vmfault_spin (rank vmalloc fault) serialises the
 * states of the areas' pages: a fault's check and change of a page, and
 * vfree's conversion of them, so two CPUs faulting one page end with one
 * frame, and a fault never meets a page vfree is converting.
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
#include "mm/spinlock.h"

#define VMALLOC_IMPORT	(1024 * 1024)

struct vm_area {
	struct owner owner;	/* first: owner_find's result is the area */
	struct owner guard;
	size_t npages;
	bool live;
};

static vmem_t *arena;
static struct vm_area areas[VMALLOC_AREAS];
static struct vmalloc_stats stats;	/* failures and frees: vmalloc_spin; faults: vmfault_spin */
static struct spinlock vmalloc_spin = SPINLOCK_INIT(LOCK_VMALLOC);
static struct spinlock vmfault_spin = SPINLOCK_INIT(LOCK_VMFAULT);

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
	KASSERT(spin_held(&vmalloc_spin));
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
	unsigned long f = spin_lock(&vmalloc_spin);
	void *p = alloc_from(size, CALLER());

	spin_unlock(&vmalloc_spin, f);
	return p;
}

/* The live area starting at p, or NULL. */
static struct vm_area *area_at(const void *p)
{
	const struct owner *o = owner_find((uintptr_t)p);

	if (!o || o->kind != OW_VMALLOC || o->start != (uintptr_t)p)
		return NULL;
	return (struct vm_area *)(uintptr_t)o;
}

/* Out of the index, its pages UNUSABLE (under vmfault_spin); the frames unpromised. */
static void take_down(struct vm_area *a)
{
	uintptr_t va = a->owner.start;
	unsigned long f;
	size_t freed;

	KASSERT(spin_held(&vmalloc_spin));
	owner_remove(&a->owner);
	owner_remove(&a->guard);
	f = spin_lock(&vmfault_spin);
	freed = vm_convert(va, a->npages, PS_UNUSABLE, PC_EXPLICIT);
	vm_convert(va + a->npages * PAGE_SIZE, 1, PS_UNUSABLE, PC_EXPLICIT);
	spin_unlock(&vmfault_spin, f);
	frame_unreserve((uint32_t)(a->npages - freed));
	vmem_free(arena, va, (a->npages + 1) * PAGE_SIZE);
	a->live = false;
}

static void refuse_free(void *p, uintptr_t caller)
{
	char sym[64];

	ksym_format(caller, sym, sizeof(sym));
	klog(LOG_ERROR, "vmalloc: vfree(%p) by %s refused: not the start of a live vmalloc "
	     "area (a double free, or never allocated); nothing changed", p, sym);
	stats.bad_frees++;
}

void vfree(void *p)
{
	unsigned long f = spin_lock(&vmalloc_spin);
	struct vm_area *a = area_at(p);

	if (a) {
		take_down(a);
		stats.frees++;
	} else {
		refuse_free(p, CALLER());
	}
	spin_unlock(&vmalloc_spin, f);
}

/* Another CPU mapped the page first, or this CPU's TLB held its zero-frame entry. */
static enum kheap_fault_result resolved_elsewhere(uintptr_t page)
{
	mmu_invalidate_local(page);
	return KF_RESOLVED;
}

/*
 * A first write: the frame zeroed before it is mapped when other CPUs
 * may write the page as soon as the entry exists; other CPUs' zero-frame
 * entries dropped after (a ZERO page).
 */
static void map_written(uintptr_t page, unsigned st)
{
	pfn_t f = frame_alloc_reserved();
	bool zeroed = platform_cpus_online() > 1 && mmu_zero_frame(f);

	page_set_state(page, PS_PRESENT, f, PC_WRITE_FAULT);
	if (!zeroed)
		mmu_zero_page(page);
	if (st == PS_ZERO)
		platform_tlb_shootdown();
	stats.faults_write++;
}

/* The page's state decides, read under vmfault_spin. */
static enum kheap_fault_result resolve(uintptr_t page, bool write, const char **why)
{
	unsigned st = mmu_state(page);

	KASSERT(spin_held(&vmfault_spin));
	if (!write && st == PS_AOW) {
		page_set_state(page, PS_ZERO, zero_frame(), PC_READ_FAULT);
		stats.faults_read++;
		return KF_RESOLVED;
	}
	if (write && (st == PS_AOW || st == PS_ZERO)) {
		map_written(page, st);
		return KF_RESOLVED;
	}
	if (platform_cpus_online() > 1 && (st == PS_PRESENT || (!write && st == PS_ZERO)))
		return resolved_elsewhere(page);
	*why = "a fault on a vmalloc page the page tables cannot explain";
	return KF_BAD_ACCESS;
}

enum kheap_fault_result vmalloc_fault(uintptr_t va, bool write, const char **why)
{
	const struct owner *o = owner_find(va);
	uintptr_t page = va & ~(uintptr_t)(PAGE_SIZE - 1);
	enum kheap_fault_result r;
	unsigned long f;

	if (!o || o->kind != OW_VMALLOC)
		return KF_NOT_HEAP;
	if (spin_held(&vmfault_spin)) {
		*why = "a fault on a vmalloc page inside vmalloc's own fault path";
		return KF_BAD_ACCESS;
	}
	f = spin_lock(&vmfault_spin);
	r = resolve(page, write, why);
	spin_unlock(&vmfault_spin, f);
	return r;
}

void vmalloc_stats(struct vmalloc_stats *st)
{
	unsigned long f = spin_lock(&vmalloc_spin), g = spin_lock(&vmfault_spin);

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
	spin_unlock(&vmfault_spin, g);
	spin_unlock(&vmalloc_spin, f);
}
