/*
 * Kernel virtual space: which ranges of kernel virtual addresses are
 * handed out.  After "Virtual Address Allocation" (OSDev forum): the
 * allocator keeps its free ranges in a fixed static table and never calls the heap, so the heap can take
 * its region from here without either waiting on the other.
 *
 * Promises: page-granular first fit from the lowest address; freeing
 * merges with neighbours; vspace_largest names the largest free range.
 * The table holds VSPACE_MAX_RANGES free ranges: a free that would need
 * more panics, naming the range (a boot-time layout bug, not a runtime
 * condition: only boot code and the heap's one region use this).
 *
 * Context: boot and process context; not from the fault path.
 */
#ifndef MM_VSPACE_H
#define MM_VSPACE_H

#include "mm/platform.h"

#define VSPACE_MAX_RANGES 32

void vspace_init(uintptr_t start, uintptr_t end);
uintptr_t vspace_alloc(size_t npages);			/* 0 if none fits */
bool vspace_take(uintptr_t va, size_t npages);		/* that exact range */
void vspace_free(uintptr_t va, size_t npages);
size_t vspace_largest(uintptr_t *start);		/* in pages */
size_t vspace_free_pages(void);

#endif
