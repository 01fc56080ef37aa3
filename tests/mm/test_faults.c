/*
 * The demand-fault path (mm/heapfault.c), called directly as the fault
 * entry calls it: the common write and the read resolve with the counts,
 * counters and reservations the general path keeps; every bad case is
 * refused with its reason and changes nothing but the refusal counter.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/heapfault.h"
#include "mm/pagestate.h"
#include "src/lib.h"

/* What a fault may change: states, counters, reservations, free frames. */
struct seen {
	struct kheap_stats st;
	size_t avail;
};

static void look(struct seen *s)
{
	kheap_stats(&s->st);
	s->avail = frames_available();
}

/* n pages of a fresh allocation, every one AOW (nothing warm to reuse). */
static uint8_t *aow_pages(size_t n)
{
	uint8_t *p;

	kheap_scavenge(SIZE_MAX);
	p = kmalloc(n * PAGE_SIZE);
	for (size_t i = 0; p && i < n; i++)
		if (mmu_state((uintptr_t)p + i * PAGE_SIZE) != PS_AOW)
			return NULL;
	return p;
}

TEST(fault_write_to_aow_maps_a_zeroed_frame_from_the_reservation)
{
	struct seen a, b;
	const char *why = NULL;
	uint8_t *p;

	ktest_heap_setup();
	p = aow_pages(2);
	CHECK(p);
	look(&a);
	CHECK(kheap_fault((uintptr_t)p + 123, true, &why) == KF_RESOLVED);
	look(&b);
	CHECK(mmu_state((uintptr_t)p) == PS_PRESENT);
	CHECK(b.st.by_state[PS_PRESENT] == a.st.by_state[PS_PRESENT] + 1);
	CHECK(b.st.by_state[PS_AOW] == a.st.by_state[PS_AOW] - 1);
	CHECK(b.st.faults_write_aow == a.st.faults_write_aow + 1);
	CHECK(b.st.faults_write_zero == a.st.faults_write_zero && b.st.faults_bad == a.st.faults_bad);
	CHECK(b.st.reserved_frames == a.st.reserved_frames - 1);
	CHECK(b.avail == a.avail);		/* the promised frame, not a new one */
	for (size_t i = 0; i < PAGE_SIZE; i++)
		CHECK(p[i] == 0);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}

TEST(fault_read_maps_zero_then_a_write_replaces_it)
{
	struct seen a, b, c;
	const char *why = NULL;
	uint8_t *p;

	ktest_heap_setup();
	p = aow_pages(1);
	CHECK(p);
	look(&a);
	CHECK(kheap_fault((uintptr_t)p, false, &why) == KF_RESOLVED);
	look(&b);
	CHECK(mmu_state((uintptr_t)p) == PS_ZERO);
	CHECK(b.st.by_state[PS_ZERO] == a.st.by_state[PS_ZERO] + 1);
	CHECK(b.st.faults_read_aow == a.st.faults_read_aow + 1);
	CHECK(b.st.reserved_frames == a.st.reserved_frames && b.avail == a.avail);
	CHECK(kheap_fault((uintptr_t)p + 8, true, &why) == KF_RESOLVED);
	look(&c);
	CHECK(mmu_state((uintptr_t)p) == PS_PRESENT);
	CHECK(c.st.by_state[PS_ZERO] == b.st.by_state[PS_ZERO] - 1);
	CHECK(c.st.by_state[PS_PRESENT] == b.st.by_state[PS_PRESENT] + 1);
	CHECK(c.st.faults_write_zero == b.st.faults_write_zero + 1);
	CHECK(c.st.faults_write_aow == b.st.faults_write_aow);
	CHECK(c.st.reserved_frames == b.st.reserved_frames - 1);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}

/* The fault at va is refused for `reason`, and nothing but faults_bad moved. */
static bool refused(uintptr_t va, bool write, bool locked, const char *reason)
{
	struct seen a, b;
	const char *why = NULL;
	unsigned st = mmu_state(va);
	enum kheap_fault_result r;

	look(&a);
	if (locked)
		r = kheap_fault_locked(va, write, &why);
	else
		r = kheap_fault(va, write, &why);
	look(&b);
	if (r != KF_BAD_ACCESS || !why || strcmp(why, reason)) {
		ktest_fail(__FILE__, __LINE__, "fault at %#lx: result %d, why '%s', not '%s'",
			   (unsigned long)va, (int)r, why ? why : "(none)", reason);
		return false;
	}
	b.st.faults_bad--;
	if (mmu_state(va) != st || memcmp(&a.st, &b.st, sizeof(a.st)) || a.avail != b.avail) {
		ktest_fail(__FILE__, __LINE__, "refused fault at %#lx changed the heap", (unsigned long)va);
		return false;
	}
	return true;
}

TEST(fault_refusals_change_nothing)
{
	const char *why = NULL;
	uint8_t *p, *q;

	ktest_heap_setup();
	p = aow_pages(3);
	CHECK(p);
	CHECK(kheap_fault((uintptr_t)p, true, &why) == KF_RESOLVED);			/* PRESENT */
	CHECK(kheap_fault((uintptr_t)p + PAGE_SIZE, false, &why) == KF_RESOLVED);	/* ZERO */
	if (platform_cpus_online() > 1) {	/* another CPU's fault came first: retry */
		CHECK(kheap_fault((uintptr_t)p + 1, false, &why) == KF_RESOLVED);
		CHECK(kheap_fault((uintptr_t)p + PAGE_SIZE, false, &why) == KF_RESOLVED);
		CHECK(kheap_fault((uintptr_t)p, true, &why) == KF_RESOLVED);
		CHECK(mmu_state((uintptr_t)p) == PS_PRESENT && mmu_state((uintptr_t)p + PAGE_SIZE) == PS_ZERO);
	} else {
		CHECK(refused((uintptr_t)p + 1, false, false, "read fault on a heap page that is already mapped"));
		CHECK(refused((uintptr_t)p + PAGE_SIZE, false, false,
			      "read fault on a heap page that is already mapped"));
		CHECK(refused((uintptr_t)p, true, false, "write fault on a heap page that is already writable"));
	}
	CHECK(refused((uintptr_t)p + 2 * PAGE_SIZE, true, true,
		      "fault on a heap data page while the heap lock is held"));
	CHECK(refused((uintptr_t)p + PAGE_SIZE, true, true,
		      "fault on a heap data page while the heap lock is held"));
	q = aow_pages(SLAB_MAX / PAGE_SIZE + 1);	/* a page run: its free pages are FREE */
	CHECK(q);
	kfree(q);				/* free space, still AOW */
	CHECK(refused((uintptr_t)q + PAGE_SIZE + 9, true, false,
		      "write to free heap memory (use after free, or a stray pointer)"));
	CHECK(mmu_state((uintptr_t)p + 2 * PAGE_SIZE) == PS_AOW);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}
