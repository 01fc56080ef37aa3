/*
 * The heap's figures and its check, for the API (mm/kheap.h): one
 * snapshot of the core's counters and descriptors under the heap lock,
 * printed as the "heap:" log lines that scripts and tests read.
 */
#include "mm/kheap.h"
#include "mm/kheap_int.h"
#include "mm/heapdebug.h"
#include "mm/tracepages.h"
#include "mm/magazine_int.h"

/* Pages of each committed kind, by one walk of the descriptors. */
static void count_kinds(struct kheap_stats *st)
{
	for (uint32_t i = 0; i < heap.npg; i++) {
		unsigned k = pagerun_desc(i)->kind;

		st->large_pages += k == PK_LARGE || k == PK_LARGE_TAIL;
		st->slab_pages += k == PK_SLAB;
		st->meta_pages += k == PK_META;
	}
}

/* The fault path's counters: every CPU's set, added up. */
static void fault_counts_sum(struct kheap_stats *st)
{
	for (unsigned c = 0; c < CPU_MAX; c++) {
		const struct fault_counts *fc = &heap.faults[c];

		st->faults_write_aow += fc->write_aow;
		st->faults_read_aow += fc->read_aow;
		st->faults_write_zero += fc->write_zero;
		st->faults_bad += fc->bad;
		st->faults_oom += fc->oom;
		st->faults_prezeroed += fc->prezeroed;
	}
}

static void copy_counters(struct kheap_stats *st)
{
	size_t warm;

	st->base = heap.base;
	st->pages = heap.npg;
	freerun_count(&warm, &st->cold_runs);
	st->free_runs = warm + st->cold_runs;
	st->free_pages = heap.free_pages;
	st->committed_pages = heap.committed;
	st->reserved_frames = heap.reserved;
	st->free_resident = heap.free_present;
	mag_count(&st->cached_objs, &st->cached_bytes);
	mag_live(&st->live_bytes, &st->live_allocs);		/* held by callers */
	st->freed_since_check = heap.freed_since_check;
	st->invalid_frees = heap.invalid_frees;
	st->null_returns = heap.null_returns;
	fault_counts_sum(st);
}

void kheap_stats(struct kheap_stats *st)
{
	unsigned long f = heap_lock();

	memset(st, 0, sizeof(*st));
	pagestate_counts(st->by_state);
	count_kinds(st);
	copy_counters(st);
	for (unsigned c = 0; c < SLAB_CLASSES; c++)
		slab_class_stats(c, &st->cls[c]);
	heap_unlock(f);
}

static void print_pages(const struct kheap_stats *st)
{
	kprintf("heap: %zu pages at %#lx: AOW %zu, ZERO %zu, PRESENT %zu, KEPT %zu",
		st->pages, (unsigned long)st->base, st->by_state[PS_AOW],
		st->by_state[PS_ZERO], st->by_state[PS_PRESENT], st->by_state[PS_KEPT]);
	kprintf("heap: %zu live allocations, %zu live bytes; pages: %zu large, %zu slab, "
		"%zu metadata, %zu free in %zu runs (%zu cold)",
		st->live_allocs, st->live_bytes, st->large_pages, st->slab_pages,
		st->meta_pages, st->free_pages, st->free_runs, st->cold_runs);
	kprintf("heap: %zu committed pages, %zu frames reserved, %zu bytes freed since last check",
		st->committed_pages, st->reserved_frames, st->freed_since_check);
	kprintf("heap: %zu objects, %zu bytes cached in magazines", st->cached_objs, st->cached_bytes);
}

static void print_events(const struct kheap_stats *st)
{
	kprintf("heap: faults: %llu write-AOW, %llu read-AOW, %llu write-ZERO, %llu bad, %llu OOM; "
		"%llu invalid frees, %llu NULL returns",
		(unsigned long long)st->faults_write_aow, (unsigned long long)st->faults_read_aow,
		(unsigned long long)st->faults_write_zero, (unsigned long long)st->faults_bad,
		(unsigned long long)st->faults_oom, (unsigned long long)st->invalid_frees,
		(unsigned long long)st->null_returns);
}

uint64_t kheap_lock_spins(void)
{
	unsigned long f = heap_lock();
	uint64_t n = heap.lock.spins;

	heap_unlock(f);
	return n;
}

uint64_t kheap_lock_spin_cycles(void)
{
	unsigned long f = heap_lock();
	uint64_t n = heap.lock.spin_cycles;

	heap_unlock(f);
	return n;
}

void kheap_print_stats(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	print_pages(&st);
	print_events(&st);
}

/*
 * One line a class with slabs, like /proc/slabinfo: object size, objects
 * in use and in all its slabs, slabs, pages, and each slab's shape; then
 * the totals.  scripts/gdb/kheap.py's kheap-slabinfo prints the same
 * lines from a stopped kernel.
 */
void kheap_print_slabinfo(void)
{
	struct kheap_stats st;
	size_t active = 0, total = 0, pages = 0;

	kheap_stats(&st);
	kprintf("slabinfo: class  objsize   active    total  slabs  pages  objs/slab  pages/slab");
	for (unsigned c = 0; c < SLAB_CLASSES; c++) {
		const struct slab_class_stats *k = &st.cls[c];

		if (!k->slabs)
			continue;
		kprintf("slabinfo: %5u %8zu %8zu %8zu %6zu %6zu %10zu %11zu", c, k->size, k->in_use,
			k->slabs * k->objects, k->slabs, k->slabs * k->pages, k->objects, k->pages);
		active += k->in_use;
		total += k->slabs * k->objects;
		pages += k->slabs * k->pages;
	}
	kprintf("slabinfo: total %8s %8zu %8zu %6s %6zu", "", active, total, "", pages);
}

bool kheap_check(void)
{
	unsigned long f = heap_lock();
	bool ok = heap_check() && mag_check() && (!heap_debug_level || dbg_check());

	heap_unlock(f);
	return ok;
}

/* Under the heap lock, so the figures are those of the lines before it (tracepages.h). */
void kheap_trace_stats(void)
{
	unsigned long f = heap_lock();

	trace_stats(mag_live);
	heap_unlock(f);
}

void kheap_trace_snapshot(const char *why)
{
	unsigned long f = heap_lock();

	trace_snapshot(why);
	heap_unlock(f);
}
