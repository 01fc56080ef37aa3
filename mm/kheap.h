/*
 * The kernel heap's API: a region reserved once at boot whose pages cost
 * no memory until written, after "Virtual allocator and paging design"
 * (OSDev forum).  Every page starts AOW; the
 * page-fault path gives a written page a zeroed frame and a read page the
 * shared zero frame; the scavenger (mm/scavenge.h) gives the frames of
 * free pages back.
 *
 * Promises:
 *  - kmalloc(n): n bytes aligned to 16 (8 for n <= 8), or NULL.  Size 0
 *    is served as size 1: a unique pointer that must be freed.  Sizes up
 *    to SLAB_MAX come from size-class slabs, larger ones are page runs;
 *    no call walks the live allocations.
 *  - kzalloc zeroes; kcalloc also returns NULL when n * size overflows.
 *    Any size up to SIZE_MAX is safe: one the region cannot hold is NULL.
 *  - krealloc(p, n) resizes in place when it can; when it must move and
 *    cannot, it returns NULL and p stays valid and unchanged.
 *    krealloc(NULL, n) is kmalloc(n).  A block that moves gets kmalloc's
 *    alignment, not the one it was made with by kmalloc_aligned.
 *  - kmalloc_aligned(n, a): a a power of two from 8 up (beyond a page
 *    too); any other a gives NULL.
 *  - kfree(NULL) does nothing.  kfree and krealloc check the pointer: one
 *    outside the heap, not the start of a live allocation, or already free
 *    (in its slab or in a magazine) is reported (pointer, what was wrong,
 *    caller) and nothing changes.
 *  - Objects of up to MAG_MAX_SIZE bytes that kfree takes wait in the
 *    current CPU's (thread's) magazines for the next kmalloc of their
 *    class, which then takes no lock (mm/magazine.h).
 *  - Commit policy (default): kmalloc returns NULL rather than promise a
 *    page the machine cannot back; every page of a live allocation holds a
 *    frame or a frame reservation, so its first write always succeeds.
 *    With overcommit, only metadata is reserved and a write that finds no
 *    frame is an OOM report.
 *
 * Context: callable with interrupts on or off, and from interrupt
 * handlers; not from the page-fault path.  The heap lock (mm/heap_int.h)
 * is interrupts-off plus an owner flag; re-entering kmalloc while it is
 * held is a bug that the debug build catches.
 *
 * This header is the API alone: the lock, the counters and the page and
 * slab structures are the heap core's (mm/heap_int.h); the fault path's
 * entry is mm/heapfault.h, the scavenger's mm/scavenge.h.
 */
#ifndef MM_KHEAP_H
#define MM_KHEAP_H

#include "mm/platform.h"
#include "mm/pagestate.h"
#include "mm/sizeclass.h"

/*
 * How many pages the heap region gets: usable RAM / 4, capped by what
 * fits in vspace_pages of kernel virtual space together with its
 * descriptors and two guard pages, and by 2^32 - 2 (page indices are
 * 32-bit; only a 64-bit host gets that far).  No input wraps it.  *rule
 * names the rule that decided.
 */
size_t kheap_region_pages(size_t ram_frames, size_t vspace_pages, const char **rule);
size_t kheap_meta_size(size_t npages);
/*
 * The region [base, base + npages pages) must be AOW with page tables
 * present and watched (pagestate_watch); meta (kheap_meta_size bytes)
 * must be zeroed.
 */
void kheap_init(uintptr_t base, size_t npages, void *meta, bool overcommit);

KHEAP_FAST_ABI void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void *kmalloc_aligned(size_t size, size_t align);
KHEAP_FAST_ABI void kfree(void *p);
size_t ksize(const void *p);		/* usable size; 0 (and a report) if invalid */
size_t kheap_max_size(void);		/* the largest size kmalloc may grant */

/*
 * The same calls for allocator front ends (arch/lib's malloc) that name
 * their own caller in reports and traces.
 */
KHEAP_FAST_ABI void *kheap_malloc_from(size_t size, uintptr_t caller);
void *kheap_aligned_from(size_t size, size_t align, uintptr_t caller);
void *kheap_realloc_from(void *p, size_t size, uintptr_t caller);
KHEAP_FAST_ABI void kheap_free_from(void *p, uintptr_t caller);
size_t kheap_size_from(const void *p, uintptr_t caller);
bool kheap_contains(uintptr_t va);

struct kheap_stats {
	uintptr_t base;
	size_t pages;
	size_t by_state[PS_COUNT];		/* region pages in each state */
	size_t live_bytes, live_allocs;		/* usable bytes of live allocations */
	size_t cached_bytes, cached_objs;	/* freed objects in magazines (mm/magazine.h) */
	size_t large_pages, slab_pages, meta_pages;
	size_t free_pages, free_runs, cold_runs;
	size_t committed_pages, reserved_frames;
	size_t free_resident;			/* KEPT pages: free, holding a frame */
	size_t freed_since_check;		/* bytes kfree'd since the scavenger last checked */
	uint64_t faults_write_aow, faults_read_aow, faults_write_zero, faults_bad, faults_oom;
	uint64_t faults_prezeroed;		/* write faults that found a pre-zeroed frame */
	uint64_t invalid_frees, null_returns;
	struct slab_class_stats cls[SLAB_CLASSES];
};
void kheap_stats(struct kheap_stats *st);
/* The heap's figures as log lines (the scavenger's: scavenge_print_stats). */
void kheap_print_stats(void);
/* Polls spent waiting for the heap lock since boot, all CPUs (mm/spinlock.h). */
uint64_t kheap_lock_spins(void);
/* cycles() those waiters spent polling (under QEMU -icount: instructions). */
uint64_t kheap_lock_spin_cycles(void);
/* The slab classes in use, a line each, like /proc/slabinfo. */
void kheap_print_slabinfo(void);
/*
 * The trace's stats line with the live figures callers hold (kheap_stats's),
 * and a snapshot of the region's pages: each under the heap lock, so it
 * agrees with the trace lines before it on any number of CPUs.
 */
void kheap_trace_stats(void);
void kheap_trace_snapshot(const char *why);
/*
 * Verify every invariant of docs/heap.md; logs the first problem.  At a
 * debug level of 1 or more, also every canary and poisoned object (a
 * broken one is reported as its misuse, with op kheap_check).
 */
bool kheap_check(void);

/*
 * The debug level (heapcheck=, KHEAP_CHECK; docs/debugging.md): 0
 * validation only; 1 requested sizes, canaries and poison; 2 also the
 * allocation and free sites of every object; 3 every allocation a
 * guarded block (at every level one in kheap_set_sample's N is).  Above 0 the magazines are off and ksize is the size asked for.
 * Any time; objects made before a rise from 0 are not checked.  false
 * (nothing changed) for a level above 3.
 */
bool kheap_set_check(unsigned level);
unsigned kheap_check_level(void);
/*
 * Guarded blocks (heapsample=, KHEAP_SAMPLE; docs/debugging.md "Guarded
 * blocks"): at every level one allocation in N of alignment up to 16 (at
 * level 0 counting only those that miss the magazines: the sample is
 * armed then and the next allocation is it) is placed in a page run of
 * its own between two GUARD pages, at the start or the end of its data
 * pages turn about, and freed into a quarantine of GUARD pages; at level
 * 3 every one.  0 for none (the heap's own default, before the kernel's
 * command line or libkheap's environment sets it); rate 0 gives the
 * quarantine's runs back; live guarded blocks stay guarded until freed.
 */
void kheap_set_sample(unsigned every);
unsigned kheap_sample(void);
/* Live allocations by allocation site, one "leaks:" line each (level 2). */
void kheap_print_leaks(void);
/* The live allocations made at code address site (level 2); *bytes their requested bytes. */
size_t kheap_leaks_at(uintptr_t site, size_t *bytes);

/*
 * Single figures, read without the lock (a front end's scavenging policy).
 * To these, objects in magazines are live (kheap_stats counts them apart).
 */
size_t kheap_freed(void);		/* bytes freed since the scavenger last checked */
size_t kheap_live_bytes(void);
size_t kheap_live_allocs(void);

#endif
