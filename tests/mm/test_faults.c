/*
 * The demand-fault path (mm/heapfault.c), called directly as the fault
 * entry calls it: the common write and the read resolve with the counts,
 * counters and reservations the general path keeps; every bad case is
 * refused with its reason and changes nothing but the refusal counter.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/heapfault.h"
#include "mm/frame.h"
#include "mm/pagestate.h"
#include "mm/heapreport.h"
#include "mm/heap_int.h"		/* white box: which pages were ever handed out */
#include "src/lib.h"

/* What a fault may change: states, counters, reservations, free frames. */
struct seen {
	struct kheap_stats st;
	size_t avail;
	struct frame_stats frames;
};

static void look(struct seen *s)
{
	kheap_stats(&s->st);
	s->avail = frames_available();
	frame_stats(&s->frames);
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

/*
 * Two CPUs faulting one page, made to happen on one: the other CPU's fault
 * (a write, or a read) runs between this write's take of a frame and its
 * install (kheap_fault_race, debug builds).  The other's entry stays; this
 * fault gives its frame back with its reservation and says resolved, so
 * its access retries.
 */
static bool race_write;
static enum kheap_fault_result race_result;

static void other_cpu_first(uintptr_t va)
{
	const char *why = NULL;

	kheap_fault_race = NULL;		/* once */
	race_result = kheap_fault(va, race_write, &why);
}

/* A fresh AOW page whose write lost to the other CPU's access (NULL: no page, or no loss). */
static uint8_t *lost_race(bool other_writes, struct seen *a, struct seen *b)
{
	const char *why = NULL;
	enum kheap_fault_result r;
	uint8_t *p;

	ktest_heap_setup();
	p = aow_pages(1);
	if (!p)
		return NULL;
	race_write = other_writes;
	race_result = KF_BAD_ACCESS;
	look(a);
	kheap_fault_race = other_cpu_first;
	r = kheap_fault((uintptr_t)p + 5, true, &why);
	kheap_fault_race = NULL;
	look(b);
	return r == KF_RESOLVED && race_result == KF_RESOLVED ? p : NULL;
}

TEST(fault_two_cpus_on_one_page_map_one_frame)
{
	struct seen a, b;
	uint8_t *p;

	p = lost_race(true, &a, &b);
	CHECK(p);
	CHECK(mmu_state((uintptr_t)p) == PS_PRESENT);
	CHECK(b.st.by_state[PS_PRESENT] == a.st.by_state[PS_PRESENT] + 1);
	CHECK(b.st.faults_write_aow == a.st.faults_write_aow + 1);	/* the winner's alone */
	CHECKF(b.st.reserved_frames == a.st.reserved_frames - 1, "reservations %zu before, %zu after",
	       a.st.reserved_frames, b.st.reserved_frames);
	CHECKF(b.frames.free == a.frames.free - 1,
	       "free frames %u before, %u after: %d frames for one page", (unsigned)a.frames.free,
	       (unsigned)b.frames.free, (int)(a.frames.free - b.frames.free));
	CHECK(b.avail == a.avail);		/* the loser's frame promised again */
	for (size_t i = 0; i < PAGE_SIZE; i++)
		CHECK(p[i] == 0);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}

TEST(fault_write_that_loses_to_a_read_gives_its_frame_back)
{
	const char *why = NULL;
	struct seen a, b;
	uint8_t *p;

	p = lost_race(false, &a, &b);
	CHECK(p);
	CHECK(mmu_state((uintptr_t)p) == PS_ZERO);	/* the read's entry */
	CHECK(b.st.faults_read_aow == a.st.faults_read_aow + 1);
	CHECK(b.st.faults_write_aow == a.st.faults_write_aow);
	CHECK(b.st.reserved_frames == a.st.reserved_frames && b.frames.free == a.frames.free &&
	      b.avail == a.avail);
	CHECK(kheap_fault((uintptr_t)p + 5, true, &why) == KF_RESOLVED);	/* the retry */
	CHECK(mmu_state((uintptr_t)p) == PS_PRESENT);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}

/* The fault at va is refused as `want` for `reason`, and nothing but faults_bad moved. */
static bool refused_as(uintptr_t va, bool write, bool locked, enum kheap_fault_result want,
		       const char *reason)
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
	if (r != want || !why || strcmp(why, reason)) {
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

static bool refused(uintptr_t va, bool write, bool locked, const char *reason)
{
	return refused_as(va, write, locked, KF_BAD_ACCESS, reason);
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
	CHECK(refused_as((uintptr_t)q + PAGE_SIZE + 9, true, false, KF_MISUSE,
			 "write to free heap memory (use after free, or a stray pointer)"));
	CHECK(refused_as((uintptr_t)q + PAGE_SIZE + 9, false, false, KF_MISUSE,
			 "read of free heap memory (use after free, or a stray pointer)"));
	CHECK(mmu_state((uintptr_t)p + 2 * PAGE_SIZE) == PS_AOW);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}

/*
 * Three page runs side by side, a b c, each of n pages (the heap gives no
 * promise of where a run goes: a few tries, the misses kept until the end).
 */
static bool three_in_a_row(size_t n, uint8_t *r[3])
{
	uint8_t *miss[24];
	size_t nmiss = 0;
	bool found = false;

	while (!found && nmiss + 3 <= ARRAY_SIZE(miss)) {
		for (int k = 0; k < 3; k++)
			r[k] = kmalloc(n * PAGE_SIZE);
		found = r[0] && r[1] == r[0] + n * PAGE_SIZE && r[2] == r[1] + n * PAGE_SIZE;
		for (int k = 0; !found && k < 3; k++)
			miss[nmiss++] = r[k];
	}
	while (nmiss)
		kfree(miss[--nmiss]);
	return found;
}

/* The last report is exactly these two lines. */
static bool last_report_is(const char *one, const char *two)
{
	char want[2 * HEAP_REPORT_LINE + 2];

	snprintf(want, sizeof(want), "%s\n%s", one, two);
	if (!strcmp(heap_report_last(), want))
		return true;
	ktest_fail(__FILE__, __LINE__, "report '%s', not '%s'", heap_report_last(), want);
	return false;
}

TEST(fault_read_after_free_of_a_large_block_is_reported_against_its_neighbour)
{
	size_t n = SLAB_MAX / PAGE_SIZE + 2;
	uint64_t before = heap_report_count(HR_UAF_READ);
	uintptr_t va;
	uint8_t *r[3];
	char one[HEAP_REPORT_LINE];

	ktest_heap_setup();
	CHECK(three_in_a_row(n, r));
	kfree(r[1]);				/* its run: r[1]'s pages, between two live blocks */
	va = (uintptr_t)r[1] + PAGE_SIZE + 9;	/* nearer r[0]'s end than r[2]'s start */
	CHECK(refused_as(va, false, false, KF_MISUSE,
			 "read of free heap memory (use after free, or a stray pointer)"));
	CHECK(mmu_state(va) != PS_ZERO);	/* no zero frame for free space */
	CHECK(kheap_fault_report(va, false, 0));
	snprintf(one, sizeof(one),
		 "kheap: use after free read ptr=%#lx %zu bytes past the end of %#lx (%zu bytes) "
		 "in read; caller=-", (unsigned long)va, (size_t)(va - (uintptr_t)r[1]) + 1,
		 (unsigned long)(uintptr_t)r[0], n * PAGE_SIZE);
	CHECK(last_report_is(one, "kheap:   free heap space, handed out before; alloc@- free@-"));
	CHECK(heap_report_count(HR_UAF_READ) == before + 1);
	va = (uintptr_t)r[2] - 5;		/* nearer r[2]: before its start */
	CHECK(kheap_fault_report(va, true, 0));
	snprintf(one, sizeof(one), "kheap: use after free write ptr=%#lx 5 bytes before %#lx (%zu bytes) "
		 "in write; caller=-", (unsigned long)va, (unsigned long)(uintptr_t)r[2], n * PAGE_SIZE);
	CHECK(last_report_is(one, "kheap:   free heap space, handed out before; alloc@- free@-"));
	CHECK(!kheap_fault_report((uintptr_t)r[0], true, 0));	/* live: not free space */
	kfree(r[0]);
	kfree(r[2]);
	CHECK(kheap_check() && frame_audit());
}

/* A free page never handed out, from the top of the region down; 0 when every page was. */
static uintptr_t never_used_page(void)
{
	for (uint32_t i = heap.npg; i-- > 0;)
		if (heap.pd[i].kind == PK_FREE && !pagerun_once_used(i))
			return pagerun_va(i);
	return 0;
}

/* The number at *s in base 10 or 16, moving *s past it. */
static unsigned long read_number(const char **s, unsigned base)
{
	unsigned long v = 0;

	for (;; (*s)++) {
		unsigned d = **s >= '0' && **s <= '9' ? (unsigned)(**s - '0')
			     : **s >= 'a' && **s <= 'f' ? (unsigned)(**s - 'a' + 10) : 99;

		if (d >= base)
			return v;
		v = v * base + d;
	}
}

/* From "... N bytes past the end of 0xOBJ (SIZE bytes) ...": N, OBJ, SIZE. */
static bool read_past_end(const char *s, size_t *past, unsigned long *obj, size_t *size)
{
	const char *p = strchr(s, ' ');			/* after "kheap:" */

	for (; p; p = strchr(p + 1, ' '))
		if (!strncmp(p, " bytes past the end of 0x", 25))
			break;
	if (!p)
		return false;
	while (p[-1] >= '0' && p[-1] <= '9')
		p--;
	*past = read_number(&p, 10);
	p += 25;
	*obj = read_number(&p, 16);
	if (strncmp(p, " (", 2))
		return false;
	p += 2;
	*size = read_number(&p, 10);
	return !strncmp(p, " bytes)", 7);
}

TEST(fault_read_of_never_allocated_heap_is_a_wild_access)
{
	uint64_t before = heap_report_count(HR_WILD_ACCESS);
	char one[HEAP_REPORT_LINE];
	unsigned long obj;
	size_t past, size;
	uintptr_t va;
	void *keep;

	ktest_heap_setup();
	keep = kmalloc(2 * PAGE_SIZE);		/* some allocation to be the nearest */
	va = never_used_page();
	if (!va) {				/* the kernel's heap after a case used it all */
		klog(LOG_INFO, "fault test: every heap page was handed out; no wild page to read");
		kfree(keep);
		return;
	}
	va += 24;
	CHECK(refused_as(va, false, false, KF_MISUSE,
			 "read of free heap memory (use after free, or a stray pointer)"));
	CHECK(kheap_fault_report(va, false, 0));
	CHECK(heap_report_count(HR_WILD_ACCESS) == before + 1);
	/* Nothing above the top page's run but the region's end: the nearest is below. */
	CHECKF(read_past_end(heap_report_last(), &past, &obj, &size), "%s", heap_report_last());
	CHECK(obj + size <= va && past == va - (obj + size) + 1 && ksize((void *)obj) >= size);
	snprintf(one, sizeof(one), "kheap: wild access ptr=%#lx %zu bytes past the end of %#lx (%zu bytes) "
		 "in read; caller=-", (unsigned long)va, past, obj, size);
	CHECK(last_report_is(one, "kheap:   free heap space, never handed out; alloc@- free@-"));
	kfree(keep);
	CHECK(kheap_check() && frame_audit());
}

TEST(fault_write_after_free_of_a_backed_page_is_caught_and_the_frame_kept)
{
	size_t n = SLAB_MAX / PAGE_SIZE + 2;
	uint64_t before = heap_report_count(HR_UAF_WRITE);
	pfn_t frame[SLAB_MAX / PAGE_SIZE + 2];
	uintptr_t va;
	uint8_t *r[3], *p;
	char one[HEAP_REPORT_LINE];

	ktest_heap_setup();
	CHECK(three_in_a_row(n, r));
	memset(r[1], 0x5A, n * PAGE_SIZE);		/* every page backed */
	for (size_t i = 0; i < n; i++)
		frame[i] = mmu_frame((uintptr_t)r[1] + i * PAGE_SIZE);
	kfree(r[1]);
	for (size_t i = 0; i < n; i++) {		/* not present at once, each frame kept */
		CHECK(mmu_state((uintptr_t)r[1] + i * PAGE_SIZE) == PS_KEPT);
		CHECK(mmu_frame((uintptr_t)r[1] + i * PAGE_SIZE) == frame[i]);
	}
	va = (uintptr_t)r[1] + (n - 2) * PAGE_SIZE + 100;	/* nearer r[2] */
	CHECK(refused_as(va, true, false, KF_MISUSE,
			 "write to free heap memory (use after free, or a stray pointer)"));
	CHECK(refused_as(va, false, false, KF_MISUSE,
			 "read of free heap memory (use after free, or a stray pointer)"));
	CHECK(kheap_fault_report(va, true, 0));
	snprintf(one, sizeof(one),
		 "kheap: use after free write ptr=%#lx %zu bytes before %#lx (%zu bytes) in write; "
		 "caller=-", (unsigned long)va, (size_t)((uintptr_t)r[2] - va),
		 (unsigned long)(uintptr_t)r[2], n * PAGE_SIZE);
	CHECK(last_report_is(one, "kheap:   free heap space, handed out before; alloc@- free@-"));
	CHECK(heap_report_count(HR_UAF_WRITE) == before + 1);
	CHECK(kheap_check() && frame_audit());
	p = kmalloc(n * PAGE_SIZE);			/* the newest warm run: r[1]'s */
	CHECK(p == r[1]);
	for (size_t i = 0; i < n; i++) {		/* mapped again, its frame, unzeroed */
		CHECK(mmu_state((uintptr_t)p + i * PAGE_SIZE) == PS_PRESENT);
		CHECK(mmu_frame((uintptr_t)p + i * PAGE_SIZE) == frame[i]);
		CHECK(p[i * PAGE_SIZE + 7] == 0x5A);
	}
	kfree(p);
	p = kcalloc(n, PAGE_SIZE);			/* the same pages, zeroed as kcalloc promises */
	CHECK(p == r[1]);
	for (size_t i = 0; i < n * PAGE_SIZE; i += 511)
		CHECK(p[i] == 0);
	kfree(p);
	kfree(r[0]);
	kfree(r[2]);
	CHECK(kheap_check() && frame_audit());
}
