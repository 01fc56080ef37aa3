#include "tests/ktest.h"
#include "mm/vspace.h"

#define P PAGE_SIZE

TEST(vspace_first_fit_take_and_merge)
{
	uintptr_t a, b, c, start = 0;

	vspace_init(0x10000000, 0x10000000 + 100 * P);
	a = vspace_alloc(10);
	b = vspace_alloc(10);
	c = vspace_alloc(10);
	CHECK(a == 0x10000000 && b == a + 10 * P && c == b + 10 * P);
	vspace_free(b, 10);
	CHECK(vspace_largest(&start) == 70 && start == c + 10 * P);
	CHECK(vspace_alloc(5) == b);			/* first fit reuses the hole */
	vspace_free(b, 5);
	vspace_free(a, 10);
	vspace_free(c, 10);				/* everything merges back */
	CHECK(vspace_largest(&start) == 100 && start == 0x10000000);
	CHECK(vspace_take(0x10000000 + 50 * P, 10));
	CHECK(!vspace_take(0x10000000 + 55 * P, 10));	/* overlaps what was taken */
	CHECK(vspace_free_pages() == 90);
	CHECK(vspace_alloc(51) == 0);			/* no single range that large */
}
