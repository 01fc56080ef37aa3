/*
 * Symbol lookup over the table scripts/gen-ksyms writes into .ksyms:
 * sorted addresses, and offsets into a string block.  The first link
 * carries an empty table; nothing moves when the second fills it.
 */
#include "src/ksyms.h"
#include "src/lib.h"

extern const uint32_t ksyms_count;
extern const uintptr_t ksyms_addrs[];	/* .long or .quad: the kernel's width */
extern const uint32_t ksyms_offs[];
extern const char ksyms_strs[];
extern char __kernel_start[], __kernel_end[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *off)
{
	uint32_t lo = 0, hi = ksyms_count;

	/* not below the image: x86_64's .boot code is linked low, at its load address */
	if (!hi || addr < (uintptr_t)__kernel_start || addr >= (uintptr_t)__kernel_end)
		return NULL;
	while (hi - lo > 1) {			/* last entry <= addr */
		uint32_t mid = (lo + hi) / 2;

		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*off = addr - ksyms_addrs[lo];
	return ksyms_strs + ksyms_offs[lo];
}

uintptr_t ksym_address(const char *name)
{
	for (uint32_t i = 0; i < ksyms_count; i++)
		if (!strcmp(ksyms_strs + ksyms_offs[i], name))
			return ksyms_addrs[i];
	return 0;
}

void ksym_format(uintptr_t addr, char *buf, size_t len)
{
	uintptr_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		snprintf(buf, len, "%s+0x%lx", name, (unsigned long)off);
	else
		snprintf(buf, len, "%#lx", (unsigned long)addr);
}
