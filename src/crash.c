/*
 * Deliberate faults for the diagnostic tests.  Each provoker is its own
 * non-inlined function so the diagnostic's EIP symbol names it.
 */
#include "src/crash.h"
#include "src/lib.h"
#include "src/log.h"
#include "src/cmdline.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"

#define BAD_ADDR 0xE0001234u		/* kernel space nobody maps */

__attribute__((noinline)) void crash_write(void) { *(volatile uint32_t *)BAD_ADDR = 0x5A5A5A5A; }
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

/* Write to heap memory after freeing it: the fault path refuses it. */
__attribute__((noinline)) void crash_uaf(void)
{
	volatile uint8_t *p = kmalloc(SLAB_MAX + 3 * PAGE_SIZE);	/* a page run */

	kfree((void *)p);
	p = (volatile uint8_t *)hide_addr((uintptr_t)p);
	p[PAGE_SIZE + 1] = 1;
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

void crash_provoke(const char *kind)
{
	static const struct { const char *name; void (*fn)(void); } kinds[] = {
		{ "write", crash_write }, { "read", crash_read }, { "null", crash_null },
		{ "exec", crash_exec }, { "ud", crash_ud }, { "div", crash_div },
		{ "uaf", crash_uaf }, { "oom", crash_oom }, { "heapexec", crash_heapexec },
	};

	kprintf("crash: provoking '%s'", kind);
	if (!strcmp(kind, "stack"))
		crash_stack(0);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i].name))
			kinds[i].fn();
	if (strcmp(kind, "oom") && strcmp(kind, "heapexec"))
		klog(LOG_WARN, "crash: unknown kind '%s' (write read null exec stack ud div uaf oom heapexec)", kind);
}
