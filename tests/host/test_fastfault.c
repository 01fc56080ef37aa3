/*
 * What keeps a write fault off the fast path (mm/heapfault.c,
 * common_write, heap.fast_write_kinds): under overcommit a data page
 * holds no reservation, so its fault must take a free frame through the
 * general path and leave the reservations alone; under strict commit the
 * fast path takes it, from any address in the page.  (A traced write
 * goes the general way too: the traced boots' trace-check replay would
 * miss its page line otherwise.)  Host only: the heap is set up again
 * with overcommit, which the kernel runner cannot do.
 */
#include "tests/ktest.h"
#include "arch/host/heap.h"
#include "mm/kheap.h"
#include "mm/heapfault.h"
#include "mm/frame.h"
#include "mm/pagestate.h"

TEST(fastfault_declines_an_overcommitted_data_page)
{
	struct kheap_stats a, b;
	const char *why = NULL;
	uint8_t *p;

	host_heap_init(256, 512, true);
	p = kmalloc(4 * PAGE_SIZE);
	CHECK(p && mmu_state((uintptr_t)p) == PS_AOW);
	kheap_stats(&a);
	CHECK(!kheap_fault_fast((uintptr_t)p, true));	/* no reservation: not the common write */
	CHECK(mmu_state((uintptr_t)p) == PS_AOW);
	CHECK(kheap_fault((uintptr_t)p, true, &why) == KF_RESOLVED);
	kheap_stats(&b);
	CHECK(mmu_state((uintptr_t)p) == PS_PRESENT);
	CHECK(b.reserved_frames == a.reserved_frames);	/* a free frame, not a promise */
	CHECK(b.faults_write_aow == a.faults_write_aow + 1);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
	ktest_heap_setup();
}

TEST(fastfault_takes_a_strict_data_page)
{
	uint8_t *p;

	ktest_heap_setup();
	p = kmalloc(4 * PAGE_SIZE);
	CHECK(p && mmu_state((uintptr_t)p) == PS_AOW);
	CHECK(kheap_fault_fast((uintptr_t)p + 5, true));	/* any address in the page */
	CHECK(mmu_state((uintptr_t)p) == PS_PRESENT && p[5] == 0);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}
