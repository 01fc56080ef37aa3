/*
 * Boundary-tag pages in the kernel (mm/vmem_tag.c, src/boot_mm.c): a
 * refill maps a WIRED page whose own last bytes hold its entry in the
 * owner index, so an address in it is named without a pool node.
 */
#include "tests/ktest.h"
#include "tests/mm/vmem_util.h"
#include "mm/owner.h"
#include "mm/pagestate.h"
#include "src/lib.h"
#include "arch/x86/mmu.h"

#define BASE 0x10000000u

/* Allocate units of vm until a tag page is mapped; how many, or 0 if none came. */
static size_t units_until_refill(vmem_t *vm, size_t max)
{
	size_t pages = tag_pages();

	for (size_t n = 1; n <= max; n++)
		if (!vmem_alloc(vm, 1, 0) || tag_pages() != pages)
			return tag_pages() != pages ? n : 0;
	return 0;
}

TEST(kernel_tag_page_is_in_the_owner_index)
{
	struct vmem_tag_stats ts;
	const struct owner *lo, *hi;
	size_t n, owners, pool, owners1, pool1;
	vmem_t *vm = vmem_create("tagowner", BASE, 1u << 20, 1, NULL, 0);

	CHECK(vm);
	owner_counts(&owners, &pool);
	vmem_tag_stats(&ts);
	n = units_until_refill(vm, ts.free + 2 * ts.per_page);
	vmem_tag_stats(&ts);
	CHECKF(n && ts.last_page, "no tag page mapped (%zu pages)", ts.pages);
	lo = owner_find(ts.last_page);
	hi = owner_find(ts.last_page + PAGE_SIZE - 1);
	CHECKF(lo && lo == hi && lo->kind == OW_WIRED && lo->start == ts.last_page &&
	       lo->size == PAGE_SIZE && !strcmp(lo->name, "boundary tags of the arenas"),
	       "tag page %#lx: owner %s", (unsigned long)ts.last_page, lo ? lo->name : "none");
	owner_counts(&owners1, &pool1);
	CHECKF(owners1 == owners + 1 && pool1 == pool, "entries %zu -> %zu, pool %zu -> %zu",
	       owners, owners1, pool, pool1);
	CHECK(mmu_state(ts.last_page) == PS_WIRED);
	for (size_t i = 0; i < n; i++)
		CHECK(vmem_free(vm, BASE + i, 1));
	CHECK(vmem_destroy(vm));
}
