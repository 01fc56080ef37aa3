/*
 * i386 paging beyond mm/platform.h's per-page interface: boot-time setup
 * and raw access to entries for diagnostics.  Two-level, 4 KiB pages, no
 * PAE; page tables reached through the recursive slot PD[1023].
 */
#ifndef ARCH_X86_MMU_H
#define ARCH_X86_MMU_H

#include "mm/platform.h"

/*
 * Map phys [pa, pa+len) at a temporary boot window and return its virtual
 * address; valid until mmu_init.  At most 64 KiB.
 */
void *boot_map_temp(uint32_t pa, uint32_t len);
/* Lay out the boot window's final states and drop the identity map. */
void mmu_init(void);
/* Where page tables come from: bootmem first, then the frame allocator. */
void mmu_set_table_allocator(pfn_t (*alloc)(void));

/* Raw entries for diagnostics: 0 when absent. */
uint32_t mmu_pde(uintptr_t va);
uint32_t mmu_pte(uintptr_t va);
uint32_t mmu_table_count(void);

#endif
