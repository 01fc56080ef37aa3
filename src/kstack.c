/*
 * Kernel stacks in the arena kstack: [guard page][KSTACK_SIZE of WIRED
 * pages], the guard below because the stack grows down.  Frames come
 * from frame_alloc; a stack that cannot get all of them gives back those
 * it took.
 *
 * Locking: the arena, the owner index and the frame allocator lock
 * themselves, and a range is the caller's alone from vmem_alloc on.
 * kstack_spin (rank kstack, docs/heap.md) covers a free from its check
 * to the range's return: the pages are cleared and the index entries
 * dropped *before* the range goes back to the arena, so another CPU's
 * kstack_alloc never gets a range whose old pages are still being
 * cleared, and of two frees of one stack only the first passes.
 */
#include "src/kstack.h"
#include "src/log.h"
#include "mm/pagestate.h"
#include "mm/frame.h"
#include "mm/owner.h"
#include "mm/spinlock.h"
#include "src/lib.h"

#define STACK_PAGES (KSTACK_SIZE / PAGE_SIZE)

static vmem_t *arena;
static struct spinlock kstack_spin = SPINLOCK_INIT(LOCK_KSTACK);

vmem_t *kstack_arena(void) { return arena; }

void kstack_init(vmem_t *kva)
{
	arena = vmem_create("kstack", 0, 0, PAGE_SIZE, kva, 4 * KSTACK_SPAN);
	if (!arena)
		panic("boot: cannot create the kstack arena");
	vmem_log(arena, "kernel stacks of 16 KiB, a GUARD page below each");
}

/* Page tables for the span and a frame for each stack page; false if any is missing. */
static bool take_frames(uintptr_t va, pfn_t f[STACK_PAGES])
{
	for (size_t i = 0; i < STACK_PAGES; i++)
		f[i] = PFN_NONE;
	for (size_t i = 0; i <= STACK_PAGES; i++)
		if (!mmu_ensure_table(va + i * PAGE_SIZE))
			return false;
	for (size_t i = 0; i < STACK_PAGES; i++)
		if ((f[i] = frame_alloc()) == PFN_NONE)
			return false;
	return true;
}

static void give_frames(const pfn_t f[STACK_PAGES])
{
	for (size_t i = 0; i < STACK_PAGES; i++)
		if (f[i] != PFN_NONE)
			frame_free(f[i]);
}

/* The guard and the stack in the owner index (a full pool only costs precision). */
static void index_stack(uintptr_t va, const char *owner)
{
	char below[OWNER_NAME_LEN];

	snprintf(below, sizeof(below), "below the stack of %s", owner);
	owner_register(va, PAGE_SIZE, OW_GUARD, below);
	owner_register(va + PAGE_SIZE, KSTACK_SIZE, OW_STACK, owner);
}

uintptr_t kstack_alloc(const char *owner)
{
	uintptr_t va = vmem_alloc(arena, KSTACK_SPAN, VM_INSTANTFIT);
	pfn_t f[STACK_PAGES];

	if (!va || !take_frames(va, f)) {
		if (va) {
			give_frames(f);
			vmem_free(arena, va, KSTACK_SPAN);
		}
		klog(LOG_ERROR, "kstack: no %s for the stack of %s", va ? "frame" : "space", owner);
		return 0;
	}
	index_stack(va, owner);
	page_set_state(va, PS_GUARD, PFN_NONE, PC_EXPLICIT);
	for (size_t i = 0; i < STACK_PAGES; i++) {
		page_set_state(va + (i + 1) * PAGE_SIZE, PS_WIRED, f[i], PC_EXPLICIT);
		mmu_zero_page(va + (i + 1) * PAGE_SIZE);
	}
	klog(LOG_INFO, "kstack: %s: stack %#lx-%#lx, guard page %#lx", owner,
	     (unsigned long)(va + PAGE_SIZE), (unsigned long)(va + KSTACK_SPAN), (unsigned long)va);
	return va + KSTACK_SPAN;
}

/* Is the span at va a stack kstack_alloc laid out? */
static bool is_stack(uintptr_t va)
{
	if (mmu_state(va) != PS_GUARD)
		return false;
	for (size_t i = 1; i <= STACK_PAGES; i++)
		if (mmu_state(va + i * PAGE_SIZE) != PS_WIRED)
			return false;
	return true;
}

/* The stack's frames back, its pages UNUSABLE, out of the index; kstack_spin held. */
static void clear_stack(uintptr_t va)
{
	KASSERT(spin_held(&kstack_spin));
	for (size_t i = 1; i <= STACK_PAGES; i++) {
		pfn_t f = mmu_frame(va + i * PAGE_SIZE);

		page_set_state(va + i * PAGE_SIZE, PS_UNUSABLE, PFN_NONE, PC_EXPLICIT);
		frame_free(f);
	}
	vm_convert(va, 1, PS_UNUSABLE, PC_EXPLICIT);
	owner_unregister(va);
	owner_unregister(va + PAGE_SIZE);
}

bool kstack_free(uintptr_t top)
{
	uintptr_t va = top - KSTACK_SPAN;
	unsigned long fl;
	bool ok;

	if (top < KSTACK_SPAN)
		return vmem_free_from(arena, va, 0, CALLER());		/* reports why */
	fl = spin_lock(&kstack_spin);
	ok = is_stack(va);
	if (ok)
		clear_stack(va);
	/* a stack's pages say it is one only while its range is busy: this free succeeds */
	ok = vmem_free_from(arena, va, ok ? KSTACK_SPAN : 0, CALLER()) && ok;
	spin_unlock(&kstack_spin, fl);
	return ok;
}
