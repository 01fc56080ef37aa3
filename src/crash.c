/*
 * Deliberate faults and misuses for the diagnostic tests.  Each provoker is its own
 * non-inlined function so the diagnostic's EIP symbol names it.
 */
#include "src/crash.h"
#include "src/lib.h"
#include "src/log.h"
#include "src/cmdline.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/heapfault.h"
#include "mm/pagestate.h"
#include "src/ioremap.h"
#include "src/vmalloc.h"
#include "src/kstack.h"
#include "src/smp.h"
#include "arch/x86/stack.h"

#define BAD_ADDR 0xE0001234u		/* kernel space nobody maps */

/* The value goes through the accumulator, so the report's register line shows it. */
__attribute__((noinline)) void crash_write(void)
{
	__asm__ volatile("mov %0, %1" : : "a"(0x5A5A5A5Au), "m"(*(volatile uint32_t *)BAD_ADDR));
}
__attribute__((noinline)) void crash_read(void) { (void)*(volatile uint32_t *)BAD_ADDR; }
__attribute__((noinline)) void crash_null(void) { (void)*(volatile uint32_t *)hide_addr(0); }
__attribute__((noinline)) void crash_exec(void) { ((void (*)(void))BAD_ADDR)(); }
__attribute__((noinline)) void crash_ud(void) { __asm__ volatile("ud2"); }

__attribute__((noinline)) void crash_div(void)
{
	uint32_t lo = 1, hi = 0, zero = 0;	/* asm: gcc folds 1/x to x == 1 */

	__asm__ volatile("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
}

/* Recurses until the boot stack's guard page stops it (a #DF report). */
__attribute__((noinline)) unsigned crash_stack(unsigned n)
{
	volatile char pad[256];

	pad[0] = (char)n;
	if (n == 0xFFFFFFFFu)		/* never: keeps the compiler from calling this infinite */
		return pad[0];
	return crash_stack(n + 1) + pad[0];
}

/*
 * A live page run of 5 pages, never freed: the allocation the reports of
 * the provokers below name as the nearest (scripts/test-all checks it).
 */
static void keep_neighbour(void)
{
	static void *keep;

	if (!keep)
		keep = kmalloc(SLAB_MAX + PAGE_SIZE);
}

/* A page run's pages, freed, after a live neighbour: what the next provokers touch. */
static volatile uint8_t *freed_run(void)
{
	void *p;

	keep_neighbour();
	p = kmalloc(SLAB_MAX + 3 * PAGE_SIZE);
	kfree(p);
	return (volatile uint8_t *)hide_addr((uintptr_t)p);
}

/* The same overflow on a stack of kstack_alloc: the report names whose stack. */
__attribute__((noinline)) void crash_kstack(void)
{
	uintptr_t top = kstack_alloc("crash=kstack");

	if (!top)
		return;
	call_on_stack(top, crash_stack, 0);
}

static void overflow_here(void *arg)
{
	(void)arg;
	crash_stack(0);
}

/* The boot stack's overflow on CPU 1's own stack: the #DF report must name that CPU. */
__attribute__((noinline)) void crash_apstack(void)
{
	if (!smp_call(1, overflow_here, NULL)) {
		klog(LOG_WARN, "crash: apstack needs a second CPU online (smp=2 or more); "
		     "nothing provoked");
		return;
	}
	smp_wait(1);		/* it powers the machine off */
}

/* Write to heap memory after freeing it: the fault path refuses it. */
__attribute__((noinline)) void crash_uaf(void)
{
	freed_run()[PAGE_SIZE + 1] = 1;
}

/*
 * Call into a large block after freeing it: its pages are KEPT (not
 * present), so the fetch faults on either width, NX or not.
 */
__attribute__((noinline)) void crash_uafexec(void)
{
	volatile uint8_t *p;

	keep_neighbour();
	p = kmalloc(SLAB_MAX + 3 * PAGE_SIZE);
	memset((void *)p, 0xC3, SLAB_MAX + 3 * PAGE_SIZE);	/* ret, on every page */
	kfree((void *)p);
	((void (*)(void))hide_addr((uintptr_t)p + PAGE_SIZE))();
	__asm__ volatile("");	/* not a tail call: the backtrace names crash_uafexec */
}

/* Write a large block's page after freeing it while it was backed: KEPT, not writable. */
__attribute__((noinline)) void crash_uafkept(void)
{
	volatile uint8_t *p;

	keep_neighbour();
	p = kmalloc(SLAB_MAX + 3 * PAGE_SIZE);
	memset((void *)p, 0xA5, SLAB_MAX + 3 * PAGE_SIZE);	/* every page backed */
	kfree((void *)p);
	p = (volatile uint8_t *)hide_addr((uintptr_t)p);
	p[PAGE_SIZE + 1] = 1;
}

/* Read a large block after freeing it: a use after free read, not the zero frame. */
__attribute__((noinline)) void crash_uafread(void)
{
	(void)freed_run()[2 * PAGE_SIZE + 8];
}

/* Read the heap's last page, which nothing has been handed yet: a wild access. */
__attribute__((noinline)) void crash_wild(void)
{
	static struct kheap_stats st;

	keep_neighbour();
	kheap_stats(&st);
	(void)*(volatile uint32_t *)hide_addr(st.base + st.pages * PAGE_SIZE - 64);
}

/*
 * Free a block twice: a misuse found at a call, so reported and the kernel
 * carries on (boot goes on to the demonstration), unless heap_errors=panic.
 */
__attribute__((noinline)) void crash_dfree(void)
{
	void *p = kmalloc(SLAB_MAX + PAGE_SIZE);

	kfree(p);
	kfree((void *)hide_addr((uintptr_t)p));	/* hidden from the analysers: on purpose */
	klog(LOG_WARN, "crash: dfree: the kernel carried on after the report");
}

/*
 * A guarded block of n bytes placed where asked (heapcheck=1 or 2 with
 * heapsample=1, or heapcheck=3): at the start of its data pages, right
 * above the GUARD page below it, or at their end, right below the one
 * after it.  Samples in a row alternate, so one of two such kmallocs is
 * placed as asked; the other is freed.  Inline: the allocation site is
 * the provoker.
 */
static inline __attribute__((always_inline)) volatile uint8_t *guarded_block(size_t n, bool at_start)
{
	uint8_t *p = kmalloc(n), *q = kmalloc(n);

	if ((((uintptr_t)p & (PAGE_SIZE - 1)) == 0) != at_start) {
		uint8_t *t = p;

		p = q;
		q = t;
	}
	kfree(q);
	return (volatile uint8_t *)hide_addr((uintptr_t)p);
}

static bool guarding_all(const char *kind)
{
	if (kheap_sample() == 1 ? kheap_check_level() >= 1 : kheap_check_level() == 3 && kheap_sample())
		return true;
	klog(LOG_WARN, "crash: %s needs heapcheck=1 or 2 with heapsample=1, or heapcheck=3", kind);
	return false;
}

/*
 * Write past the end of a guarded block at the end of its pages: the
 * first byte of its GUARD page, 13 past the end of the 100 bytes
 * (rounded up to 112).  Below that, nothing is guarded: said.
 */
__attribute__((noinline)) void crash_guardover(void)
{
	volatile uint8_t *p;

	if (!guarding_all("guardover"))
		return;
	p = guarded_block(100, false);
	p[ksize((const void *)p) + 12] = 1;
}

/* Write 16 bytes before a guarded block at the start of its pages: into the GUARD page below. */
__attribute__((noinline)) void crash_guardunder(void)
{
	volatile uint8_t *p;

	if (!guarding_all("guardunder"))
		return;
	p = guarded_block(100, true);
	p[-16] = 1;
}

/* Write into a guarded block after freeing it (heapcheck=3): its pages are GUARD. */
__attribute__((noinline)) void crash_guarduaf(void)
{
	volatile uint8_t *p;

	if (!guarding_all("guarduaf"))
		return;
	p = kmalloc(5000);
	memset((void *)p, 0xA5, 5000);
	kfree((void *)p);
	p = (volatile uint8_t *)hide_addr((uintptr_t)p);
	p[4000] = 1;
}

/*
 * Run code from a written heap page: x86_64 maps heap pages NX, so the
 * fetch faults; i386 has no NX (no PAE), so the one ret runs and returns,
 * and that is said.
 */
__attribute__((noinline)) void crash_heapexec(void)
{
	volatile uint8_t *p = kmalloc(SLAB_MAX + 3 * PAGE_SIZE);

	p[0] = 0xC3;			/* ret */
	((void (*)(void))hide_addr((uintptr_t)p))();
	klog(LOG_WARN, "crash: heapexec: a heap page ran: this width has no NX");
	kfree((void *)p);
}

/* Write 16 bytes past the end of a page run, into the free page after it. */
__attribute__((noinline)) void crash_overrun(void)
{
	volatile uint8_t *p = kmalloc(SLAB_MAX + 1);

	p = (volatile uint8_t *)hide_addr((uintptr_t)p);
	p[ksize((const void *)p) + 16] = 1;
}

/* Write 8 bytes past a 3-page vmalloc area (its pages faulted in first): its guard. */
__attribute__((noinline)) void crash_vmalloc(void)
{
	volatile uint8_t *v = vmalloc(3 * PAGE_SIZE);

	if (!v)
		return;
	for (size_t i = 0; i < 3 * PAGE_SIZE; i += PAGE_SIZE)
		v[i] = 1;
	v = (volatile uint8_t *)hide_addr((uintptr_t)v);
	v[3 * PAGE_SIZE + 8] = 1;
}

/* Read the guard page below the boot stack (a plain #PF: esp is fine). */
__attribute__((noinline)) void crash_guard(void)
{
	extern char boot_stack_guard[];

	(void)*(volatile uint32_t *)hide_addr((uintptr_t)boot_stack_guard + 16);
}

/* Run code at offset 0x100 of the framebuffer: ud2 there, so an #UD in MMIO. */
__attribute__((noinline)) void crash_mmio(void)
{
	const struct mb2_framebuffer *fb;
	volatile uint8_t *p = framebuffer(&fb);

	if (!p || fb->size < 0x102) {
		klog(LOG_WARN, "crash: mmio needs a framebuffer");
		return;
	}
	p[0x100] = 0x0F;	/* ud2 */
	p[0x101] = 0x0B;
	((void (*)(void))hide_addr((uintptr_t)p + 0x100))();
}

/*
 * Under overcommit, take every free frame (as other memory users would),
 * then write a fresh heap page: the OOM report.
 */
__attribute__((noinline)) void crash_oom(void)
{
	volatile uint8_t *p;

	if (!kopts.overcommit) {
		klog(LOG_WARN, "crash: oom needs overcommit=1 (strict commit never faults without a frame)");
		return;
	}
	p = kmalloc(4 * PAGE_SIZE);
	kheap_scavenge(SIZE_MAX);
	while (frame_alloc() != PFN_NONE)
		;
	p[0] = 1;
}

/*
 * A fault inside the fault path's fast path: the debug hook the fast
 * path calls before its install (kheap_fault_race) reads a second fresh
 * heap page, so kheap_fault_fast, entered by the #PF stub, faults.  The
 * stub finds its CPU's depth set and takes the general way, page_fault,
 * which reports a fault inside the fault path and never resolves it
 * (docs/faults.md, "Nested faults").  Without the stub's depth test the
 * nested fault would re-enter the fast path and be resolved: the warning
 * after the write says so.  Debug builds only (the hook's).
 */
static volatile uint8_t *nest_page;

static __attribute__((noinline)) void crash_nest_read(void)
{
	(void)*nest_page;
}

/* Not a leaf, so the backtrace shows who called the hook: kheap_fault_fast, from isr14. */
static __attribute__((noinline)) void crash_nest_touch(uintptr_t va)
{
	(void)va;
	crash_nest_read();
	__asm__ volatile("");	/* no tail call */
}

__attribute__((noinline)) void crash_faultnest(void)
{
	volatile uint8_t *p;

	if (!MM_DEBUG) {
		klog(LOG_WARN, "crash: faultnest needs a debug build (the fast path's hook)");
		return;
	}
	kheap_scavenge(SIZE_MAX);
	p = kmalloc(2 * PAGE_SIZE);
	nest_page = p + PAGE_SIZE;
	kprintf("crash: faultnest: writes %#lx (%s), the fast path's hook reads %#lx (%s)",
		(unsigned long)(uintptr_t)p, pagestate_name(mmu_state((uintptr_t)p)),
		(unsigned long)(uintptr_t)nest_page, pagestate_name(mmu_state((uintptr_t)nest_page)));
	kheap_fault_race = crash_nest_touch;
	__asm__ volatile("" ::: "memory");	/* the hook is set before the write, cleared after */
	p[0] = 1;
	__asm__ volatile("" ::: "memory");
	kheap_fault_race = NULL;
	klog(LOG_WARN, "crash: faultnest: the nested fault was resolved inside the fault path");
}

static void crash_stack_top(void) { crash_stack(0); }

/* The kinds, in the order the unknown-kind warning lists them. */
static const struct { const char *name; void (*fn)(void); } kinds[] = {
	{ "write", crash_write }, { "read", crash_read }, { "null", crash_null },
	{ "exec", crash_exec }, { "stack", crash_stack_top }, { "ud", crash_ud },
	{ "div", crash_div }, { "uaf", crash_uaf }, { "uafread", crash_uafread },
	{ "uafkept", crash_uafkept }, { "uafexec", crash_uafexec }, { "wild", crash_wild },
	{ "dfree", crash_dfree }, { "oom", crash_oom }, { "heapexec", crash_heapexec },
	{ "overrun", crash_overrun }, { "guard", crash_guard }, { "mmio", crash_mmio },
	{ "vmalloc", crash_vmalloc }, { "kstack", crash_kstack }, { "apstack", crash_apstack },
	{ "guardover", crash_guardover }, { "guarduaf", crash_guarduaf },
	{ "guardunder", crash_guardunder }, { "faultnest", crash_faultnest },
};

/* An unknown kind: said, with every known one, and boot goes on. */
static void warn_unknown(const char *kind)
{
	char list[256];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kinds) && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s", i ? " " : "", kinds[i].name);
	KASSERT(n < sizeof(list));	/* the list fits: grow list[] with the table */
	klog(LOG_WARN, "crash: unknown kind '%s' (%s)", kind, list);
}

void crash_provoke(const char *kind)
{
	size_t i;

	kprintf("crash: provoking '%s'", kind);
	for (i = 0; i < ARRAY_SIZE(kinds) && strcmp(kind, kinds[i].name); i++)
		;
	if (i == ARRAY_SIZE(kinds)) {
		warn_unknown(kind);
		return;
	}
	kinds[i].fn();		/* oom without overcommit, dfree, mmio: boot goes on */
	__asm__ volatile("");	/* not a tail call: the backtraces name crash_provoke */
}
