/*
 * The x86_64 page-table walk the fault path inlines: through the
 * recursive slot PML4[PT_SLOT] each level's entry for va is at a fixed
 * address (arch/x86/layout_64.h), readable once the level above it is
 * present.  mmu_entry is the PTE of va, or 0 when a level is missing.
 * The kernel maps only 4 KiB pages below a PDE (no PS bit), so a present
 * PDE always means a page table.  Included by arch/x86/arch_glue.h only.
 */
#ifndef ARCH_X86_PGTABLE_64_H
#define ARCH_X86_PGTABLE_64_H

#define VA_BITS48 0x0000FFFFFFFFFFFFul

static inline volatile pte_t *pml4e_ptr(uintptr_t va)
{
	return (volatile pte_t *)PML4_WINDOW + ((va >> 39) & 511);
}

static inline volatile pte_t *pdpte_ptr(uintptr_t va)
{
	return (volatile pte_t *)PDPT_WINDOW + ((va & VA_BITS48) >> 30);
}

static inline volatile pte_t *pde_ptr(uintptr_t va)
{
	return (volatile pte_t *)PD_WINDOW + ((va & VA_BITS48) >> 21);
}

static inline volatile pte_t *pte_ptr(uintptr_t va)
{
	return (volatile pte_t *)PT_WINDOW + ((va & VA_BITS48) >> 12);
}

static inline pte_t mmu_entry(uintptr_t va)
{
	if (!(*pml4e_ptr(va) & PTE_P) || !(*pdpte_ptr(va) & PTE_P) || !(*pde_ptr(va) & PTE_P))
		return 0;
	return *pte_ptr(va);
}

#endif
