/*
 * The misuse report (mm/heapreport.h): both lines, field by field, for
 * each way a pointer can sit against its object, the kinds' names, the
 * count by kind, and a line too long for its buffer marked as cut.
 * The expected text is built here from the values the case chose.
 */
#include "tests/ktest.h"
#include "mm/heapreport.h"
#include "mm/kheap.h"
#include "src/lib.h"
#include "tests/mm/heap_util.h"

static const struct heap_misuse OVER = { HR_OVERFLOW, "canary overwritten" };

static bool report_says(const char *line1, const char *line2)
{
	char want[2 * HEAP_REPORT_LINE + 2];

	snprintf(want, sizeof(want), "%s\n%s", line1, line2);
	return strcmp(heap_report_last(), want) == 0;
}

/* Report ptr against a 48-byte object at 0x10000; true when line one says where. */
static bool where_is(uintptr_t ptr, const char *where)
{
	struct heap_report r = { .what = &OVER, .op = "kfree", .ptr = ptr, .obj = 0x10000,
				 .obj_size = 48 };
	char one[HEAP_REPORT_LINE];

	heap_report_log(&r);
	snprintf(one, sizeof(one), "kheap: overflow ptr=%#lx %s in kfree; caller=-",
		 (unsigned long)ptr, where);
	return report_says(one, "kheap:   canary overwritten; alloc@- free@-");
}

TEST(report_places_the_pointer_against_its_object)
{
	CHECKF(where_is(0x10000, "at the start of 0x10000 (48 bytes)"), "%s", heap_report_last());
	CHECKF(where_is(0x10001, "1 byte into 0x10000 (48 bytes)"), "%s", heap_report_last());
	CHECKF(where_is(0x10030, "1 byte past the end of 0x10000 (48 bytes)"), "%s",
	       heap_report_last());
	CHECKF(where_is(0x1003f, "16 bytes past the end of 0x10000 (48 bytes)"), "%s",
	       heap_report_last());
	CHECKF(where_is(0xfff8, "8 bytes before 0x10000 (48 bytes)"), "%s", heap_report_last());
}

TEST(report_without_an_object_or_sites_says_so)
{
	static const struct heap_misuse wild = { HR_WILD_ACCESS, "no allocation here" };
	struct heap_report r = { .what = &wild, .op = "write", .ptr = 0x2000 };

	heap_report_log(&r);
	CHECKF(report_says("kheap: wild access ptr=0x2000 in write; caller=-",
			   "kheap:   no allocation here; alloc@- free@-"), "%s", heap_report_last());
}

TEST(report_kinds_have_the_documented_names)
{
	static const char *const names[HR_COUNT] = {
		"double free", "invalid free", "interior free", "overflow", "underflow",
		"use after free write", "use after free read", "wild access", "corrupted metadata",
	};

	for (unsigned k = 0; k < HR_COUNT; k++)
		CHECKF(strcmp(heap_report_kind_name(k), names[k]) == 0, "kind %u is '%s'", k,
		       heap_report_kind_name(k));
	CHECK(strcmp(heap_report_kind_name(HR_COUNT), "unknown misuse") == 0);
}

TEST(report_counts_by_kind)
{
	static const struct heap_misuse uaf = { HR_UAF_READ, "x" };
	struct heap_report r = { .what = &uaf, .op = "read", .ptr = 0x3000 };
	uint64_t before = heap_report_count(HR_UAF_READ), other = heap_report_count(HR_UNDERFLOW);

	heap_report_log(&r);
	heap_report_log(&r);
	CHECK(heap_report_count(HR_UAF_READ) == before + 2);
	CHECK(heap_report_count(HR_UNDERFLOW) == other);
	CHECK(heap_report_count(HR_COUNT) == 0);
}

TEST(report_line_too_long_is_marked_cut)
{
	static char detail[2 * HEAP_REPORT_LINE];
	static struct heap_misuse longer = { HR_CORRUPT_META, detail };
	struct heap_report r = { .what = &longer, .op = "kheap_check", .ptr = 0x4000 };
	const char *two;

	memset(detail, 'x', sizeof(detail) - 1);
	heap_report_log(&r);
	two = strchr(heap_report_last(), '\n');
	CHECK(two && strlen(two + 1) == HEAP_REPORT_LINE - 1);
	CHECK(two && strcmp(two + 1 + HEAP_REPORT_LINE - 4, "...") == 0);
}

/* A real misuse through the API: the kind, the pointer and the call. */
TEST(report_of_a_bad_free_names_kind_pointer_and_call)
{
	static const char large[] = "\nkheap:   inside a large allocation, not its start;";
	char one[HEAP_REPORT_LINE];
	const char *two;
	char *p;

	ktest_heap_setup();
	p = kmalloc(4 * 4096 + 100);

	CHECK(p != NULL);
	kfree((void *)hide_addr((uintptr_t)p + 4096));
	snprintf(one, sizeof(one), "kheap: interior free ptr=%#lx 4096 bytes into %#lx (20480 bytes) "
		 "in kfree; caller=", (unsigned long)p + 4096, (unsigned long)p);
	CHECKF(strncmp(heap_report_last(), one, strlen(one)) == 0, "%s", heap_report_last());
	two = strchr(heap_report_last(), '\n');
	CHECK(two && strncmp(two, large, strlen(large)) == 0);
	kfree(p);
}

/* At level 0 too, a bad call names the object its page holds: a slab slot, by its class size. */
TEST(report_at_level_zero_names_the_slot_of_a_small_object)
{
	char one[HEAP_REPORT_LINE];
	char *p;

	ktest_heap_setup();
	kheap_set_check(0);
	p = kmalloc(100);
	CHECK(p != NULL);
	kfree((void *)hide_addr((uintptr_t)p + 16));
	snprintf(one, sizeof(one), "kheap: interior free ptr=%#lx 16 bytes into %#lx (%zu bytes) in kfree;",
		 (unsigned long)p + 16, (unsigned long)p, ksize(p));
	CHECKF(strncmp(heap_report_last(), one, strlen(one)) == 0, "%s", heap_report_last());
	kfree(p);
	kfree((void *)hide_addr((uintptr_t)p));
	snprintf(one, sizeof(one), "kheap: double free ptr=%#lx at the start of %#lx (", (unsigned long)p,
		 (unsigned long)p);
	CHECKF(strncmp(heap_report_last(), one, strlen(one)) == 0, "%s", heap_report_last());
}
