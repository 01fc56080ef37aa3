/*
 * vmalloc: large, virtually contiguous kernel allocations in the arena
 * vmalloc (docs/vmem.md), a child of kva, whose pages are demand-faulted
 * like the heap's.
 *
 * Promises:
 *  - vmalloc(size) takes whole pages and a GUARD page above them; every
 *    page starts AOW, costs no frame until written (a read maps the
 *    shared zero frame), and reads as zero.
 *  - Strict commit, as the heap's: a frame is promised (frame_reserve)
 *    for every page at vmalloc time, so a first write always finds one;
 *    vmalloc returns NULL (and a report) when the frames cannot be
 *    promised, or there is no space or free area record.
 *  - vfree(p) gives every frame and promise back and the range to the
 *    arena; a pointer vmalloc did not return, or one freed already, is
 *    refused with a report and nothing changes.
 *  - Each area is in the owner index (mm/owner.h) under its caller's
 *    name, its guard as "above vmalloc area 0x...".
 *
 * Context: vmalloc and vfree on any CPU, in process context (they take
 * the vmalloc lock, the first of the lock order, and may run the
 * scavenger); vmalloc_fault from the page-fault path with interrupts off,
 * on any CPU: it finds its area through the owner index and takes only
 * the vmalloc fault lock (docs/heap.md, "Lock order").
 */
#ifndef SRC_VMALLOC_H
#define SRC_VMALLOC_H

#include "mm/vmem.h"
#include "mm/heapfault.h"

#define VMALLOC_AREAS	64		/* live areas at once */

void vmalloc_init(vmem_t *kva);
void *vmalloc(size_t size);
void vfree(void *p);
/*
 * A fault at va: KF_NOT_HEAP when no vmalloc area holds it, KF_RESOLVED,
 * or KF_BAD_ACCESS with *why (a write to the guard is not ours: the
 * guard belongs to the index, not to an area).
 */
enum kheap_fault_result vmalloc_fault(uintptr_t va, bool write, const char **why);

struct vmalloc_stats {
	size_t areas, pages, present, reserved;	/* live figures */
	uint64_t allocs, frees, bad_frees, failures, faults_read, faults_write;
};
void vmalloc_stats(struct vmalloc_stats *st);
vmem_t *vmalloc_arena(void);

#endif
