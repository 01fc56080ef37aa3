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

TEST(kernel_modules_mapped_and_intact)
{
	for (size_t i = 0; i < module_count(); i++) {
		const struct kmodule *m = module_get(i);
		long bad = module_bad_page(m);

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

/* The check the stress run ends with rejects a changed byte, and passes again once restored. */
TEST(kernel_modules_check_rejects_a_changed_byte)
{
	const struct kmodule *m = module_get(0);
	volatile uint8_t *p;
	uint8_t old;

	if (!m)
		return;			/* a boot without modules */
	p = (volatile uint8_t *)(uintptr_t)m->va + m->size / 2;
	old = *p;
	*p = (uint8_t)(old + 1);
	CHECK(!modules_check("with a byte changed by the test"));
	*p = old;
	CHECK(modules_check("once the byte is restored"));
}
