#ifndef ARCH_LIB_LIB_H
#define ARCH_LIB_LIB_H

#include "mm/platform.h"

/* The page-state array for the region (arch/lib/platform.c). */
void lib_mmu_init(uintptr_t region, size_t pages, uint32_t *entries);
void lib_lock_reset_in_child(void);
/* Commit ranges up to this many bytes are backed at once (0: never). */
void lib_set_prefault(size_t bytes);

#endif
