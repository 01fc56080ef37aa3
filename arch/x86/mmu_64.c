/*
 * x86_64 page tables: four levels reached through the recursive slot
 * PML4[PT_SLOT] (arch/x86/pgtable_64.h).  mmu_ensure_table makes whatever
 * of PDPT, PD and PT is missing above va, top down, each from the table
 * allocator; boot_64.S made the boot PML4, two PDPTs, a PD and the two
 * page tables of the boot window.
 *
 * Context: as arch/x86/mmu.c.  Making tables runs under ptable_spin
 * (rank page table, docs/heap.md), as on i386, so two CPUs that need the
 * same table make it once.  A new table is cleared through the zeroing
 * window before its entry is written (release), so a CPU that reads the
 * entry without the lock never walks into an uncleared table; only in
 * early boot, one CPU and no window yet, is it cleared through the
 * recursive window after.
 */
#include "arch/x86/mmu_int.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"
#include "mm/spinlock.h"

static struct spinlock ptable_spin = SPINLOCK_INIT(LOCK_PTABLE);

extern pte_t boot_pml4[512];

uint32_t mmu_ntables = 6;		/* boot_pml4, two PDPTs, boot_pd, boot_pt's two */

pte_t mmu_pde(uintptr_t va)
{
	if (!(*pml4e_ptr(va) & PTE_P) || !(*pdpte_ptr(va) & PTE_P))
		return 0;
	return *pde_ptr(va);
}

/* The entry e (of a level that covers va) points at a table; make it if absent. */
static bool ensure_level(volatile pte_t *e, uintptr_t table_va)
{
	pfn_t f;

	if (*e & PTE_P)
		return true;
	f = mmu_table_alloc ? mmu_table_alloc() : PFN_NONE;
	if (f == PFN_NONE)
		return false;
	if (!mmu_zero_frame(f)) {	/* no window yet (early boot, one CPU) */
		*e = pde_make(f);
		mmu_clear_table(table_va);
		return true;
	}
	__atomic_store_n(e, pde_make(f), __ATOMIC_RELEASE);
	invlpg(table_va);
	mmu_ntables++;
	return true;
}

/* The table that entry pointer p's page is, seen through the window: p rounded down. */
static uintptr_t table_of(volatile pte_t *next_level_entry)
{
	return (uintptr_t)next_level_entry & ~(uintptr_t)(PAGE_SIZE - 1);
}

bool mmu_ensure_table(uintptr_t va)
{
	unsigned long fl;
	bool ok;

	if (mmu_pde(va) & PTE_P)	/* every level there: the common case, no lock */
		return true;
	fl = spin_lock(&ptable_spin);
	ok = ensure_level(pml4e_ptr(va), table_of(pdpte_ptr(va))) &&
	     ensure_level(pdpte_ptr(va), table_of(pde_ptr(va))) &&
	     ensure_level(pde_ptr(va), table_of(pte_ptr(va)));
	spin_unlock(&ptable_spin, fl);
	return ok;
}

/* kva below the recursive window, or the image's 2 GiB above it. */
bool mmu_kernel_mapped(uintptr_t va)
{
	bool kernel = (va >= KSPACE_START && va < KSPACE_END) || va >= KERNBASE;

	return kernel && (mmu_entry(va) & PTE_P);
}

void mmu_drop_identity(void) { boot_pml4[0] = 0; }

/* The arena kva: PML4 slots 256 up to the recursive one; the image is not in it. */
void mmu_kva_span(uintptr_t image_end, uintptr_t *start, uintptr_t *end)
{
	(void)image_end;
	*start = KSPACE_START;
	*end = KSPACE_END;
}
