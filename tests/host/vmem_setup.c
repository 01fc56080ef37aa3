/*
 * The host's tag source for the arena cases: a static, page-aligned
 * buffer managed by an arena of its own, whose pages need no mapping.
 */
#include "tests/mm/vmem_util.h"

#define HOST_TAG_PAGES 512

static uint8_t tag_buf[HOST_TAG_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static bool back_page(uintptr_t va)
{
	memset((void *)va, 0, PAGE_SIZE);
	return true;
}

void ktest_vmem_setup(void)
{
	static vmem_t *space;

	if (space)
		return;
	space = vmem_create("host-tags", (uintptr_t)tag_buf, sizeof(tag_buf), PAGE_SIZE, NULL, 0);
	vmem_set_tag_source(space, back_page);
}
