/*
 * x86 paging beyond mm/platform.h's per-page interface: boot-time setup
 * and raw access to entries for diagnostics.  4 KiB pages; two levels on
 * i386 (no PAE), four on x86_64; page tables reached through a recursive
 * slot (arch/x86/pgtable_32.h, pgtable_64.h).
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
/* The span kernel virtual space (the arena kva) may use, after the image's end. */
void mmu_kva_span(uintptr_t image_end, uintptr_t *start, uintptr_t *end);
/* Where page tables come from: bootmem first, then the frame allocator. */
void mmu_set_table_allocator(pfn_t (*alloc)(void));

/* CPU cpu's window for mmu_zero_frame: a page of kva with its table (src/smp.c). */
void mmu_set_scratch(unsigned cpu, uintptr_t va);

/* Raw entries for diagnostics: 0 when absent. */
pte_t mmu_pde(uintptr_t va);
pte_t mmu_pte(uintptr_t va);
/* Is va a mapped kernel address (not a page-table window), safe to read? */
bool mmu_kernel_mapped(uintptr_t va);
/* Page-table pages made so far, every level, boot's included. */
uint32_t mmu_table_count(void);

#endif
