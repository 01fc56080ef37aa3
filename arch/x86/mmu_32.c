/*
 * i386 page tables: two levels reached through the recursive slot
 * PD[1023] (arch/x86/pgtable_32.h).  A page table is made when a page
 * first needs one; boot_32.S made boot_pd and boot_pt.
 *
 * Context: as arch/x86/mmu.c.
 */
#include "arch/x86/mmu_int.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"

uint32_t mmu_ntables = 1;		/* boot_pt */

pte_t mmu_pde(uintptr_t va) { return *pde_ptr(va); }

bool mmu_ensure_table(uintptr_t va)
{
	pfn_t f;

	if (*pde_ptr(va) & PTE_P)
		return true;
	f = mmu_table_alloc ? mmu_table_alloc() : PFN_NONE;
	if (f == PFN_NONE)
		return false;
	*pde_ptr(va) = pde_make(f);
	mmu_clear_table(PT_WINDOW + ((va >> 22) << PAGE_SHIFT));
	return true;
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
