/*
 * Guarded blocks (mm/heapguard.c, docs/debugging.md "Guarded blocks"):
 * a sampled block sits between two GUARD pages, at the end of its data
 * pages or at their start; a fault on the one after it is its overflow,
 * on the one before it its underflow, and one on its freed pages its use
 * after free, each report and the fault's what: phrase checked field by
 * field; the bytes between the block and its guard pages, a second free,
 * the quarantine's order and its return at rate 0, the sampling rate at
 * levels 2 and 0 (where the countdown arms the next allocation, magazine
 * hit or not), a block outliving a lowered level, and heap_check
 * refusing a GUARD page where no guarded block has one.
 *
 * The faults are taken by calling the fault entry as the page-fault path
 * does (kheap_fault, then kheap_fault_report): the simulator's pages and
 * the kernel's would stop the run.  In the kernel the heap is live, so
 * each case puts the level and the rate back.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/heapfault.h"
#include "mm/heapreport.h"
#include "mm/heapdebug.h"	/* white box: the countdown and the arming */
#include "mm/kheap_int.h"	/* white box: dbg_sample */
#include "mm/pagestate.h"
#include "mm/owner.h"
#include "src/lib.h"

#define AT(p, off) (((volatile uint8_t *)hide_addr((uintptr_t)(p)))[off])
#define QUARANTINE 16		/* GUARD_QUARANTINE (mm/heapdebug.h) */

static unsigned rate_before;

static void guarded(unsigned level, unsigned every)
{
	ktest_heap_setup();
	rate_before = kheap_sample();
	kheap_set_sample(every);
	kheap_set_check(level);
}

/* The level and the rate as they were, the quarantine given back (the kernel's heap is live). */
static void done(void)
{
	kheap_set_check(0);
	kheap_set_sample(0);
	kheap_set_sample(rate_before);
}

static uintptr_t page_of(uintptr_t a) { return a & ~(uintptr_t)(PAGE_SIZE - 1); }

/* Is p a live guarded block of n bytes (n below a page): a GUARD page on each side of its page? */
static bool is_guarded(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, pg = page_of(a);

	return (a == pg || a == pg + PAGE_SIZE - ((n + 15) & ~(size_t)15)) &&
	       mmu_state(pg - PAGE_SIZE) == PS_GUARD && mmu_state(pg + PAGE_SIZE) == PS_GUARD;
}

/*
 * A guarded block of n bytes at the start of its data pages (at_start)
 * or at their end, with every allocation guarded: samples in a row
 * alternate, so one of two kmallocs is; the other is freed.
 */
static uint8_t *placed(size_t n, bool at_start)
{
	uint8_t *p = kmalloc(n), *q = kmalloc(n), *t;

	if ((page_of((uintptr_t)p) == (uintptr_t)p) != at_start) {
		t = p;
		p = q;
		q = t;
	}
	kfree(q);
	return p;
}

/* Does the fault's what: phrase for access a at va say what fmt says? */
static __attribute__((format(printf, 3, 4))) bool what_says(uintptr_t va, enum owner_access a,
							     const char *fmt, ...)
{
	char buf[160], want[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return owner_describe(va, a, buf, sizeof(buf)) && strcmp(buf, want) == 0;
}

/* Does the last report begin with kind, ptr, where (against obj) and op? */
static bool reported(const char *kind, uintptr_t ptr, const char *rel, uintptr_t obj,
		     size_t size, const char *op)
{
	char want[HEAP_REPORT_LINE];

	snprintf(want, sizeof(want), "kheap: %s ptr=%#lx %s %#lx (%zu bytes) in %s; caller=",
		 kind, (unsigned long)ptr, rel, (unsigned long)obj, size, op);
	return strncmp(heap_report_last(), want, strlen(want)) == 0;
}

static bool second_line_has(const char *s)
{
	const char *two = strchr(heap_report_last(), '\n');

	return two && text_find(two, s);
}

/* A fault at va as the fault path takes it: refused as a misuse, then reported. */
static bool faults_as_misuse(uintptr_t va, bool write)
{
	const char *why = NULL;

	return kheap_fault(va, write, &why) == KF_MISUSE && kheap_fault_report(va, write, 0);
}

TEST(guard_block_ends_at_a_guard_page_and_an_overflow_faults_there)
{
	uint8_t *p;
	uintptr_t guard;

	guarded(3, 1);
	p = placed(100, false);
	CHECK(p && (uintptr_t)p % 16 == 0 && ksize(p) == 100);
	guard = (uintptr_t)p + 112;		/* 100 rounded up to 16 */
	CHECK(guard % PAGE_SIZE == 0 && mmu_state(guard) == PS_GUARD);
	CHECK(mmu_state(page_of((uintptr_t)p) - PAGE_SIZE) == PS_GUARD);	/* and one below */
	memset(p, 'x', 100);			/* every usable byte: no report */
	CHECK(kheap_check());
	CHECK(faults_as_misuse(guard + 4, true));
	CHECKF(reported("overflow", guard + 4, "17 bytes past the end of", (uintptr_t)p, 100,
			"write"), "%s", heap_report_last());
	CHECK(second_line_has("guard page was touched") && !second_line_has("alloc@-") &&
	      second_line_has("free@-"));
	CHECK(faults_as_misuse(guard, false));	/* a read past the end too */
	CHECK(reported("overflow", guard, "13 bytes past the end of", (uintptr_t)p, 100, "read"));
	CHECKF(what_says(guard, OA_WRITE, "write 13 bytes past the end of heap allocation %#lx "
			 "(100 bytes), in its guard page", (unsigned long)p), "guard page not named");
	CHECK(what_says(guard + 1, OA_READ, "read 14 bytes past the end of heap allocation %#lx "
			"(100 bytes), in its guard page", (unsigned long)p));
	kfree(p);
	CHECK(kheap_check());
	p = kmalloc(PAGE_SIZE);			/* fills its page: a GUARD page on each side */
	CHECK(p && (uintptr_t)p % PAGE_SIZE == 0 && ksize(p) == PAGE_SIZE);
	CHECK(mmu_state((uintptr_t)p + PAGE_SIZE) == PS_GUARD &&
	      mmu_state((uintptr_t)p - PAGE_SIZE) == PS_GUARD);
	memset(p, 'y', PAGE_SIZE);
	kfree(p);
	CHECK(mmu_state((uintptr_t)p) == PS_GUARD);	/* freed into the quarantine */
	CHECK(kheap_check());
	done();
}

TEST(guard_block_read_and_written_after_free_faults_with_both_sites)
{
	uint8_t *p;

	guarded(3, 1);
	p = placed(5000, false);
	CHECK(p && page_of((uintptr_t)p + 5008) == (uintptr_t)p + 5008);
	memset(p, 1, 5000);
	kfree(p);
	CHECK(mmu_state(page_of((uintptr_t)p)) == PS_GUARD &&
	      mmu_state(page_of((uintptr_t)p + 4999)) == PS_GUARD);
	CHECK(kheap_check());
	CHECK(faults_as_misuse((uintptr_t)p + 8, false));
	CHECKF(reported("use after free read", (uintptr_t)p + 8, "8 bytes into", (uintptr_t)p, 5000,
			"read"), "%s", heap_report_last());
	CHECK(second_line_has("read after its free") && !second_line_has("alloc@-") &&
	      !second_line_has("free@-"));
	CHECK(what_says((uintptr_t)p + 8, OA_READ, "read of freed heap allocation %#lx (5000 bytes) "
			"at offset 8, in the quarantine", (unsigned long)p));
	CHECK(faults_as_misuse((uintptr_t)p + 4999, true));
	CHECK(reported("use after free write", (uintptr_t)p + 4999, "4999 bytes into", (uintptr_t)p,
		       5000, "write"));
	done();
}

TEST(guard_block_bytes_before_its_guard_and_a_second_free_are_reported_at_kfree)
{
	uint64_t over, twice;
	uint8_t *p;

	guarded(3, 1);
	over = heap_report_count(HR_OVERFLOW);
	twice = heap_report_count(HR_DOUBLE_FREE);
	for (int side = 0; side < 2; side++) {	/* 12 bytes to its guard, or the rest of its page */
		p = placed(100, side);
		CHECK(p);
		AT(p, 100) = 0;			/* a string's zero one too far */
		kfree(p);
		CHECKF(reported("overflow", (uintptr_t)p + 100, "1 byte past the end of", (uintptr_t)p,
				100, "kfree"), "%s", heap_report_last());
	}
	kfree((void *)hide_addr((uintptr_t)p));
	CHECKF(reported("double free", (uintptr_t)p, "at the start of", (uintptr_t)p, 100, "kfree"),
	       "%s", heap_report_last());
	CHECK(second_line_has("freed again") && !second_line_has("free@-"));
	CHECK(heap_report_count(HR_OVERFLOW) == over + 2);
	CHECK(heap_report_count(HR_DOUBLE_FREE) == twice + 1);
	CHECK(kheap_check());
	done();
}

TEST(guard_block_at_the_start_of_its_pages_faults_on_an_underflow)
{
	uint8_t *p;
	uintptr_t below;

	guarded(3, 1);
	p = placed(100, true);
	below = (uintptr_t)p - PAGE_SIZE;
	CHECK(p && page_of((uintptr_t)p) == (uintptr_t)p && mmu_state(below) == PS_GUARD);
	CHECK(mmu_state((uintptr_t)p + PAGE_SIZE) == PS_GUARD);	/* its own after it */
	memset(p, 'u', 100);
	CHECK(kheap_check());
	CHECK(faults_as_misuse((uintptr_t)p - 1, true));
	CHECKF(reported("underflow", (uintptr_t)p - 1, "1 byte before", (uintptr_t)p, 100, "write"),
	       "%s", heap_report_last());
	CHECK(second_line_has("the guard page before a sampled block was touched") &&
	      !second_line_has("alloc@-") && second_line_has("free@-"));
	CHECK(faults_as_misuse(below, false));
	CHECK(reported("underflow", below, "4096 bytes before", (uintptr_t)p, 100, "read"));
	CHECKF(what_says((uintptr_t)p - 16, OA_WRITE, "write 16 bytes before heap allocation %#lx "
			 "(100 bytes), in its guard page", (unsigned long)p), "guard page below not named");
	CHECK(what_says((uintptr_t)p - 1, OA_WRITE, "write 1 byte before heap allocation %#lx "
			"(100 bytes), in its guard page", (unsigned long)p));
	kfree(p);
	CHECK(kheap_check());
	done();
}

TEST(guard_block_at_the_end_of_its_pages_reports_an_underflow_at_kfree)
{
	uint64_t under;
	uint8_t *p;

	guarded(3, 1);
	under = heap_report_count(HR_UNDERFLOW);
	p = placed(100, false);
	CHECK(p && page_of((uintptr_t)p) != (uintptr_t)p);
	AT(p, -1) = 0;				/* into the bytes before it, short of the guard */
	AT(p, -64) = 0;				/* and the farthest checked */
	CHECK(!kheap_check());			/* seen there first, repaired */
	CHECKF(reported("underflow", (uintptr_t)p - 1, "1 byte before", (uintptr_t)p, 100,
			"kheap_check"), "%s", heap_report_last());
	CHECK(kheap_check());
	AT(p, -64) = 0;
	kfree(p);
	CHECKF(reported("underflow", (uintptr_t)p - 64, "64 bytes before", (uintptr_t)p, 100, "kfree"),
	       "%s", heap_report_last());
	CHECK(second_line_has("the bytes between a sampled block and the guard page before it"));
	CHECK(heap_report_count(HR_UNDERFLOW) == under + 2);
	CHECK(kheap_check());
	done();
}

TEST(guard_quarantine_gives_the_oldest_block_back_when_full)
{
	uintptr_t first;
	void *p;

	guarded(3, 1);
	for (int i = 0; i < QUARANTINE; i++)	/* whatever was quarantined before leaves */
		kfree(kmalloc(64));
	p = kmalloc(64);
	first = page_of((uintptr_t)p);
	kfree(p);
	CHECK(mmu_state(first) == PS_GUARD);
	for (int i = 0; i < QUARANTINE - 1; i++) {
		kfree(kmalloc(64));
		CHECK(mmu_state(first) == PS_GUARD);	/* still in the quarantine */
	}
	p = kmalloc(64);
	kfree(p);
	CHECK(mmu_state(first) != PS_GUARD && mmu_state(first + PAGE_SIZE) != PS_GUARD);
	CHECK(mmu_state(page_of((uintptr_t)p)) == PS_GUARD);
	CHECK(kheap_check());
	kheap_set_sample(0);			/* gives the quarantine back */
	CHECK(mmu_state(page_of((uintptr_t)p)) != PS_GUARD);
	CHECK(kheap_check());
	done();
}

TEST(guard_level_two_guards_one_allocation_in_the_rate)
{
	void *p[8];
	int n = 0;

	guarded(2, 4);
	for (int i = 0; i < 8; i++) {
		p[i] = kmalloc(64);
		CHECK(p[i]);
		n += is_guarded(p[i], 64);
	}
	CHECKF(n == 2 && is_guarded(p[3], 64) && is_guarded(p[7], 64), "%d of 8 guarded at one in 4", n);
	CHECK(kheap_check());
	for (int i = 0; i < 8; i++)
		kfree(p[i]);
	kheap_set_sample(0);
	p[0] = kmalloc(64);		/* none at rate 0, at level 3 neither */
	kheap_set_check(3);
	p[1] = kmalloc(64);
	CHECK(!is_guarded(p[0], 64) && !is_guarded(p[1], 64));
	kfree(p[0]);
	kfree(p[1]);
	done();
}

/*
 * Level 0: only allocations that take a slow path count (here every one:
 * the magazines are empty and nothing is freed), the one that spends the
 * countdown arms the sample and the next one is it.  Armed, even a
 * magazine hit takes the slow path and is guarded; the one after is a
 * hit again.
 */
TEST(guard_level_zero_arms_the_next_allocation)
{
	void *p[20], *big, *cached[4], *hit;
	int n = 0;

	guarded(0, 4);
	for (int i = 0; i < 20; i++) {
		p[i] = kmalloc(48);
		CHECK(p[i]);
		n += is_guarded(p[i], 48);
	}
	CHECKF(n == 4 && is_guarded(p[4], 48) && is_guarded(p[9], 48) && !is_guarded(p[3], 48),
	       "%d of 20 guarded at one in 4, the fifth %s", n, is_guarded(p[4], 48) ? "is" : "is not");
	for (int i = 0; i < 20; i++)
		kfree(p[i]);
	CHECK(kheap_check());
	for (int i = 0; i < 4; i++)
		cached[i] = kmalloc(48);
	for (int i = 0; i < 4; i++)
		kfree(cached[i]);		/* into the magazine: the next 48 bytes are a hit */
	kheap_set_sample(1);
	big = kmalloc(3 * PAGE_SIZE);		/* a slow path: arms */
	p[0] = kmalloc(48);			/* would be a hit: guarded */
	hit = kmalloc(48);			/* a hit again */
	CHECK(big && p[0] && hit && is_guarded(p[0], 48) && !is_guarded(hit, 48));
	kfree(hit);
	kfree(p[0]);
	kfree(big);
	CHECK(kheap_check());
	done();
}

/*
 * Two CPUs spend the level-0 countdown at once: the first takes the lock,
 * arms and, on its next call, takes the sample, which restarts the count;
 * the second, whose decrement came before the restart, gets the lock only
 * then.  It must not arm again: armed, every kmalloc would take the slow
 * path (no magazine hit) until the whole count ran out once more, which
 * in libkheap took two threads' allocations to the heap lock by the
 * tens of thousands.  The late caller is dbg_sample called with the count
 * restarted.
 */
TEST(guard_level_zero_a_late_second_caller_arms_nothing)
{
	void *p;

	guarded(0, 1000);
	CHECK(guard_left > 0);			/* as the first CPU's sample left it */
	p = dbg_sample(48, 0);			/* the second CPU, late */
	CHECK(p == NULL);
	CHECKF(!guarded_armed(), "armed with %d slow allocations still to count", (int)guard_left);
	done();
}

TEST(guard_block_outlives_a_lowered_level_without_a_report)
{
	uint64_t bad;
	void *p, *q;

	guarded(3, 1);
	p = kmalloc(100);
	q = kmalloc(100);
	kheap_set_check(0);
	bad = heap_report_count(HR_INTERIOR_FREE) + heap_report_count(HR_INVALID_FREE);
	CHECK(ksize(p) == 100);
	q = krealloc(q, 200);
	CHECK(q && ksize(q) >= 200);
	kfree(p);
	kfree(q);
	CHECK(heap_report_count(HR_INTERIOR_FREE) + heap_report_count(HR_INVALID_FREE) == bad);
	CHECK(mmu_state(page_of((uintptr_t)p)) == PS_GUARD);	/* quarantined all the same */
	CHECK(kheap_check());
	done();
}

TEST(guard_heap_check_refuses_a_guard_page_no_guarded_block_has)
{
	uint8_t *p, *g;
	uintptr_t extra;

	guarded(0, 0);
	p = kmalloc(3 * PAGE_SIZE);		/* a plain run; its pages AOW */
	CHECK(p && mmu_state((uintptr_t)p + PAGE_SIZE) == PS_AOW);
	page_set_state((uintptr_t)p + PAGE_SIZE, PS_GUARD, PFN_NONE, PC_EXPLICIT);
	CHECK(!kheap_check());
	page_set_state((uintptr_t)p + PAGE_SIZE, PS_AOW, PFN_NONE, PC_FREE);
	CHECK(kheap_check());
	kfree(p);
	kheap_set_sample(1);
	kheap_set_check(3);
	g = kmalloc(3 * PAGE_SIZE);		/* three data pages between its guards, no canary */
	extra = (uintptr_t)g + PAGE_SIZE;
	CHECK(g && mmu_state(extra) == PS_AOW && mmu_state((uintptr_t)g - PAGE_SIZE) == PS_GUARD);
	page_set_state(extra, PS_GUARD, PFN_NONE, PC_EXPLICIT);	/* a third GUARD page */
	CHECK(!kheap_check());
	page_set_state(extra, PS_AOW, PFN_NONE, PC_FREE);
	CHECK(kheap_check());
	page_set_state((uintptr_t)g - PAGE_SIZE, PS_AOW, PFN_NONE, PC_FREE);	/* the one below gone */
	CHECK(!kheap_check());
	page_set_state((uintptr_t)g - PAGE_SIZE, PS_GUARD, PFN_NONE, PC_EXPLICIT);
	CHECK(kheap_check());
	kfree(g);
	done();
}
