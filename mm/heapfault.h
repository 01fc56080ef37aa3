/*
 * The heap's half of the page-fault path: what a fault on a heap page
 * means, decided from the page's state and its descriptor.
 *
 * Promises:
 *  - a read of an AOW page maps the shared zero frame (no frame taken);
 *  - a write to an AOW or ZERO page of a live allocation or of metadata
 *    maps a zeroed frame, taken from the page's reservation when it holds
 *    one (always, unless overcommitted), so it never waits on kmalloc;
 *  - a read or write of free heap space (use after free, or a stray
 *    pointer) is KF_MISUSE: never resolved (no zero frame, no frame),
 *    and kheap_fault_report writes its two-line report; so is one of a
 *    GUARD page of the region (a guarded block's: its overflow, or its
 *    use after free);
 *  - anything else is refused with a reason (KF_BAD_ACCESS): a fault on
 *    a data page while the heap lock is held, a fault the page tables
 *    cannot explain;
 *  - KF_OOM only under overcommit, when no frame is left.
 *
 * Context: the page-fault path (fault/pagefault.c, arch/host/sim.c), any
 * interrupt state (kheap_fault turns them off while it runs;
 * kheap_fault_fast needs them off), any CPU, several at once; takes no lock of its own
 * (the frame allocator's, inside its calls).  CPUs faulting one page at
 * once end with one frame mapped and none leaked.
 */
#ifndef MM_HEAPFAULT_H
#define MM_HEAPFAULT_H

#include "mm/platform.h"

enum kheap_fault_result { KF_RESOLVED, KF_NOT_HEAP, KF_BAD_ACCESS, KF_OOM, KF_MISUSE };
/* Resolve a fault at va; *why says why when it is not KF_RESOLVED. */
enum kheap_fault_result kheap_fault(uintptr_t va, bool write, const char **why);
/*
 * kheap_fault's common cases alone (docs/faults.md, "The fast path"): the
 * first write to a page of a live allocation that holds a reservation,
 * the first read of a page in use; true when it resolved the fault, false
 * with nothing changed for anything else, which kheap_fault then decides.
 * For a fault entry that wants the common case without the general
 * path's reason pointer and result, with interrupts off: the frame
 * allocator's lock is taken without saving them.  The _write and _read
 * forms are the same for a known access (the kernel's #PF stub calls
 * one, by the error code's W bit, before anything else).
 */
bool kheap_fault_fast(uintptr_t va, bool write);
#ifndef FAULT_FAST_ABI
#define FAULT_FAST_ABI		/* the platform's calling convention for its fault entry */
#endif
bool FAULT_FAST_ABI kheap_fault_fast_write(uintptr_t va);
bool FAULT_FAST_ABI kheap_fault_fast_read(uintptr_t va);
/*
 * The same fault as if taken inside the heap's own critical section (the
 * heap lock held around it): what the tests use to see the refusal of a
 * data-page fault under the lock.  Never call it with the lock held.
 */
enum kheap_fault_result kheap_fault_locked(uintptr_t va, bool write, const char **why);
/*
 * The report (mm/heapreport.h) of a KF_MISUSE fault at va by the code at
 * ip (0: unknown): `use after free read` / `write` when va's page was
 * handed out before, `wild access` when never, placed against the
 * nearest live allocation.  Logged only (heap_report_log): the caller
 * stops the machine.  False, and nothing logged, when va is not free
 * heap space nor a guarded block's GUARD page.  Out of line and slow: a fatal path only.
 */
bool kheap_fault_report(uintptr_t va, bool write, uintptr_t ip);
/*
 * Tests only, debug builds only (MM_DEBUG): called with the page's
 * address after a write fault took its frame and before it installs it,
 * as another CPU's fault on the same page could come in between; NULL
 * (the default) for none.
 */
extern void (*kheap_fault_race)(uintptr_t va);

#endif
