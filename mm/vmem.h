/*
 * Arenas of integer ranges (kernel virtual addresses, or any resource
 * numbered by integers), after Bonwick and Adams, "Magazines and Vmem"
 * (USENIX 2001) and the vmem of illumos and FreeBSD.  docs/vmem.md.
 *
 * Promises:
 *  - An arena hands out quantum-aligned ranges of its spans.  Instant fit
 *    (the default) is O(1): the first segment of the first power-of-two
 *    free list whose every segment fits.  VM_BESTFIT takes the smallest
 *    free segment that fits.  vmem_xalloc adds an alignment and an
 *    address window.
 *  - vmem_free is O(1) through a hash of busy segments.  A bad free (not
 *    the start of a busy segment, a double free, a size that disagrees)
 *    changes nothing and is reported, naming the arena, the address and
 *    the caller (and, where known, who allocated it).
 *  - An arena with a source imports spans from it when it has no fit and
 *    returns each imported span when it is wholly free again.
 *  - No arena ever calls the heap.  Boundary tags come from a static boot
 *    pool, then from pages of the tag source arena, mapped by the back
 *    function given to vmem_set_tag_source.  The tags an operation may
 *    need are taken *before* the arena's lock, so an allocation never
 *    recurses into itself; when none can be had, the operation fails
 *    with a report and returns 0.  Frees never need a tag.
 *  - 0 is never a valid address: an arena may not contain it.
 *  - Left out: quantum caches (Bonwick's per-arena object caches for small
 *    multiples of the quantum); arenas are not destroyed while in use.
 *
 * Context: process context on any CPU, not the page-fault path.  Each
 * arena's lock is an IRQ-saving spinlock of rank vmem (docs/heap.md,
 * "Lock order"; re-entry is caught); no two arena locks are ever held
 * together (an import runs with the importing arena unlocked), and debug
 * builds refuse a second.  The tag pool has its own lock, and one CPU
 * refills it at a time.
 */
#ifndef MM_VMEM_H
#define MM_VMEM_H

#include "mm/platform.h"

typedef struct vmem vmem_t;

/* Allocation flags. */
#define VM_INSTANTFIT	0x0	/* default: O(1), may pick a larger segment */
#define VM_BESTFIT	0x1	/* the smallest free segment that fits */

#define VMEM_NAME_LEN	16
#define VMEM_MAX_ARENAS	16

/*
 * A new arena named `name` with one span [base, base + size) (none if
 * size is 0) handing out multiples of `quantum` (a power of two).  With a
 * source, spans of at least import_quantum are imported from it on
 * demand.  NULL (and a report) on bad arguments or no free arena slot.
 */
vmem_t *vmem_create(const char *name, uintptr_t base, size_t size, size_t quantum,
		    vmem_t *source, size_t import_quantum);
/* Tear down; false (and a report) if busy segments were left. */
bool vmem_destroy(vmem_t *vm);
/* Add a span the arena owns for good; false (and a report) on overlap. */
bool vmem_add(vmem_t *vm, uintptr_t base, size_t size);

/* size bytes (rounded up to the quantum), or 0 when nothing fits. */
uintptr_t vmem_alloc(vmem_t *vm, size_t size, int flags);
/*
 * The same, aligned to `align` (0 or a power of two) and lying inside
 * [minaddr, maxaddr) (maxaddr 0: no upper limit).
 */
uintptr_t vmem_xalloc(vmem_t *vm, size_t size, size_t align, uintptr_t minaddr,
		      uintptr_t maxaddr, int flags);
/* Give back what vmem_alloc returned; false (and a report) if refused. */
bool vmem_free(vmem_t *vm, uintptr_t addr, size_t size);
/* vmem_free naming another caller in a report (for wrappers). */
bool vmem_free_from(vmem_t *vm, uintptr_t addr, size_t size, uintptr_t caller);

struct vmem_stats {
	size_t span_bytes;	/* in all spans, imported or added */
	size_t imported_bytes;	/* of which imported from the source */
	size_t busy_bytes, free_bytes;
	size_t nbusy, nfree, nspans;
	uint64_t allocs, frees, imports, releases, bad_frees, failures;
};
void vmem_stats(vmem_t *vm, struct vmem_stats *st);
/* The largest free segment's size in bytes (0 if none) and its start. */
size_t vmem_largest_free(vmem_t *vm, uintptr_t *start);
const char *vmem_name(const vmem_t *vm);
/* Check every invariant; logs the first problem and returns false. */
bool vmem_audit(vmem_t *vm);
/* One boot-log line: the arena's spans and what it is for. */
void vmem_log(vmem_t *vm, const char *use);

/*
 * Where boundary tags come from after the static boot pool: pages of
 * `space` (quantum at most PAGE_SIZE), each backed by back(va), which
 * maps the page writable and must not call any arena.  NULL turns
 * refills off.  Tags fill a page but its last VMEM_TAG_PAGE_KEEP bytes,
 * which are back's own (the kernel keeps the page's owner record there).
 */
#define VMEM_TAG_PAGE_KEEP	128
typedef bool (*vmem_back_fn)(uintptr_t va);
void vmem_set_tag_source(vmem_t *space, vmem_back_fn back);

struct vmem_tag_stats {
	size_t boot;		/* tags in the static pool */
	size_t pages;		/* tag pages mapped so far (never returned) */
	uintptr_t last_page;	/* the newest of them (0: none yet) */
	size_t per_page;
	size_t free;		/* in the pool now */
	size_t reserve;		/* kept in the pool for refills only */
	size_t per_op;		/* taken by each allocation before its lock */
	uint64_t refills, refill_failures, exhausted;
};
void vmem_tag_stats(struct vmem_tag_stats *st);
/* One boot-log line: tags in use and free, static and from pages. */
void vmem_log_tags(void);
/*
 * For tests: after n more tag pages, every further one fails as if the
 * source were out of space; n < 0 turns it off.
 */
void vmem_inject_tag_failure(long n);
/* The text of the last report (bad free, no tags, bad arguments). */
const char *vmem_last_report(void);

#endif
