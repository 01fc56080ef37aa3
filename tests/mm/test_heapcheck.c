/*
 * The debug levels (kheap_set_check, docs/debugging.md "Debug levels"):
 * each report they add, checked field by field against the object the
 * case made (overflow of small and large objects, underflow, use after
 * free write at reuse and at kheap_check), the sites at level 2 and the
 * leak counts, ksize at level 1, the lookalikes that must pass, and level
 * 0 paying nothing (the magazine fast path still serves it).
 *
 * In the kernel the heap is live and other cases run at level 0, so each
 * case raises the level itself and puts it back to 0.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/heapreport.h"
#include "mm/magazine.h"
#include "src/lib.h"

/* A byte written outside its object on purpose, hidden from the analysers. */
#define AT(p, off) (((volatile uint8_t *)hide_addr((uintptr_t)(p)))[off])

static void level(unsigned l)
{
	ktest_heap_setup();
	kheap_set_check(l);
}

/* Does the last report begin with kind, ptr, where (against obj) and op? */
static bool reported(const char *kind, uintptr_t ptr, const char *rel, uintptr_t obj,
		     size_t size, const char *op)
{
	char want[HEAP_REPORT_LINE];

	if (rel)
		snprintf(want, sizeof(want), "kheap: %s ptr=%#lx %s %#lx (%zu bytes) in %s; caller=",
			 kind, (unsigned long)ptr, rel, (unsigned long)obj, size, op);
	else
		snprintf(want, sizeof(want), "kheap: %s ptr=%#lx in %s; caller=", kind,
			 (unsigned long)ptr, op);
	return strncmp(heap_report_last(), want, strlen(want)) == 0;
}

TEST(heapcheck_small_overflow_by_one_and_eight_bytes_is_reported_at_free)
{
	uint64_t n;
	char *p;

	level(1);
	n = heap_report_count(HR_OVERFLOW);
	p = kmalloc(100);
	CHECK(p && ksize(p) == 100);
	AT(p, 100) = 0;			/* a string's zero one past the end */
	kfree(p);
	CHECKF(reported("overflow", (uintptr_t)p + 100, "1 byte past the end of", (uintptr_t)p, 100,
			"kfree"), "%s", heap_report_last());
	p = kmalloc(100);
	memset((void *)hide_addr((uintptr_t)p + 100), 'x', 8);
	kfree(p);
	CHECKF(reported("overflow", (uintptr_t)p + 100, "1 byte past the end of", (uintptr_t)p, 100,
			"kfree"), "%s", heap_report_last());
	CHECK(heap_report_count(HR_OVERFLOW) == n + 2);
	CHECK(kheap_check());
	kheap_set_check(0);
}

TEST(heapcheck_large_overflow_is_reported_at_free)
{
	uint64_t n;
	char *p;

	level(1);
	n = heap_report_count(HR_OVERFLOW);
	p = kmalloc(5000);
	CHECK(p && ksize(p) == 5000);
	AT(p, 5007) = 'x';		/* the eighth byte past the end */
	kfree(p);
	CHECKF(reported("overflow", (uintptr_t)p + 5007, "8 bytes past the end of", (uintptr_t)p,
			5000, "kfree"), "%s", heap_report_last());
	CHECK(heap_report_count(HR_OVERFLOW) == n + 1);
	kheap_set_check(0);
}

TEST(heapcheck_underflow_into_the_neighbours_slack_is_reported)
{
	static char *o[16];
	uint64_t n, over;
	int b = -1;

	level(1);
	n = heap_report_count(HR_UNDERFLOW);
	over = heap_report_count(HR_OVERFLOW);
	for (int i = 0; i < 16; i++)
		o[i] = kmalloc(100);
	for (int i = 1; i < 16; i++)
		if (o[i] == o[i - 1] + 112)	/* 101 bytes: the 112-byte class */
			b = i;
	CHECK(b > 0);
	AT(o[b], -1) = 'x';
	kfree(o[b]);
	CHECKF(reported("underflow", (uintptr_t)o[b] - 1, "1 byte before", (uintptr_t)o[b], 100,
			"kfree"), "%s", heap_report_last());
	CHECK(heap_report_count(HR_UNDERFLOW) == n + 1);
	for (int i = 0; i < 16; i++)
		if (i != b)
			kfree(o[i]);
	CHECK(heap_report_count(HR_OVERFLOW) == over);	/* not the neighbour's overflow too */
	CHECK(kheap_check());
	kheap_set_check(0);
}

/* A freed object written: found when it is handed out again. */
TEST(heapcheck_write_after_free_is_reported_at_reuse)
{
	static char *o[600];
	uint64_t n;
	char *p;
	int got = -1;

	level(1);
	n = heap_report_count(HR_UAF_WRITE);
	p = kmalloc(200);
	kfree(p);
	AT(p, 10) = 'x';
	for (int i = 0; i < 600 && got < 0; i++)
		if ((o[i] = kmalloc(200)) == p)
			got = i;
	CHECK(got >= 0);
	CHECKF(reported("use after free write", (uintptr_t)p + 10, "10 bytes into", (uintptr_t)p,
			200, "kmalloc"), "%s", heap_report_last());
	CHECK(heap_report_count(HR_UAF_WRITE) == n + 1);
	for (int i = 0; i <= got; i++)
		kfree(o[i]);
	kheap_set_check(0);
}

TEST(heapcheck_kheap_check_finds_broken_canaries_and_poison)
{
	char *p, *q;

	level(1);
	p = kmalloc(40);
	q = kmalloc(300);
	CHECK(p && q && kheap_check());
	AT(p, 41) = 1;
	CHECK(!kheap_check());
	CHECKF(reported("overflow", (uintptr_t)p + 41, "2 bytes past the end of", (uintptr_t)p, 40,
			"kheap_check"), "%s", heap_report_last());
	CHECK(kheap_check());		/* repaired once reported */
	kfree(q);
	AT(q, 299) = 0;
	CHECK(!kheap_check());
	CHECKF(reported("use after free write", (uintptr_t)q + 299, "299 bytes into", (uintptr_t)q,
			300, "kheap_check"), "%s", heap_report_last());
	CHECK(kheap_check());
	kfree(p);
	kheap_set_check(0);
}

/* The number a "0x..." at s spells. */
static uintptr_t hex_at(const char *s)
{
	uintptr_t v = 0;

	for (s += 2; (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'); s++)
		v = v * 16 + (uintptr_t)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
	return v;
}

/*
 * Is the site field ("alloc@", "free@") in the same function as caller=?
 * The same symbol before '+' where symbols are known (the kernel), else
 * an address within a page of the caller's (the host's static functions).
 */
static bool site_is_caller(const char *field)
{
	const char *last = heap_report_last(), *c = text_find(last, "caller="), *s = text_find(last, field);
	const char *plus;

	if (!c || !s)
		return false;
	c += 7;
	s += strlen(field);
	if (strncmp(c, "0x", 2) == 0) {
		if (strncmp(s, "0x", 2) != 0)
			return false;
		uintptr_t a = hex_at(c), b = hex_at(s);

		return (a > b ? a - b : b - a) < PAGE_SIZE;
	}
	plus = strchr(c, '+');
	return plus && strncmp(c, s, (size_t)(plus - c)) == 0 && s[plus - c] == '+';
}

TEST(heapcheck_level_two_names_the_sites_of_a_double_free)
{
	char *p;

	level(2);
	p = kmalloc(64);
	kfree(p);
	kfree((void *)hide_addr((uintptr_t)p));
	CHECKF(reported("double free", (uintptr_t)p, "at the start of", (uintptr_t)p, 64, "kfree"),
	       "%s", heap_report_last());
	CHECKF(site_is_caller("alloc@") && site_is_caller("free@"), "%s", heap_report_last());
	kheap_set_check(1);		/* level 1: the object, no sites */
	p = kmalloc(64);
	kfree(p);
	kfree((void *)hide_addr((uintptr_t)p));
	CHECKF(text_find(heap_report_last(), "; alloc@- free@-"), "%s", heap_report_last());
	kheap_set_check(0);
}

TEST(heapcheck_leaks_are_counted_by_allocation_site)
{
	uintptr_t site = (uintptr_t)&level + 1;		/* any code address will do */
	void *o[4];
	size_t bytes, n;

	level(2);
	for (int i = 0; i < 3; i++)
		o[i] = kheap_malloc_from(50, site);
	o[3] = kheap_malloc_from(5000, site);
	n = kheap_leaks_at(site, &bytes);
	CHECKF(n == 4 && bytes == 5150, "%zu allocations, %zu bytes", n, bytes);
	kheap_free_from(o[3], site);
	CHECK(kheap_leaks_at(site, &bytes) == 3 && bytes == 150);
	kheap_print_leaks();
	for (int i = 0; i < 3; i++)
		kfree(o[i]);
	CHECK(kheap_leaks_at(site, &bytes) == 0 && bytes == 0);
	kheap_set_check(1);		/* below 2, no site is recorded */
	o[0] = kheap_malloc_from(50, site);
	CHECK(kheap_leaks_at(site, &bytes) == 0);
	kfree(o[0]);
	kheap_set_check(0);
}

TEST(heapcheck_usable_size_is_the_size_asked_for_and_realloc_keeps_data)
{
	char *p;

	level(1);
	p = kmalloc(33);
	CHECK(p && ksize(p) == 33);
	memset(p, 'a', 32);
	p[32] = 0;			/* a string filling every usable byte */
	p = krealloc(p, 700);
	CHECK(p && ksize(p) == 700 && strlen(p) == 32);
	p = krealloc(p, 20);
	CHECK(p && ksize(p) == 20 && memcmp(p, "aaaaaaaaaaaaaaaaaaaa", 20) == 0);
	kfree(p);
	kheap_set_check(0);
}

/* Contents that look like poison, canaries or keys are not misuse. */
TEST(heapcheck_lookalike_contents_are_not_reported)
{
	uint64_t before[HR_COUNT];

	for (unsigned l = 1; l <= 2; l++) {
		level(l);
		for (unsigned k = 0; k < HR_COUNT; k++)
			before[k] = heap_report_count(k);
		for (size_t n = 1; n < 9000; n += n < 200 ? 1 : 811) {
			uint8_t *p = kmalloc(n);

			CHECK(p);
			memset(p, 0x6B, n);		/* poison */
			kfree(p);
			p = kmalloc(n);
			for (size_t i = 0; i < n; i++)	/* canaries of its own bytes */
				p[i] = (uint8_t)(0xC0 | (((uintptr_t)p + i) & 0x3F));
			if (n >= sizeof(uintptr_t))
				*(uintptr_t *)p = (uintptr_t)p;	/* its own address, as a key */
			CHECK(kheap_check());
			kfree(p);
		}
		CHECK(kheap_check());
		for (unsigned k = 0; k < HR_COUNT; k++)
			CHECKF(heap_report_count(k) == before[k], "level %u: a %s report", l,
			       heap_report_kind_name(k));
	}
	kheap_set_check(0);
}

/* Level 0 keeps the magazine fast path; above it every call is checked. */
TEST(heapcheck_level_zero_keeps_the_fast_path)
{
	struct mag_stats a, b;
	void *p;

	level(0);
	kfree(kmalloc(48));
	mag_stats(&a);
	p = kmalloc(48);
	kfree(p);
	mag_stats(&b);
	CHECK(b.alloc_hits == a.alloc_hits + 1 && b.free_hits == a.free_hits + 1);
	CHECK(ksize(p = kmalloc(48)) == 48 && kheap_check());
	kfree(p);
	kheap_set_check(1);
	mag_stats(&a);
	kfree(kmalloc(48));
	mag_stats(&b);
	CHECK(b.alloc_hits == a.alloc_hits && b.free_hits == a.free_hits);
	CHECK(!mag_enabled());
	kheap_set_check(0);
	CHECK(mag_enabled());
	CHECK(!kheap_set_check(4) && kheap_check_level() == 0);
}
