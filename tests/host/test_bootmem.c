/*
 * Boot-time frames (mm/bootmem.c) on made-up maps: where the bump starts,
 * and what it skips.
 */
#include "tests/ktest.h"
#include "mm/bootmem.h"

#define MiB (1024ull * 1024)

TEST(bootmem_starts_above_16m_when_ram_runs_on_there)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 64 * MiB, PR_RAM },
		{ 1 * MiB, 3 * MiB, PR_KERNEL },
	};
	pfn_t f;

	bootmem_init(r, 2);
	f = bootmem_alloc();
	CHECKF(f == 16 * MiB / 4096, "first boot frame %#x", f);
	CHECK(bootmem_alloc() == f + 1);
	CHECK(bootmem_held().start == 16 * MiB && bootmem_held().end == 16 * MiB + 2 * 4096);
	bootmem_done();
}

TEST(bootmem_starts_after_the_kernel_on_small_machines)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 24 * MiB, PR_RAM },			/* not 16 MiB clear above 16 MiB */
		{ 1 * MiB, 3 * MiB + 100, PR_KERNEL },
		{ 3 * MiB + 4096, 3 * MiB + 2 * 4096, PR_FIRMWARE },
	};
	pfn_t f;

	bootmem_init(r, 3);
	f = bootmem_alloc();
	CHECKF(f == 3 * MiB / 4096 + 2, "first boot frame %#x (after the image, past the hole)", f);
	bootmem_done();
}

TEST(bootmem_stays_low_when_a_range_sits_above_16m)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 64 * MiB, PR_RAM },
		{ 1 * MiB, 2 * MiB, PR_KERNEL },
		{ 20 * MiB, 20 * MiB + 4096, PR_FIRMWARE },	/* 16-32 MiB not clear */
	};

	bootmem_init(r, 3);
	CHECK(bootmem_alloc() == 2 * MiB / 4096);
	bootmem_done();
}
