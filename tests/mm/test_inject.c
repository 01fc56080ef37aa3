/*
 * Fault injection: the Nth frame allocation or promise fails, for every N
 * over a sequence that grows slabs, metadata, large runs and reallocs and
 * takes faults.  Each call must fail cleanly (NULL, the old block intact),
 * the heap must stay consistent, and no frame may leak.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"

static bool sequence(void)
{
	void *p[24] = { 0 };
	uint8_t *r;
	bool ok = true;

	for (int i = 0; i < 18; i++) {		/* a slab of each class: metadata grows */
		p[i] = kmalloc(slab_class_size(i));
		if (p[i])
			memset(p[i], i, slab_class_size(i));
	}
	p[18] = kmalloc(5 * PAGE_SIZE);
	if (p[18])
		memset(p[18], 1, 5 * PAGE_SIZE);
	p[19] = kmalloc_aligned(3 * PAGE_SIZE, 4 * PAGE_SIZE);
	r = kmalloc(100);
	if (r) {
		uint8_t *q;

		pattern_fill(r, 100, 7);
		q = krealloc(r, 9 * PAGE_SIZE);	/* growth that needs new pages */
		if (q)
			r = q;
		ok = pattern_check(r, 100, 7) < 0;	/* moved or not, the bytes stay */
		kfree(r);
	}
	for (int i = 0; i < 24; i++)
		kfree(p[i]);
	return ok;
}

TEST(inject_every_frame_failure_over_a_sequence)
{
	size_t before;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	before = frames_available() + heap_present();
	for (long n = 0; n < 120; n++) {
		frame_inject_failure(n);
		CHECKF(sequence(), "data lost with failure injected after %ld takes", n);
		frame_inject_failure(-1);
		CHECKF(kheap_check(), "heap inconsistent with failure after %ld takes", n);
		kheap_scavenge(SIZE_MAX);
		CHECKF(frames_available() + heap_present() == before,
		       "frames leaked with failure after %ld takes: %zu, was %zu", n,
		       frames_available() + heap_present(), before);
	}
	CHECK(frame_audit());
}
