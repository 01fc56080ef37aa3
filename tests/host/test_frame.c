/*
 * The frame allocator fed made-up memory maps: overlapping, unsorted and
 * zero-length entries, firmware holes inside RAM, kernel holdings.
 */
#include <stdlib.h>
#include "tests/ktest.h"
#include "mm/frame.h"

#define MiB (1024ull * 1024)

static void *db;

static void init(const struct phys_range *r, size_t n)
{
	pfn_t max = frame_max_pfn(r, n);

	free(db);
	db = calloc(1, frame_db_size(max) + 1);
	frame_init(db, max, r, n);
	frame_set_pressure_hook(NULL);	/* not the host heap's scavenger: its heap is gone */
}

TEST(frame_map_unsorted_overlapping_zero_length)
{
	const struct phys_range r[] = {
		{ 8 * MiB, 16 * MiB, PR_RAM },
		{ 0, 640 * 1024, PR_RAM },		/* below 1 MiB: never used */
		{ 4 * MiB, 10 * MiB, PR_RAM },		/* overlaps the first */
		{ 5 * MiB, 5 * MiB, PR_RAM },		/* zero length */
		{ 1 * MiB, 2 * MiB, PR_RAM },
	};
	struct frame_stats st;

	init(r, 5);
	frame_stats(&st);
	/* 1-2 MiB and 4-16 MiB: 256 + 3072 frames */
	CHECKF(st.total == 256 + 3072, "total %u", st.total);
	CHECK(st.free == st.total && st.used == 0);
	CHECK(frame_audit());
}

TEST(frame_firmware_and_kernel_ranges_are_never_handed_out)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 4 * MiB, PR_RAM },
		{ 2 * MiB, 2 * MiB + 4096, PR_FIRMWARE },	/* hole in RAM */
		{ 1 * MiB, 1 * MiB + 3 * 4096 + 1, PR_KERNEL },	/* rounds out to 4 frames */
		{ 5 * MiB, 6 * MiB, PR_KERNEL },		/* not RAM: ignored */
	};
	struct frame_stats st;
	pfn_t f;
	uint32_t n = 0;

	init(r, 4);
	frame_stats(&st);
	CHECKF(st.total == 768 - 1, "total %u", st.total);
	CHECKF(st.used == 4, "used %u", st.used);
	while ((f = frame_alloc()) != PFN_NONE) {
		CHECKF(f >= 256 + 4 && f < 1024 && f != 512, "handed out frame %#x", f);
		n++;
	}
	CHECK(n == 768 - 1 - 4);
	CHECK(frame_audit());
}

TEST(frame_alloc_free_counts_and_audit)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	struct frame_stats st;
	pfn_t a, b;

	init(r, 1);
	a = frame_alloc();
	b = frame_alloc();
	CHECK(a != PFN_NONE && b != PFN_NONE && a != b);
	CHECK(frame_is_used(a) && frame_is_used(b));
	frame_stats(&st);
	CHECK(st.free == 254 && st.used == 2 && st.free + st.used == st.total);
	CHECK(frame_free(a));
	CHECK(!frame_is_used(a));
	CHECK(frame_audit());
}

TEST(frame_double_free_and_non_ram_are_refused)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	struct frame_stats before, after;
	pfn_t a;

	init(r, 1);
	a = frame_alloc();
	CHECK(frame_free(a));
	frame_stats(&before);
	CHECK(!frame_free(a));			/* double free */
	CHECK(!frame_free(10));			/* below 1 MiB */
	CHECK(!frame_free(100000));		/* beyond the map */
	frame_stats(&after);
	CHECK(before.free == after.free && before.used == after.used);
	CHECK(frame_audit());
}

TEST(frame_reservations_are_kept_from_other_users)
{
	const struct phys_range r[] = { { 1 * MiB, 1 * MiB + 10 * 4096, PR_RAM } };
	int n = 0;

	init(r, 1);
	CHECK(frame_reserve(4));
	CHECK(!frame_reserve(7));		/* only 6 unpromised left */
	while (frame_alloc() != PFN_NONE)
		n++;
	CHECKF(n == 6, "took %d unpromised frames", n);
	for (int i = 0; i < 4; i++) {
		pfn_t f = frame_alloc_reserved();

		CHECK(f != PFN_NONE);
	}
	CHECK(frame_audit());
}

static int pressure_calls, pressure_failed;
static pfn_t spare;

static void pressure(bool failed)
{
	pressure_calls++;
	pressure_failed += failed;
	if (failed && spare != PFN_NONE) {	/* give one back, as a scavenger would */
		frame_free(spare);
		spare = PFN_NONE;
	}
}

TEST(frame_pressure_hook_runs_below_low_and_on_failure)
{
	const struct phys_range r[] = { { 1 * MiB, 1 * MiB + 8 * 4096, PR_RAM } };
	int n = 0;

	init(r, 1);
	frame_set_watermarks(3, 6);
	pressure_calls = pressure_failed = 0;
	frame_set_pressure_hook(pressure);
	spare = frame_alloc();
	while (frame_alloc() != PFN_NONE)
		n++;
	frame_set_pressure_hook(NULL);
	/* 7 left after the spare; the hook gave one back on the first failure */
	CHECKF(n == 8, "allocated %d", n);
	CHECK(pressure_failed == 2 && pressure_calls > pressure_failed);
	CHECK(frame_audit());
}

TEST(frame_audit_catches_corruption)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	pfn_t max, f[3];

	init(r, 1);
	max = frame_max_pfn(r, 1);
	for (int i = 0; i < 3; i++)		/* three frames out and back: on the stack */
		f[i] = frame_alloc();
	for (int i = 0; i < 3; i++)
		frame_free(f[i]);
	CHECK(frame_audit());
	/* database layout (mm/frame.c): the stack, then a state byte a frame (0 free, 2 used) */
	((uint8_t *)db + max * sizeof(pfn_t))[300] = 2;	/* a free frame marked used */
	CHECK(!frame_audit());
	((uint8_t *)db + max * sizeof(pfn_t))[300] = 0;
	CHECK(frame_audit());
	((pfn_t *)db)[0] = ((pfn_t *)db)[1];			/* a frame stacked twice */
	CHECK(!frame_audit());
}

TEST(frame_freed_ahead_of_the_cursor_is_handed_out_once)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 2 * MiB, PR_RAM },
		{ 1536 * 1024, 1600 * 1024, PR_KERNEL },	/* frames 0x180-0x18f held at boot */
	};
	static uint8_t seen[512];
	pfn_t f;
	int n = 0;

	init(r, 2);
	CHECK(frame_free(0x184));		/* a boot holding given back, far ahead */
	memset(seen, 0, sizeof(seen));
	while ((f = frame_alloc()) != PFN_NONE) {
		CHECKF(f >= 256 && f < 512 && !seen[f], "frame %#x handed out twice or out of range", f);
		seen[f] = 1;
		n++;
	}
	CHECKF(n == 256 - 16 + 1, "%d frames handed out", n);
	CHECK(frame_audit());
}
