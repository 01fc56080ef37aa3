/*
 * What arch/x86/mmu.c (shared) and mmu_32.c or mmu_64.c (the width's
 * table making) say to each other.  Context: as mmu.c.
 */
#ifndef ARCH_X86_MMU_INT_H
#define ARCH_X86_MMU_INT_H

#include "arch/x86/mmu.h"

extern pfn_t (*mmu_table_alloc)(void);	/* NULL: no tables can be made */
extern uint32_t mmu_ntables;		/* page-table pages, every level */

/* Count and zero the table page just entered at table_va. */
void mmu_clear_table(uintptr_t table_va);
/* Unmap what boot_*.S identity-mapped (the caller reloads CR3). */
void mmu_drop_identity(void);

#endif
