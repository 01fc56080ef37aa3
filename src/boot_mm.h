/*
 * Memory bring-up at boot: from the Multiboot2 memory map to a running
 * frame allocator, page-state machine and kernel virtual space.
 */
#ifndef SRC_BOOT_MM_H
#define SRC_BOOT_MM_H

#include "src/multiboot2.h"
#include "mm/vmem.h"

/* mbi_phys/mbi_size: the info block, which stays reserved. */
void boot_mm_init(const struct boot_info *bi, uint32_t mbi_phys, uint32_t mbi_size);
/* Reserve the heap region and start the heap and scavenger (after pit_init). */
void boot_heap_init(void);
/* The kernel virtual space arena (after boot_mm_init). */
vmem_t *kva_arena(void);

#endif
