/*
 * Boot-time frames, before the frame allocator exists: a bump allocator
 * over the memory map, used for the first page tables and the frame
 * database itself.  Everything it hands out stays the kernel's forever;
 * bootmem_held() is the range to pass to frame_init as PR_KERNEL.
 */
#ifndef MM_BOOTMEM_H
#define MM_BOOTMEM_H

#include "mm/frame.h"

void bootmem_init(const struct phys_range *r, size_t n);
pfn_t bootmem_alloc(void);		/* panics when the map has no more */
struct phys_range bootmem_held(void);
/* Ends bootmem: later calls panic. */
void bootmem_done(void);

#endif
