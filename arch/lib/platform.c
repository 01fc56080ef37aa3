/*
 * libkheap's platform: the lock, the page-state array, diagnostics on
 * stderr, and abort on misuse.  Nothing here may call malloc.
 *
 * The lock stands in for the kernel's interrupts-off: one process-wide
 * recursive lock, an owner word taken with a compare-and-swap (a thread is
 * known by the address of its own thread-local byte) and a depth only the
 * owner touches.  Uncontended it costs one atomic operation each way; a
 * waiter spins briefly, then yields the CPU until the owner lets go.
 *
 * The state array is mmap'd demand-zero memory read with AOW as 0 (the
 * stored state is state ^ PS_AOW), so a fresh region is all AOW without
 * writing a byte of it.  Its entries are not the i386 layout
 * (arch/x86/pte.h, state in bits 9-11, frame above bit 12) on purpose:
 * no MMU reads them, and the 8 GiB region has 2^21 frames, more than the
 * 20 bits an i386 entry leaves for the frame: the state goes in bits 0-2
 * and the frame in the 29 bits above.  The state field is checked to hold
 * every page state, as the x86 one is.  Whether a page was given back
 * before (so its next commit is populated at once, below) is a bit of a
 * bitmap apart, so that an AOW entry is zero bytes: the idle pass's
 * platform_state_release gives back whole pages of such entries, which
 * read as AOW again (a page of the bitmap is 128 pages of entries).
 *
 * A KEPT page (freed, its frame kept) stays readable and writable here:
 * Linux keeps its bytes, and no mprotect makes it inaccessible
 * (docs/libkheap.md says why); only leaving a frame-holding state
 * (PRESENT, ZERO, KEPT) for a frameless one gives the page back.
 *
 * Page changes reach Linux in ranges of adjacent pages, one madvise a
 * range, issued when a page outside the range changes, when a page inside
 * it changes the other way, and before the lock is let go (so no caller
 * ever sees a change still pending):
 *  - pages given back: MADV_DONTNEED, so Linux frees them and they read
 *    zero again;
 *  - pages committed again after being given back: MADV_POPULATE_WRITE,
 *    so Linux backs them in one call instead of one fault a page (a fault
 *    costs many times more).  A page committed for the first time, and
 *    ranges above the prefault limit (lib_set_prefault), fault lazily:
 *    a block may be used sparsely, and a heap that never gives a page
 *    back has no refaults to save.  On a kernel without it
 *    (before 5.14) the first EINVAL turns it off.  errno is kept across
 *    both.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "arch/lib/lib.h"
#include "mm/pagestate.h"
#include "mm/trace.h"

static _Atomic uintptr_t owner;		/* 0: free */
static __thread char self __attribute__((tls_model("initial-exec")));
static uintptr_t base;
static size_t npages;
static uint32_t *pte;			/* entry_make(), read by entry_state/frame */
static uint32_t *given_back;		/* a bit a page: given back before (MADV_DONTNEED) */
#define ENTRY_STATE_BITS 3
#define ENTRY_STATE_MASK ((1u << ENTRY_STATE_BITS) - 1)
#define ENTRY_FRAME_SHIFT ENTRY_STATE_BITS
_Static_assert(PS_COUNT <= 1u << ENTRY_STATE_BITS, "page states must fit the entry's state field");

static uint32_t entry_make(unsigned state, pfn_t frame)
{
	return (frame != PFN_NONE ? frame << ENTRY_FRAME_SHIFT : 0) | (state ^ PS_AOW);
}

static unsigned entry_state(uint32_t e) { return (e & ENTRY_STATE_MASK) ^ PS_AOW; }

static pfn_t entry_frame(uint32_t e) { return e >> ENTRY_FRAME_SHIFT; }

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

struct pending { uintptr_t lo, hi; int advice; };
static struct pending drop = { 0, 0, MADV_DONTNEED };
static struct pending fill = { 0, 0, MADV_POPULATE_WRITE };
static size_t fill_max = 4u << 20;

void lib_set_prefault(size_t bytes) { fill_max = bytes; }

static void pending_flush(struct pending *r)
{
	int saved;

	if (r->lo == r->hi)
		return;
	saved = errno;
	if (r->advice != MADV_POPULATE_WRITE)
		madvise((void *)r->lo, r->hi - r->lo, r->advice);
	else if (r->hi - r->lo <= fill_max &&
		 madvise((void *)r->lo, r->hi - r->lo, r->advice) && errno == EINVAL)
		fill_max = 0;
	r->lo = r->hi = 0;
	errno = saved;
}

static void pending_add(struct pending *r, uintptr_t va)
{
	if (va != r->hi) {
		pending_flush(r);
		r->lo = va;
	}
	r->hi = va + PAGE_SIZE;
}

static bool pending_has(const struct pending *r, uintptr_t va)
{
	return va >= r->lo && va < r->hi;
}

static unsigned held;			/* lock depth of the owner */
/* Outermost takes of the lock, and those that found it held (written by the owner). */
static uint64_t takes, waited;

void lib_lock_counts(uint64_t *all, uint64_t *contended)
{
	*all = takes;
	*contended = waited;
}

unsigned long irq_save(void)
{
	uintptr_t me = (uintptr_t)&self, none = 0;

	if (atomic_load_explicit(&owner, memory_order_relaxed) == me) {
		held++;
		return 0;
	}
	unsigned spins = 0;

	for (; !atomic_compare_exchange_weak_explicit(&owner, &none, me,
			memory_order_acquire, memory_order_relaxed); none = 0) {
		if (++spins < 64)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
	held = 1;
	takes++;
	waited += spins != 0;
	return 0;
}

void irq_restore(unsigned long flags)
{
	(void)flags;
	if (--held)
		return;
	if (drop.lo != drop.hi)
		pending_flush(&drop);
	if (fill.lo != fill.hi)
		pending_flush(&fill);
	if (__atomic_load_n(&lib_stop, __ATOMIC_RELAXED))
		lib_stop_end();			/* stopped fast paths go on (arch/lib/stop.c) */
	atomic_store_explicit(&owner, 0, memory_order_release);
}

bool lib_lock_mine(void)
{
	return atomic_load_explicit(&owner, memory_order_relaxed) == (uintptr_t)&self;
}

/*
 * In a child after fork: the forking thread took the lock before the fork
 * (pthread_atfork) and is the child's only thread; it starts afresh with
 * the lock free.
 */
void lib_lock_reset_in_child(void)
{
	atomic_store(&owner, 0);
	held = 0;
}

void lib_mmu_init(uintptr_t region, size_t pages, uint32_t *entries, uint32_t *bits)
{
	base = region;
	npages = pages;
	pte = entries;
	given_back = bits;
}

static uint32_t *entry(uintptr_t va)
{
	size_t i = (va - base) / PAGE_SIZE;

	return va >= base && i < npages ? &pte[i] : NULL;
}

unsigned mmu_state(uintptr_t va)
{
	uint32_t *e = entry(va);

	return e ? entry_state(*e) : PS_UNUSABLE;
}

pfn_t mmu_frame(uintptr_t va)
{
	uint32_t *e = entry(va);

	return e && pagestate_has_frame(entry_state(*e)) ? entry_frame(*e) : PFN_NONE;
}

void mmu_set(uintptr_t va, unsigned state, pfn_t frame)
{
	uint32_t *e = entry(va);
	size_t i;

	if (!e)
		panic("libkheap: page state change outside the region at %#lx", (unsigned long)va);
	va &= ~(uintptr_t)(PAGE_SIZE - 1);
	i = (size_t)(e - pte);
	if (pagestate_has_frame(mmu_state(va)) && !pagestate_has_frame(state)) {
		if (pending_has(&fill, va))
			pending_flush(&fill);
		pending_add(&drop, va);
		given_back[i / 32] |= 1u << i % 32;
	} else if (!pagestate_has_frame(mmu_state(va)) && pagestate_has_frame(state)) {
		if (pending_has(&drop, va))
			pending_flush(&drop);
		if (given_back[i / 32] >> i % 32 & 1)
			pending_add(&fill, va);
	}
	if ((state == PS_GUARD) != (mmu_state(va) == PS_GUARD))
		lib_guard_page(va, state == PS_GUARD);	/* a guarded block's (arch/lib/guard.c) */
	*e = entry_make(state, frame);
}

/*
 * The idle pass: [va, va + n pages) are AOW, free, and stay so until the
 * next mmu_set of one: the whole pages of their entries, zero bytes
 * (entry_make of AOW), go back to Linux and read zero again.  The
 * given-back bits stay: they are what a regrowth's populate reads.
 */
void platform_state_release(uintptr_t va, size_t n)
{
	uintptr_t lo = (uintptr_t)entry(va), hi = lo + n * sizeof(*pte);
	int saved = errno;

	if (!lo || !entry(va + (n - 1) * PAGE_SIZE))
		panic("libkheap: state release outside the region at %#lx", (unsigned long)va);
	lo = (lo + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	hi &= ~(uintptr_t)(PAGE_SIZE - 1);
	if (lo < hi)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
	errno = saved;
}

/* Only the fault path calls it, and no fault reaches the heap here (MMU_EAGER). */
bool mmu_set_if(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	panic("libkheap: mmu_set_if(%#lx, %u, %u, %#lx) without demand faults", (unsigned long)va,
	      from, to, (unsigned long)frame);
}

bool mmu_ensure_table(uintptr_t va) { return entry(va) != NULL; }

/* An AOW page is fresh or was given back with MADV_DONTNEED: Linux has it zero. */
void mmu_zero_page(uintptr_t va) { (void)va; }
/* Frames are Linux's: nothing to zero (pre-zeroing is the kernel's tick's). */
bool mmu_frame_is_zero(pfn_t f) { (void)f; return true; }

/* One line on stderr without stdio's buffers (which may allocate). */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s", prefix);

	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, n) < 0)
		return;
}

void klog(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > LOG_WARN)
		return;
	va_start(ap, fmt);
	say("libkheap: ", fmt, ap);
	va_end(ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("libkheap: ", fmt, ap);
	va_end(ap);
	return 0;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("libkheap: fatal: ", fmt, ap);
	va_end(ap);
	abort();
}

/* Descriptor pages of long-free runs: Linux frees them, and they read zero again. */
void platform_meta_release(void *addr, size_t len)
{
	int saved = errno;

	madvise(addr, len, MADV_DONTNEED);
	errno = saved;
}

/* An invalid or double free was reported: stop, as C libraries do. */
void platform_misuse(void) { abort(); }
void platform_spin_wait(void) { }
void platform_tlb_shootdown(void) { }
unsigned platform_cpus_online(void) { return 1; }
bool mmu_zero_frame(pfn_t f) { (void)f; return false; }
void mmu_invalidate_local(uintptr_t va) { (void)va; }

void ksym_format(uintptr_t addr, char *buf, size_t len)
{
	Dl_info info;
	int found = dladdr((void *)addr, &info);

	if (found && info.dli_sname)
		snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			 (unsigned long)(addr - (uintptr_t)info.dli_saddr));
	else if (found && info.dli_fname)
		snprintf(buf, len, "%#lx (%s)", (unsigned long)addr, info.dli_fname);
	else
		snprintf(buf, len, "%#lx", (unsigned long)addr);
}

void trace_out(const char *line, size_t len)
{
	(void)line;
	(void)len;
}
