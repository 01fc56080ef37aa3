/*
 * In-kernel checks of the GRUB modules (src/modules.h): every page WIRED
 * on the module's own frame, which the frame allocator holds as used, and
 * the bytes unchanged since boot.  scripts/test-all boots with two modules
 * (tests/modules/grub.cfg); other boots have none.
 */
#include "tests/ktest.h"
#include "mm/owner.h"
#include "src/lib.h"
#include "src/modules.h"
#include "mm/pagestate.h"
#include "mm/frame.h"

/* Each page of module m WIRED on its own frame, in order: the index of a bad one, or -1. */
static long bad_page(const struct kmodule *m)
{
	uintptr_t va = (uintptr_t)m->va & ~(uintptr_t)(PAGE_SIZE - 1);
	pfn_t first = m->phys >> PAGE_SHIFT;
	size_t npages = ((uintptr_t)m->va + m->size - va + PAGE_SIZE - 1) / PAGE_SIZE;

	for (size_t i = 0; i < npages; i++) {
		uintptr_t p = va + i * PAGE_SIZE;

		if (mmu_state(p) != PS_WIRED || mmu_frame(p) != first + i ||
		    !frame_is_used(first + i))
			return (long)i;
	}
	return -1;
}

TEST(kernel_modules_mapped_and_intact)
{
	for (size_t i = 0; i < module_count(); i++) {
		const struct kmodule *m = module_get(i);
		long bad = bad_page(m);

		CHECKF(bad < 0, "module %s: page %ld not WIRED on its own used frame", m->name,
		       bad);
		CHECKF(module_checksum(m->va, m->size) == m->boot_sum, "module %s changed",
		       m->name);
		CHECKF(owner_find((uintptr_t)m->va)->kind == OW_MODULE &&
		       !strcmp(owner_find((uintptr_t)m->va + m->size - 1)->name, m->name),
		       "module %s not indexed by owner", m->name);
	}
	CHECK(module_get(module_count()) == NULL);
}
