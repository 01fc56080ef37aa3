/*
 * The heap's half of the page-fault path: what a fault on a heap page
 * means, decided from the page's state and its descriptor.
 *
 * Promises:
 *  - a read of an AOW page maps the shared zero frame (no frame taken);
 *  - a write to an AOW or ZERO page of a live allocation or of metadata
 *    maps a zeroed frame, taken from the page's reservation when it holds
 *    one (always, unless overcommitted), so it never waits on kmalloc;
 *  - anything else is refused with a reason: a write to free heap space
 *    (use after free, or a stray pointer), a fault on a data page while
 *    the heap lock is held, a fault the page tables cannot explain;
 *  - KF_OOM only under overcommit, when no frame is left.
 *
 * Context: the page-fault path (fault/pagefault.c, arch/host/sim.c), any
 * interrupt state; takes no lock.
 */
#ifndef MM_HEAPFAULT_H
#define MM_HEAPFAULT_H

#include "mm/platform.h"

enum kheap_fault_result { KF_RESOLVED, KF_NOT_HEAP, KF_BAD_ACCESS, KF_OOM };
/* Resolve a fault at va; *why says why when it is not KF_RESOLVED. */
enum kheap_fault_result kheap_fault(uintptr_t va, bool write, const char **why);

#endif
