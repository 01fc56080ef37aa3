/*
 * i386 page tables: two levels reached through the recursive slot
 * PD[1023] (arch/x86/pgtable_32.h).  A page table is made when a page
 * first needs one; boot_32.S made boot_pd and boot_pt.
 *
 * Context: as arch/x86/mmu.c.  Making a table runs under ptable_spin
 * (rank page table, docs/heap.md: before the heap's, as the frame it
 * takes may run the scavenger), so two CPUs that need the same table
 * make it once; the page directory is every CPU's.  A present entry is
 * read without the lock: it is written last, to a cleared table.
 */
#include "arch/x86/mmu_int.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"
#include "mm/spinlock.h"

static struct spinlock ptable_spin = SPINLOCK_INIT(LOCK_PTABLE);

uint32_t mmu_ntables = 1;		/* boot_pt */

pte_t mmu_pde(uintptr_t va) { return *pde_ptr(va); }

/* A new table for va's 4 MiB, cleared through the window before it is in the directory. */
static bool make_table(uintptr_t va)
{
	pfn_t f = mmu_table_alloc ? mmu_table_alloc() : PFN_NONE;

	if (f == PFN_NONE)
		return false;
	if (!mmu_zero_frame(f)) {	/* no window yet (early boot, one CPU) */
		*pde_ptr(va) = pde_make(f);
		mmu_clear_table(PT_WINDOW + ((va >> 22) << PAGE_SHIFT));
		return true;
	}
	__atomic_store_n(pde_ptr(va), pde_make(f), __ATOMIC_RELEASE);
	invlpg(PT_WINDOW + ((va >> 22) << PAGE_SHIFT));
	mmu_ntables++;
	return true;
}

bool mmu_ensure_table(uintptr_t va)
{
	unsigned long fl;
	bool ok = true;

	if (__atomic_load_n(pde_ptr(va), __ATOMIC_ACQUIRE) & PTE_P)
		return true;
	fl = spin_lock(&ptable_spin);
	if (!(*pde_ptr(va) & PTE_P))
		ok = make_table(va);
	spin_unlock(&ptable_spin, fl);
	return ok;
}

bool mmu_kernel_mapped(uintptr_t va)
{
	return va >= KERNBASE && va < KSPACE_END && (mmu_entry(va) & PTE_P);
}

void mmu_drop_identity(void) { *pde_ptr(0) = 0; }

/* From a gap page after the image to the recursive window. */
void mmu_kva_span(uintptr_t image_end, uintptr_t *start, uintptr_t *end)
{
	*start = image_end + PAGE_SIZE;
	*end = KSPACE_END;
}
