/*
 * Helpers for the arena cases (tests/mm/test_vmem*.c), on both runners.
 */
#ifndef TESTS_MM_VMEM_UTIL_H
#define TESTS_MM_VMEM_UTIL_H

#include "mm/vmem.h"

/*
 * Make sure boundary tags can be refilled from pages: in the kernel the
 * boot code's kva arena already is the tag source; on the host a static
 * buffer of pages becomes one (tests/host/vmem_setup.c).
 */
void ktest_vmem_setup(void);

/* Does s contain sub? */
static inline bool text_has(const char *s, const char *sub)
{
	size_t n = strlen(sub);

	for (; *s; s++)
		if (!memcmp(s, sub, n))
			return true;
	return !n;
}

static inline size_t tags_free(void)
{
	struct vmem_tag_stats ts;

	vmem_tag_stats(&ts);
	return ts.free;
}

static inline size_t tag_pages(void)
{
	struct vmem_tag_stats ts;

	vmem_tag_stats(&ts);
	return ts.pages;
}

#endif
