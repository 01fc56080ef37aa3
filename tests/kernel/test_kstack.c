/*
 * In-kernel checks of kernel stacks (src/kstack.h): the layout of pages
 * and frames, code running on a new stack, and the range and frames
 * given back.
 */
#include "tests/ktest.h"
#include "mm/owner.h"
#include "src/lib.h"
#include "src/kstack.h"
#include "mm/pagestate.h"
#include "mm/frame.h"
#include "arch/x86/mmu.h"
#include "arch/x86/stack.h"

static uintptr_t deepest;		/* the lowest local address on_new_stack saw */

/* Recurse n levels with 1 KiB of locals each; returns a sum the caller can check. */
static __attribute__((noinline)) uint32_t dig(uint32_t n)
{
	volatile uint8_t buf[1024];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(n + i);
	if ((uintptr_t)buf < deepest)
		deepest = (uintptr_t)buf;
	return n ? buf[n] + dig(n - 1) : buf[0];
}

/* Call dig(n) with the stack pointer at top, then come back to this stack. */
static uint32_t dig_on(uintptr_t top, uint32_t n)
{
	return call_on_stack(top, dig, n);
}

TEST(kernel_kstack_guard_below_and_frames_back)
{
	struct frame_stats a, b;
	uint32_t tables = mmu_table_count(), want;
	uintptr_t top, guard;

	frame_stats(&a);
	top = kstack_alloc("test");
	CHECK(top && (top & (PAGE_SIZE - 1)) == 0);
	guard = top - KSTACK_SPAN;
	CHECK(mmu_state(guard) == PS_GUARD && !(mmu_pte(guard) & PTE_P));
	/* right below: nothing WIRED, or another stack (the CPUs'), its own guard below it */
	CHECK(mmu_state(guard - PAGE_SIZE) != PS_WIRED || mmu_state(guard - KSTACK_SPAN) == PS_GUARD);
	for (uintptr_t p = guard + PAGE_SIZE; p < top; p += PAGE_SIZE)
		CHECK(mmu_state(p) == PS_WIRED && frame_is_used(mmu_frame(p)));
	CHECK(owner_find(guard)->kind == OW_GUARD && owner_find(guard)->start == guard);
	CHECK(!strcmp(owner_find(guard + PAGE_SIZE - 1)->name, "below the stack of test"));
	CHECK(owner_find(top - 1)->kind == OW_STACK && !strcmp(owner_find(top - 1)->name, "test"));
	CHECK(owner_find(guard + PAGE_SIZE)->start == guard + PAGE_SIZE);
	deepest = top;
	want = dig(8);
	deepest = top;
	CHECK(dig_on(top, 8) == want);			/* the same work on the new stack */
	CHECKF(deepest > guard + PAGE_SIZE && deepest < top - 8 * 1024,
	       "deepest local at %#lx, stack %#lx-%#lx", (unsigned long)deepest,
	       (unsigned long)(guard + PAGE_SIZE), (unsigned long)top);
	CHECK(kstack_free(top));
	for (uintptr_t p = guard; p < top; p += PAGE_SIZE)
		CHECK(mmu_state(p) == PS_UNUSABLE);
	CHECK(!owner_find(guard) && !owner_find(top - 1));	/* out of the index */
	frame_stats(&b);
	CHECK(a.free == b.free + (mmu_table_count() - tables));	/* page tables stay */
	CHECK(!kstack_free(top));				/* twice */
	CHECK(!kstack_free(top - PAGE_SIZE));			/* not a top */
	CHECK(vmem_audit(kstack_arena()));
}
