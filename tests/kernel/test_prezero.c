/*
 * In-kernel checks of pre-zeroed frames (mm/frame.h), where frames have
 * contents of their own: frame_audit refuses a "zeroed" frame that is not
 * zero, and a write fault that takes a pre-zeroed frame leaves the rest
 * of its page zero.  The frames are made dirty first (a pattern written
 * through the heap, freed, released), so skipping a zeroing shows.
 */
#include "tests/ktest.h"
#include "mm/frame.h"
#include "mm/frame_int.h"
#include "mm/kheap.h"
#include "mm/scavenge.h"

#define NPAGES 16
#define HELD 64

/* Free frames that hold a pattern: heap pages written, freed and released. */
static void dirty_free_frames(void)
{
	uint32_t *p = kmalloc(NPAGES * PAGE_SIZE);

	for (size_t i = 0; p && i < NPAGES * PAGE_SIZE / 4; i++)
		p[i] = 0xA5A5A5A5u;
	kfree(p);
	kheap_scavenge(SIZE_MAX);
}

/* mmu_frame_is_zero with interrupts off: the tick's zeroing shares the window. */
static bool frame_reads_zero(pfn_t f)
{
	unsigned long fl = irq_save();
	bool z = mmu_frame_is_zero(f);

	irq_restore(fl);
	return z;
}

/* A handed-out frame that does not read as zero, or PFN_NONE. */
static pfn_t take_dirty_frame(void)
{
	pfn_t held[HELD], dirty = PFN_NONE;
	unsigned n = 0;

	while (n < HELD && dirty == PFN_NONE) {
		pfn_t f = frame_alloc();

		if (f == PFN_NONE)
			break;
		if (frame_reads_zero(f))
			held[n++] = f;
		else
			dirty = f;
	}
	while (n)
		frame_free(held[--n]);
	return dirty;
}

TEST(prezero_audit_refuses_a_zeroed_frame_that_is_not_zero)
{
	pfn_t f;

	frame_set_zeroed_limit(0);		/* the dirty frames stay in the buddy */
	dirty_free_frames();
	f = take_dirty_frame();
	frame_set_zeroed_limit(FRAME_ZEROED_MAX);
	CHECK(f != PFN_NONE);
	CHECK(frame_audit());
	frame_zeroed_push_broken(f);		/* "zeroed" without the zeroing */
	CHECK(!frame_audit());
	frame_set_zeroed_limit(0);		/* back to the buddy, dirty as free frames may be */
	frame_set_zeroed_limit(FRAME_ZEROED_MAX);
	CHECK(frame_audit());
}

TEST(prezero_a_fault_on_a_prezeroed_frame_leaves_its_page_zero)
{
	struct kheap_stats a, b;
	uint8_t *p;

	frame_set_zeroed_limit(0);
	dirty_free_frames();
	frame_set_zeroed_limit(FRAME_ZEROED_MAX);
	frame_zero_ahead(FRAME_ZEROED_MAX);	/* the dirty ones among them */
	CHECK(frame_zeroed() >= NPAGES && frame_audit());
	kheap_stats(&a);
	p = kmalloc(NPAGES * PAGE_SIZE);
	CHECK(p);
	for (size_t i = 0; i < NPAGES; i++)
		p[i * PAGE_SIZE + 1] = 1;
	kheap_stats(&b);
	CHECKF(b.faults_prezeroed > a.faults_prezeroed, "no fault found a pre-zeroed frame");
	for (size_t i = 0; i < NPAGES * PAGE_SIZE; i++)
		CHECKF(p[i] == (i % PAGE_SIZE == 1), "byte %zu of a fresh page: %#x", i, p[i]);
	kfree(p);
	CHECK(frame_audit());
}
