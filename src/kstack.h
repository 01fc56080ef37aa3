/*
 * Kernel stacks with a guard page below each: the arena kstack
 * (docs/vmem.md), a child of kva importing room for four stacks at a time.
 *
 * Promises: kstack_alloc gives KSTACK_SIZE bytes of zeroed WIRED pages
 * with a GUARD page (never present) right below, so running off the
 * bottom faults instead of overwriting a neighbour; it returns the top
 * (the first esp), or 0 with a report when there is no space or frame,
 * having taken nothing.  kstack_free gives the frames and the range back;
 * a top kstack_alloc did not return is refused with a report.  The boot
 * stack lives in the image (docs/memory-layout.md), not here.
 *
 * Context: process context, after boot_mm_init.
 */
#ifndef SRC_KSTACK_H
#define SRC_KSTACK_H

#include "mm/vmem.h"

#define KSTACK_SPAN (KSTACK_SIZE + PAGE_SIZE)	/* guard page, then the stack */

void kstack_init(vmem_t *kva);
uintptr_t kstack_alloc(const char *owner);
bool kstack_free(uintptr_t top);
vmem_t *kstack_arena(void);

#endif
