/*
 * Deliberate faults for the diagnostic tests.  Each provoker is its own
 * non-inlined function so the diagnostic's EIP symbol names it.
 */
#include "src/crash.h"
#include "src/lib.h"
#include "src/log.h"

#define BAD_ADDR 0xE0001234u		/* kernel space nobody maps */

__attribute__((noinline)) void crash_write(void) { *(volatile uint32_t *)BAD_ADDR = 0x5A5A5A5A; }
__attribute__((noinline)) void crash_read(void) { (void)*(volatile uint32_t *)BAD_ADDR; }
__attribute__((noinline)) void crash_null(void) { (void)*(volatile uint32_t *)0; }
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

void crash_provoke(const char *kind)
{
	static const struct { const char *name; void (*fn)(void); } kinds[] = {
		{ "write", crash_write }, { "read", crash_read }, { "null", crash_null },
		{ "exec", crash_exec }, { "ud", crash_ud }, { "div", crash_div },
	};

	kprintf("crash: provoking '%s'", kind);
	if (!strcmp(kind, "stack"))
		crash_stack(0);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i].name))
			kinds[i].fn();
	klog(LOG_WARN, "crash: unknown kind '%s' (write read null exec stack ud div)", kind);
}
