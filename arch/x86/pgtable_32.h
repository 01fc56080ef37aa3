/*
 * The i386 page-table walk the fault path inlines: through the recursive
 * directory slot PD[1023] the PDE of va is at PD_WINDOW + (va >> 22) * 4
 * and, once that is present, its PTE at PT_WINDOW + (va >> 12) * 4.
 * mmu_entry is the PTE of va, or 0 when no page table covers va.
 * Included by arch/x86/arch_glue.h only.
 */
#ifndef ARCH_X86_PGTABLE_32_H
#define ARCH_X86_PGTABLE_32_H

static inline volatile pte_t *pde_ptr(uintptr_t va)
{
	return (volatile pte_t *)PD_WINDOW + (va >> 22);
}

static inline volatile pte_t *pte_ptr(uintptr_t va)
{
	return (volatile pte_t *)PT_WINDOW + (va >> 12);
}

static inline pte_t mmu_entry(uintptr_t va)
{
	if (!(*pde_ptr(va) & PTE_P))
		return 0;
	return *pte_ptr(va);
}

#endif
