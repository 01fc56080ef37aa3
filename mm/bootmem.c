/*
 * Bump allocation upward from the end of the highest kernel holding, or
 * from 16 MiB when RAM runs on unbroken from there for another 16 MiB (so
 * the frame database, up to 8 MiB at 3.5 GiB of RAM, does not take the
 * frames ISA DMA needs), skipping any frame that is not usable RAM or that
 * a range marks as firmware or kernel.  O(number of ranges) per frame; it
 * hands out a few thousand frames at most.
 */
#include "mm/bootmem.h"

static const struct phys_range *ranges;
static size_t nranges;
static uint64_t first, next;
static bool done;

static bool usable(uint64_t addr)
{
	bool ram = false;

	for (size_t i = 0; i < nranges; i++) {
		const struct phys_range *r = &ranges[i];
		bool in = addr + PAGE_SIZE > r->start && addr < r->end;

		if (r->kind == PR_RAM)
			ram |= addr >= r->start && addr + PAGE_SIZE <= r->end;
		else if (in)
			return false;
	}
	return ram;
}

#define DMA_END 0x1000000ull	/* 16 MiB */

/* Is [lo, hi) inside one RAM range, with no firmware or kernel range in it? */
static bool clear_ram(uint64_t lo, uint64_t hi)
{
	bool ram = false;

	for (size_t i = 0; i < nranges; i++) {
		const struct phys_range *r = &ranges[i];

		if (r->kind == PR_RAM)
			ram |= r->start <= lo && r->end >= hi;
		else if (r->start < hi && r->end > lo)
			return false;
	}
	return ram;
}

void bootmem_init(const struct phys_range *r, size_t n)
{
	uint64_t top = 0x100000;

	ranges = r;
	nranges = n;
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_KERNEL && r[i].end > top)
			top = r[i].end;
	if (top < DMA_END && clear_ram(DMA_END, 2 * DMA_END))
		top = DMA_END;
	first = next = (top + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	done = false;
}

pfn_t bootmem_alloc(void)
{
	if (done)
		panic("bootmem_alloc called after the frame allocator took over");
	while (next < 0x100000000ull && !usable(next))
		next += PAGE_SIZE;
	if (next >= 0x100000000ull)
		panic("bootmem: no usable RAM above %#llx for boot structures",
		      (unsigned long long)first);
	next += PAGE_SIZE;
	return (pfn_t)((next - PAGE_SIZE) >> PAGE_SHIFT);
}

struct phys_range bootmem_held(void)
{
	struct phys_range r = { first, next, PR_KERNEL };
	return r;
}

void bootmem_done(void) { done = true; }
